import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "@qubit/core";
import type { TSchema } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import {
  checkMqttConfigs,
  type MqttConfig,
  MqttConfigSchema,
  MqttErrorCodes,
  RuleSchema,
} from "../src/index.js";

// The README's options and error tables are generated from the schema and
// the error table; run with UPDATE_README=1 to rewrite them.
const readmePath = join(
  dirname(fileURLToPath(import.meta.url)),
  "../README.md",
);

function typeOf(schema: TSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf)
    return (schema.anyOf as TSchema[]).map(typeOf).join(" \\| ");
  if (schema.type === "array") {
    const items = schema.items as TSchema;
    return items.anyOf ? `(${typeOf(items)})[]` : `${typeOf(items)}[]`;
  }
  if (schema.type === "object" && schema.patternProperties) return "map";
  return String(schema.type ?? "any");
}

function optionRows(schema: TSchema): string[] {
  const properties = schema.properties as Record<string, TSchema>;
  return Object.entries(properties).map(([name, property]) => {
    const fallback =
      property.default === undefined
        ? ""
        : `\`${JSON.stringify(property.default)}\``;
    const description = String(property.description ?? "").replaceAll(
      "|",
      "\\|",
    );
    return `| \`${name}\` | ${typeOf(property)} | ${fallback} | ${description} |`;
  });
}

function errorRows(): string[] {
  return Object.entries(MqttErrorCodes).map(
    ([code, meaning]) => `| \`${code}\` | ${meaning.replaceAll("|", "\\|")} |`,
  );
}

function replaceSection(text: string, name: string, rows: string[]): string {
  const start = `<!-- ${name}:start -->\n`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`README has no ${name} section`);
  const header = text
    .slice(from + start.length)
    .split("\n")
    .slice(0, 2)
    .join("\n");
  return `${text.slice(0, from + start.length)}${header}\n${rows.join("\n")}\n${text.slice(to)}`;
}

describe("README", () => {
  it("lists every option and error code", () => {
    const current = readFileSync(readmePath, "utf8");
    let expected = replaceSection(
      current,
      "options",
      optionRows(MqttConfigSchema),
    );
    expected = replaceSection(expected, "rule-options", optionRows(RuleSchema));
    expected = replaceSection(expected, "errors", errorRows());
    if (process.env.UPDATE_README === "1") writeFileSync(readmePath, expected);
    // A formatter may pad the table cells; compare without the padding.
    const unpad = (text: string) =>
      text.replace(/ {2,}/g, " ").replace(/-{3,}/g, "---");
    expect(unpad(current)).toBe(unpad(expected));
  });
});

describe("README config examples", () => {
  const blocks = [
    ...readFileSync(readmePath, "utf8").matchAll(/```json\n([\s\S]*?)```/g),
  ]
    .map((match) => match[1]!)
    .filter((text) => text.includes('"mqtt"'));

  it("shows the basic and the TLS config", () => {
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toContain("org_001/sit_storage_01/+/+/telemetry");
    expect(blocks[1]).toContain("mqtts://secure-broker.example.com:8883");
  });

  it("validates both against the schema", () => {
    for (const block of blocks) {
      // ${VAR} is replaced from the environment before validation.
      const text = block.replace(/\$\{[A-Z_]+\}/g, "value");
      const section = (JSON.parse(text) as { mqtt: unknown }).mqtt;
      const config = parseConfig<MqttConfig>(MqttConfigSchema, section).value;
      expect(config.topics.length).toBeGreaterThan(0);
    }
  });

  it("passes the config checks with the basic config", () => {
    const section = (JSON.parse(blocks[0]!) as { mqtt: unknown }).mqtt;
    const config = parseConfig<MqttConfig>(MqttConfigSchema, section).value;
    const issues = checkMqttConfigs([
      { name: "mqtt", path: "/mqtt", config },
    ] as Parameters<typeof checkMqttConfigs>[0]);
    // The literal "telemetry" level names only single values, and the
    // basic config reads JSON objects, which are named by their fields.
    expect(issues).toEqual([]);
  });
});
