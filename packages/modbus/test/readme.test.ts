import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { optionsSection } from "../scripts/options-table.js";
import {
  MODBUS_EXCEPTIONS,
  ModbusErrorCodes,
  ModbusExceptionError,
} from "../src/index.js";

// The formatter pads markdown tables, so cells are compared trimmed.
function normalize(text: string): string {
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

const readme = normalize(
  readFileSync(new URL("../README.md", import.meta.url), "utf8"),
);

describe("README", () => {
  it("holds the generated option tables", () => {
    expect(readme).toContain(normalize(optionsSection()));
  });

  it("lists every error code", () => {
    for (const code of Object.keys(ModbusErrorCodes)) {
      expect(readme).toContain(`\`${code}\``);
    }
  });
});

describe("exception classes", () => {
  it("ties each exception code to its error code", () => {
    for (const [code, definition] of MODBUS_EXCEPTIONS) {
      const error = new ModbusExceptionError(code, "test");
      expect(error.code).toBe(definition.code);
      expect(error.exceptionName).toBe(definition.name);
      expect(definition.code in ModbusErrorCodes).toBe(true);
    }
    expect(new ModbusExceptionError(0x42, "test").code).toBe(
      "QUBIT_MODBUS_EXCEPTION_UNKNOWN",
    );
  });
});
