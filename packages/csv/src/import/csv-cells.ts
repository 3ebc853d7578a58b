import type { CsvConfig } from "../config.js";
import { CsvError } from "../errors.js";
import { type Dialect, splitFields } from "../file/sniff.js";

/**
 * Virtual column holding the section number: 1 for the rows under the
 * first header, 2 after the header line appears again, and so on.
 */
export const SECTION_COLUMN = "$section";

export function trimmedKey(fields: string[], width: number): string {
  let key = "";
  for (let index = 0; index < width; index += 1) {
    if (index > 0) key += "\u001f";
    key += fields[index]!.replace(/^\uFEFF/, "").trim();
  }
  for (let index = width; index < fields.length; index += 1) {
    if (fields[index] !== "") return `${key}\u001f${fields[index]}`;
  }
  return key;
}

export function compileSkipPattern(
  pattern: string | undefined,
): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new CsvError(
      "QUBIT_CSV_MAPPING_INVALID",
      `skip_lines_matching is not a valid regular expression: ${(error as Error).message}`,
      {
        value: pattern,
        location: { field: "skip_lines_matching" },
        fix: "write a JavaScript regular expression",
      },
    );
  }
}

export function requiredColumns(config: CsvConfig): string[] {
  const names: string[] = [];
  const add = (spec: unknown) => {
    if (typeof spec === "string") names.push(spec);
    else if (Array.isArray(spec)) names.push(...(spec as string[]));
    else if (spec && typeof spec === "object") {
      if ("column" in spec) names.push(String(spec.column));
      if ("columns" in spec) names.push(...(spec.columns as string[]));
    }
  };
  add(config.mapping.timestamp);
  add(config.mapping.asset_id);
  return names;
}

/**
 * Trims a cell and unwraps Excel's `="123"` cells (long numbers kept as
 * text) and quoted cells that had spaces before the quote.
 */
export function cleanCell(cell: string | undefined): string | undefined {
  if (cell === undefined) return undefined;
  let text = cell;
  const first = text.charCodeAt(0);
  if (first === 32 || first === 9 || text.charCodeAt(text.length - 1) === 32)
    text = text.trim();
  if (
    text.charCodeAt(0) === 61 &&
    text.charCodeAt(1) === 34 &&
    text.endsWith('"')
  ) {
    return text.slice(2, -1);
  }
  if (
    text.length > 1 &&
    text.charCodeAt(0) === 34 &&
    text.endsWith('"') &&
    text !== cell
  ) {
    return text.slice(1, -1).replaceAll('""', '"');
  }
  return text;
}

export function sampleCells(
  lines: string[],
  dialect: Dialect,
  quote: string,
): string[] {
  return lines
    .slice(dialect.firstDataLine - 1, dialect.firstDataLine + 200)
    .flatMap((line) => splitFields(line, dialect.delimiter, quote));
}
