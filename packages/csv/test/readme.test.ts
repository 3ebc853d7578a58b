import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkConfig, TimeSeriesSchema } from "@qubit/core";
import type { TSchema } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import {
  CsvConfigSchema,
  CsvErrorCodes,
  IngestConfigSchema,
  MappingSchema,
  RestConfigSchema,
} from "../src/index.js";
import { ValueColumnSchema } from "../src/mapping/schema.js";
import {
  PaginationSchema,
  RetrySchema,
  SinceSchema,
} from "../src/rest/config.js";

// The README's option and error tables are generated from the schemas and
// the error table; `UPDATE_README=1 npx vitest run test/readme.test.ts`
// rewrites them. The test also checks the README's JSON examples and the
// key names its text mentions against the schemas.
const readmePath = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "README.md",
);
const readme = readFileSync(readmePath, "utf8");

type Row = [string, string, string];

function table(header: Row, rows: Row[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  return [
    line(header),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map(line),
  ].join("\n");
}

function optionRows(schema: TSchema, prefix = ""): Row[] {
  const properties = schema.properties as Record<string, TSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => [
    `\`${prefix}${name}\``,
    property.default !== undefined
      ? `\`${JSON.stringify(property.default)}\``
      : required.has(name)
        ? "required"
        : "—",
    String(property.description ?? "").replaceAll("|", "\\|"),
  ]);
}

const OPTION_HEADER: Row = ["key", "default", "what it sets"];

function optionsSection(): string {
  const options = (schema: TSchema, prefix = "") =>
    table(OPTION_HEADER, optionRows(schema, prefix));
  return [
    "### `csv`",
    "",
    options(CsvConfigSchema),
    "",
    "### `csv.mapping`, `rest.mapping`, `http_ingest.mapping`",
    "",
    options(MappingSchema, "mapping."),
    "",
    "An object of `mapping.values` maps each value column to a metric name,",
    "or to these options:",
    "",
    options(ValueColumnSchema, "mapping.values.<column>."),
    "",
    "### `rest`",
    "",
    options(RestConfigSchema),
    "",
    options(PaginationSchema, "pagination."),
    "",
    options(SinceSchema, "since."),
    "",
    options(RetrySchema, "retry."),
    "",
    "### `http_ingest`",
    "",
    options(IngestConfigSchema),
  ].join("\n");
}

function errorsSection(): string {
  return table(
    ["code", "meaning", ""],
    Object.entries(CsvErrorCodes).map(([code, meaning]) => [
      `\`${code}\``,
      meaning.replaceAll("|", "\\|"),
      "",
    ]),
  )
    .split("\n")
    .map((line) => line.replace(/ \| +\|$/, " |").replace(/\|-+\|$/, "|"))
    .join("\n");
}

function replaceSection(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->\n`;
  const end = `\n<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`README has no ${name} section`);
  return `${text.slice(0, from + start.length)}${content}${text.slice(to)}`;
}

/** Removes the padding of table cells, so only the content is compared. */
function unpad(text: string): string {
  return text
    .split("\n")
    .map((line) =>
      line.startsWith("|")
        ? line
            .split(/(?<!\\)\|/)
            .map((cell) => cell.trim().replace(/^-+$/, "---"))
            .join("|")
        : line,
    )
    .join("\n");
}

const PLUGIN_SCHEMAS: Record<string, TSchema> = {
  csv: CsvConfigSchema,
  rest: RestConfigSchema,
  http_ingest: IngestConfigSchema,
};

/** Returns the schema of a dotted key path under one of the plugins. */
function keySchema(path: string): TSchema | undefined {
  const [first, ...rest] = path.split(".");
  const roots = PLUGIN_SCHEMAS[first!]
    ? [{ schema: PLUGIN_SCHEMAS[first!]!, parts: rest }]
    : Object.values(PLUGIN_SCHEMAS).map((schema) => ({
        schema,
        parts: [first!, ...rest],
      }));
  for (const { schema, parts } of roots) {
    let current: TSchema | undefined = schema;
    for (const part of parts) {
      const variants: TSchema[] = current?.anyOf ?? [current];
      current = variants
        .map(
          (variant) =>
            (variant?.properties as Record<string, TSchema> | undefined)?.[
              part
            ],
        )
        .find((found) => found !== undefined);
      if (current === undefined) break;
    }
    if (current !== undefined) return current;
  }
  return undefined;
}

/** Literal values of every enum of the schemas, such as "sequence". */
function enumValues(schema: TSchema, into = new Set<string>()): Set<string> {
  if (typeof schema.const === "string") into.add(schema.const);
  for (const child of [
    ...((schema.anyOf as TSchema[] | undefined) ?? []),
    ...Object.values(
      (schema.properties as Record<string, TSchema> | undefined) ?? {},
    ),
    ...(schema.items ? [schema.items as TSchema] : []),
  ]) {
    enumValues(child, into);
  }
  return into;
}

// Words the README puts in backticks that are not config keys: reading
// fields and quality values, connector statuses and events, fields of
// the import summary, a metric name of the usage example, and JavaScript.
const OTHER_WORDS = new Set([
  ...Object.keys(TimeSeriesSchema.properties),
  "measured",
  "missing",
  "degraded",
  "failed",
  "status",
  "fault",
  "duplicates",
  "conflicts",
  "generation",
  "qubit",
  "null",
  "connector.summary",
]);

/** Backticked text outside code blocks and tables. */
function proseCode(text: string): string[] {
  const prose: string[] = [];
  let inBlock = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) inBlock = !inBlock;
    else if (!inBlock && !line.startsWith("|")) prose.push(line);
  }
  return [...prose.join("\n").matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
}

describe("README", () => {
  it("holds the generated option and error tables", () => {
    let expected = replaceSection(readme, "options", optionsSection());
    expected = replaceSection(expected, "errors", errorsSection());
    if (process.env.UPDATE_README === "1") writeFileSync(readmePath, expected);
    expect(unpad(readme)).toBe(unpad(expected));
  });

  it("names only keys the schemas have", () => {
    const enums = new Set<string>();
    for (const schema of Object.values(PLUGIN_SCHEMAS))
      enumValues(schema, enums);
    const unknown: string[] = [];
    for (const code of proseCode(readme)) {
      // A key, a dotted key path, or a key with a value: `resume: false`.
      const match = /^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)(?::\s.*)?$/.exec(
        code,
      );
      if (!match) continue;
      const key = match[1]!;
      if (OTHER_WORDS.has(key) || key.startsWith("qubit_")) continue;
      if (keySchema(key) !== undefined) continue;
      if (!key.includes(".") && enums.has(key)) continue;
      unknown.push(code);
    }
    expect(unknown).toEqual([]);
  });

  it("gives JSON examples that the schemas accept", () => {
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map(
      (match) => match[1]!,
    );
    expect(blocks.length).toBeGreaterThan(1);
    for (const block of blocks) {
      // ${VAR} tokens stand for secrets of at least 16 characters.
      const config = JSON.parse(
        block.replace(/\$\{[A-Z_]+\}/g, "0123456789abcdef"),
      ) as Record<string, unknown>;
      for (const [plugin, section] of Object.entries(config)) {
        const schema = PLUGIN_SCHEMAS[plugin];
        expect(schema, `plugin ${plugin}`).toBeDefined();
        const result = checkConfig(schema!, section);
        expect(result.issues, block).toEqual([]);
      }
    }
  });
});
