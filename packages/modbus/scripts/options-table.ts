// Prints the README's option tables from the config schema:
// `node --import tsx --conditions=@qubit/source scripts/options-table.ts`.
// test/readme.test.ts checks that the README holds this output.
import type { TSchema } from "@sinclair/typebox";
import {
  DeviceSchema,
  ModbusConfigSchema,
  PointSchema,
} from "../src/config.js";

function typeOf(schema: TSchema): string {
  if (schema.anyOf) {
    const variants = schema.anyOf as TSchema[];
    if (variants.every((variant) => variant.const !== undefined)) {
      return variants
        .map((variant) => JSON.stringify(variant.const))
        .join(", ");
    }
    return variants.map(typeOf).join(" or ");
  }
  if (schema.type === "array")
    return `list of ${typeOf(schema.items as TSchema)}`;
  if (schema.type === "object") return "object";
  return String(schema.type);
}

/** Returns one markdown table of a schema's properties. */
export function optionsTable(schema: TSchema): string {
  const rows = [
    "| option | type | default | description |",
    "| --- | --- | --- | --- |",
  ];
  for (const [name, property] of Object.entries(
    schema.properties as Record<string, TSchema>,
  )) {
    const fallback =
      property.default === undefined
        ? ""
        : `\`${JSON.stringify(property.default)}\``;
    const description = String(property.description ?? "").replace(
      /\|/g,
      "\\|",
    );
    rows.push(
      `| \`${name}\` | ${typeOf(property).replace(/\|/g, "\\|")} | ${fallback} | ${description} |`,
    );
  }
  return rows.join("\n");
}

/** The three tables of the README, with their headings. */
export function optionsSection(): string {
  return [
    "### Connection (one entry of `modbus`)",
    "",
    optionsTable(ModbusConfigSchema),
    "",
    "### Device (one entry of `devices`)",
    "",
    optionsTable(DeviceSchema),
    "",
    "### Point (one entry of `registers`)",
    "",
    optionsTable(PointSchema),
  ].join("\n");
}

if (process.argv[1]?.endsWith("options-table.ts")) {
  process.stdout.write(`${optionsSection()}\n`);
}
