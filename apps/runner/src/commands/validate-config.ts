import { type ConnectorPlugin, formatConfigIssue } from "@qubit/core";
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
  if (!path || argv.length > 1) {
    throw new UsageError(
      "validate-config takes one config file",
      "qubit validate-config FILE",
    );
  }
  const { config, warnings } = loadConfig(readConfigFile(path), plugins, {
    env: context.env,
    source: path,
  });
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
