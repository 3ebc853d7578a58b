import {
  ConfigError,
  type ConnectorPlugin,
  formatConfigIssue,
} from "@qubit/core";
import {
  type LoadedConfig,
  loadConfig,
  readConfigFile,
} from "../config/load.js";
import { runnerConfigSchema } from "../config/schema.js";
import { UsageError } from "../errors.js";
import type { CommandContext } from "../protocols/types.js";

/** Runs `qubit validate-config FILE`: 0 valid, 1 invalid. */
export async function validateConfigCommand(
  argv: string[],
  context: CommandContext,
  plugins: readonly ConnectorPlugin[],
): Promise<number> {
  const path = argv[0];
  if (path === "--help" || path === "-h") {
    context.stdout.write(
      "Usage: qubit validate-config FILE\n\nChecks a config file and lists every problem with its path, value and fix.\nExits 0 when it is valid, 1 when it is not, 2 for bad usage.\n",
    );
    return 0;
  }
  if (!path || argv.length > 1) {
    throw new UsageError(
      "validate-config takes one config file",
      "qubit validate-config FILE",
    );
  }
  const file = readConfigFile(path);
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(file, plugins, {
      env: context.env,
      source: path,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const section = loadBareSection(file, plugins, context, path);
    if (!section) {
      context.stderr.write(`${error.message}\n`);
      return 1;
    }
    for (const warning of section.loaded.warnings)
      context.stderr.write(`warning: ${formatConfigIssue(warning)}\n`);
    context.stdout.write(
      `${path} is valid as a bare ${section.protocol} section (one connector without runner keys), which convert and import read; "qubit run" needs it under the key "${section.protocol}"\n`,
    );
    return 0;
  }
  const { config, warnings } = loaded;
  for (const warning of warnings)
    context.stderr.write(`warning: ${formatConfigIssue(warning)}\n`);
  const sections = plugins
    .map((plugin) => {
      const section = config[plugin.protocol];
      if (section === undefined) return undefined;
      return `${plugin.protocol} (${Array.isArray(section) ? section.length : 1})`;
    })
    .filter(Boolean);
  context.stdout.write(
    `${path} is valid: ${sections.join(", ") || "no connectors"}; outputs: ${config.outputs.map((output) => output.type).join(", ")}\n`,
  );
  return 0;
}

/**
 * Loads a file that is one connector section without its protocol key,
 * such as a bare csv section. Returns `undefined` unless no top-level
 * key is a runner or protocol key and exactly one protocol accepts it.
 */
function loadBareSection(
  file: unknown,
  plugins: readonly ConnectorPlugin[],
  context: CommandContext,
  path: string,
): { protocol: string; loaded: LoadedConfig } | undefined {
  if (file === null || typeof file !== "object" || Array.isArray(file))
    return undefined;
  const schema = runnerConfigSchema(plugins);
  const runnerKeys = Object.keys(schema.properties as object);
  const keys = Object.keys(file);
  if (keys.length === 0 || keys.some((key) => runnerKeys.includes(key)))
    return undefined;
  const matches: { protocol: string; loaded: LoadedConfig }[] = [];
  for (const plugin of plugins) {
    try {
      const loaded = loadConfig({ [plugin.protocol]: file }, plugins, {
        env: context.env,
        source: path,
      });
      matches.push({ protocol: plugin.protocol, loaded });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
  }
  // NOTE: a section that two protocols accept is reported with the
  // errors of the whole file, because its protocol cannot be told.
  return matches.length === 1 ? matches[0] : undefined;
}
