import {
  ConfigError,
  type ConnectorPlugin,
  formatConfigIssue,
} from "@qubit/core";
import { loadConfig, readConfigFile } from "../config/load.js";
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
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(readConfigFile(path), plugins, {
      env: context.env,
      source: path,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    context.stderr.write(`${error.message}\n`);
    return 1;
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
