import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConfiguredConnector } from "@qubit/core";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { type OcppConfig, OcppConfigSchema } from "../src/config.js";
import { ocppPlugin } from "../src/plugin.js";

// Every runner config example in the README must load and pass the
// plugin's check without errors or warnings, as validate-config runs it.

const readme = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), "..", "README.md"),
  "utf8",
);

function configExamples(): Record<string, unknown>[] {
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map(
    (match) => JSON.parse(match[1] as string) as Record<string, unknown>,
  );
  return blocks.filter((block) => "ocpp" in block);
}

describe("README config examples", () => {
  const examples = configExamples();

  it("contains the client and central system", () => {
    const roles = examples.map(
      (example) => (example.ocpp as { role?: string }).role ?? "client",
    );
    expect(roles.sort()).toEqual(["central_system", "client"]);
  });

  for (const example of configExamples()) {
    const entry = example.ocpp as Record<string, unknown>;
    const role = String(entry.role ?? "client");
    it(`validates the ${role} example without warnings`, () => {
      const config = Value.Default(
        OcppConfigSchema,
        structuredClone(entry),
      ) as OcppConfig;
      const errors = [...Value.Errors(OcppConfigSchema, config)].map(
        (error) => `${error.path}: ${error.message}`,
      );
      expect(errors).toEqual([]);
      const connectors: ConfiguredConnector<OcppConfig>[] = [
        { name: "ocpp-0", config, path: "/ocpp" },
      ];
      const issues = ocppPlugin.check?.(connectors) ?? [];
      expect(issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual(
        [],
      );
    });
  }
});
