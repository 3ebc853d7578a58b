import { createNumberParser, type NumberFormat } from "./numbers.js";

/** Options of the value cell reader. */
export interface ValueOptions {
  numbers: NumberFormat;
  missingValues: readonly string[];
  sentinelValues: readonly number[];
  /** Flags that mark a value valid, for cells like `2,6 V`. */
  validFlags?: readonly string[];
}

/** Content of a value cell, classified. */
export type CellValue =
  | { kind: "value"; value: number | boolean | string }
  | { kind: "missing"; reason: string }
  | { kind: "flagged"; value: number; flag: string }
  | { kind: "invalid"; expected: string };

export type ValueType = "number" | "boolean" | "string";

const TRUE = new Set(["true", "1", "yes", "on", "y", "t"]);
const FALSE = new Set(["false", "0", "no", "off", "n", "f"]);

/**
 * Creates the reader of value cells for one input. A valid number is
 * returned in one object that every call of this reader reuses, because
 * nearly every cell is one: read its value before the next call.
 */
export function createCellReader(
  options: ValueOptions,
): (cell: unknown, type: ValueType) => CellValue {
  const parseNumber = createNumberParser(options.numbers);
  const missing = new Set(options.missingValues);
  const sentinels = new Set(options.sentinelValues);
  const validFlags =
    options.validFlags === undefined ? undefined : new Set(options.validFlags);
  const expected = `a number with decimal mark "${options.numbers.decimal}"${options.numbers.thousands ? ` and grouping mark "${options.numbers.thousands}"` : ""}`;

  const numberCell: { kind: "value"; value: number } = {
    kind: "value",
    value: 0,
  };
  const fromNumber = (value: number, flag?: string): CellValue => {
    if (!Number.isFinite(value)) return { kind: "invalid", expected };
    if (sentinels.size > 0 && sentinels.has(value)) {
      return { kind: "missing", reason: `sentinel value ${value}` };
    }
    if (flag !== undefined && validFlags && !validFlags.has(flag)) {
      return { kind: "flagged", value, flag };
    }
    numberCell.value = value;
    return numberCell;
  };

  return (cell, type) => {
    if (cell === undefined || cell === null) {
      return { kind: "missing", reason: "no value" };
    }
    if (typeof cell === "number") {
      return type === "number"
        ? fromNumber(cell)
        : {
            kind: "value",
            value: type === "string" ? String(cell) : cell !== 0,
          };
    }
    if (typeof cell === "boolean") {
      return { kind: "value", value: type === "number" ? Number(cell) : cell };
    }
    if (typeof cell !== "string") {
      return { kind: "invalid", expected: `a ${type}` };
    }
    const text = cell.trim();
    if (missing.has(text)) {
      return {
        kind: "missing",
        reason: `missing-value marker ${JSON.stringify(text)}`,
      };
    }
    if (type === "string") return { kind: "value", value: text };
    if (type === "boolean") {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return { kind: "value", value: true };
      if (FALSE.has(lower)) return { kind: "value", value: false };
      return { kind: "invalid", expected: "true or false" };
    }
    if (validFlags) {
      const space = text.search(/\s+\S+$/);
      if (space > 0) {
        const flag = text.slice(space).trim();
        return fromNumber(parseNumber(text.slice(0, space)), flag);
      }
    }
    return fromNumber(parseNumber(text));
  };
}
