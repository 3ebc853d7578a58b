import type { ConnectorPlugin } from "@qubit/core";
import { runnerConfigSchema } from "../config/schema.js";
import type { CommandContext } from "../protocols/types.js";

/** Returns the config JSON Schema (draft 2020-12) as text. */
export function configJsonSchema(plugins: readonly ConnectorPlugin[]): string {
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    ...(forEditors(
      JSON.parse(JSON.stringify(runnerConfigSchema(plugins))),
      new Set(),
    ) as object),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/**
 * Rewrites a schema for editors and JSON Schema validators. A key with a
 * default is optional, because the config check fills it in before
 * validating, but TypeBox lists it under `required`. A schema with an
 * `$id` that was already emitted, such as a connector section that is
 * allowed alone and in a list, becomes a `$ref` to it, because validators
 * reject two schemas with one `$id`. The `x-mistaken-names` hints of the
 * config check are dropped.
 */
function forEditors(node: unknown, ids: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((item) => forEditors(item, ids));
  if (node === null || typeof node !== "object") return node;
  const id = (node as { $id?: unknown }).$id;
  if (typeof id === "string") {
    if (ids.has(id)) return { $ref: id };
    ids.add(id);
  }
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node)) {
    if (key === "x-mistaken-names") continue;
    result[key] = forEditors(child, ids);
  }
  const properties = result.properties as
    | Record<string, { default?: unknown }>
    | undefined;
  if (Array.isArray(result.required) && properties) {
    const required = (result.required as string[]).filter(
      (key) => properties[key]?.default === undefined,
    );
    if (required.length > 0) result.required = required;
    else delete result.required;
  }
  return result;
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
