import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../src/commands/schema.js";
import { allPlugins } from "../src/index.js";

// Configs a user copies from the docs: the JSON blocks of the repository
// README and the product page examples in fixtures/seed-configs.json.
const readme = readFileSync(
  new URL("../../../README.md", import.meta.url),
  "utf8",
);
const readmeExamples = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map(
  (match) => JSON.parse(match[1]!) as object,
);
const seedExamples = JSON.parse(
  readFileSync(
    new URL("./fixtures/seed-configs.json", import.meta.url),
    "utf8",
  ),
) as Record<string, object>;

describe("qubit schema", () => {
  const schema = JSON.parse(configJsonSchema(allPlugins())) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);

  it("finds the README examples", () => {
    expect(readmeExamples.length).toBeGreaterThan(0);
  });

  it.each(readmeExamples.map((example, index) => [index, example]))(
    "accepts README example %i",
    (_index, example) => {
      validate(example);
      expect(validate.errors ?? []).toEqual([]);
    },
  );

  it.each(Object.entries(seedExamples))(
    "accepts seed example %s",
    (_name, example) => {
      validate(example);
      expect(validate.errors ?? []).toEqual([]);
    },
  );

  it("accepts a config with only defaults", () => {
    validate({});
    expect(validate.errors ?? []).toEqual([]);
  });

  it("still requires keys without a default", () => {
    expect(validate({ outputs: [{ type: "postgres", url: "x" }] })).toBe(false);
    expect(validate({ mqtt: { client_id: "a" } })).toBe(false);
  });

  it("compiles in strict mode", () => {
    const strict = new Ajv2020({ strict: true, allowUnionTypes: true });
    expect(() => strict.compile(schema)).not.toThrow();
  });
});
