import type { ConnectorPlugin } from "@qubit/core";
import { runnerConfigSchema } from "../config/schema.js";
import type { CommandContext } from "../protocols/types.js";

/** Returns the config JSON Schema (draft 2020-12) as text. */
export function configJsonSchema(plugins: readonly ConnectorPlugin[]): string {
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    ...JSON.parse(JSON.stringify(runnerConfigSchema(plugins))),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Runs `qubit schema`: prints the config JSON Schema for editors. */
export async function schemaCommand(
  _argv: string[],
  context: CommandContext,
  plugins: readonly ConnectorPlugin[],
): Promise<number> {
  context.stdout.write(configJsonSchema(plugins));
  return 0;
}
