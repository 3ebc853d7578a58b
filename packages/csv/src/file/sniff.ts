import { isKnownUnit } from "@qubit/core";
import { unitFromUnitsCell } from "../mapping/header.js";

/** The delimiter and the lines of the header block of a CSV file. */
export interface Dialect {
  delimiter: string;
  /** 1-based line of the header, or undefined when the file has none. */
  headerLine: number | undefined;
  /** 1-based line of a units line under the header, if any. */
  unitsLine: number | undefined;
  /** 1-based line where data starts (or may start, after empty lines). */
  firstDataLine: number;
}

/** Options that fix parts of the dialect instead of detecting them. */
export interface SniffOptions {
  delimiter: "auto" | string;
  quote: string;
  headerLine: "auto" | "none" | number;
  unitsLine: "auto" | "none" | number;
  comment?: string | undefined;
}

const CANDIDATES = [",", ";", "\t", "|"];
const SAMPLE_LINES = 200;

/** Splits text into physical lines (CRLF, LF or CR). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/** Splits one line into fields, honouring quotes; for detection only. */
export function splitFields(
  line: string,
  delimiter: string,
  quote = '"',
): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index]!;
    if (char === quote) {
      if (quoted && line[index + 1] === quote) {
        field += quote;
        index += 1;
      } else quoted = !quoted;
    } else if (char === delimiter && !quoted) {
      fields.push(field.trim());
      field = "";
    } else field += char;
  }
  fields.push(field.trim());
  return fields;
}

/**
 * Detects the delimiter and the header block from the first lines of a
 * file. A first line `sep=;` (written by Excel) names the delimiter.
 * Otherwise the candidate that gives the same field count on the most
 * lines wins. A comma that only ever sits between two digits is a
 * decimal comma, not a delimiter. The header is the first line whose
 * field count is close to the data's, unless that line already looks
 * like data. A units line is a line right under the header whose cells
 * are units such as `[Wh]` or `kW`.
 */
export function sniffDialect(head: string, options: SniffOptions): Dialect {
  const lines = splitLines(head).slice(0, SAMPLE_LINES + 50);
  // The last line of a cut head may be incomplete.
  if (lines.length > 1) lines.pop();
  let sepLine = 0;
  let delimiter = options.delimiter;
  const sep = /^"?sep=(.)"?\s*$/i.exec(lines[0] ?? "");
  if (sep) {
    sepLine = 1;
    if (delimiter === "auto") delimiter = sep[1]!;
  }
  const isSkipped = (line: string, number: number): boolean =>
    number <= sepLine ||
    line.trim() === "" ||
    (options.comment !== undefined && line.startsWith(options.comment));
  const numbered = lines
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line, number }) => !isSkipped(line, number));
  if (delimiter === "auto")
    delimiter = detectDelimiter(
      numbered.map((entry) => entry.line),
      options.quote,
    );

  const counts = numbered.map(
    (entry) => splitFields(entry.line, delimiter, options.quote).length,
  );
  const modal = mode(counts.slice(Math.floor(counts.length / 3)));

  let headerLine: number | undefined;
  if (typeof options.headerLine === "number") headerLine = options.headerLine;
  else if (options.headerLine === "auto") {
    const near = (i: number) =>
      counts[i] !== undefined &&
      counts[i]! >= 2 &&
      Math.abs(counts[i]! - modal) <= 1;
    // A banner line with a stray delimiter is followed by more banner; a
    // header is followed by data of about the same width.
    let index = numbered.findIndex(
      (_, i) => near(i) && (i + 1 >= numbered.length || near(i + 1)),
    );
    if (index < 0) index = numbered.findIndex((_, i) => near(i));
    const at = Math.max(index, 0);
    const candidate = numbered[at];
    const following = numbered
      .slice(at + 1, at + 21)
      .map((entry) => splitFields(entry.line, delimiter, options.quote));
    if (
      candidate &&
      isHeader(splitFields(candidate.line, delimiter, options.quote), following)
    ) {
      headerLine = candidate.number;
    }
  }

  let unitsLine: number | undefined;
  if (typeof options.unitsLine === "number") unitsLine = options.unitsLine;
  else if (options.unitsLine === "auto" && headerLine !== undefined) {
    const next = numbered.find((entry) => entry.number > headerLine!);
    if (
      next &&
      looksLikeUnits(splitFields(next.line, delimiter, options.quote))
    ) {
      unitsLine = next.number;
    }
  }

  const lastBlockLine = Math.max(headerLine ?? 0, unitsLine ?? 0);
  let firstDataLine = lastBlockLine + 1;
  if (lastBlockLine === 0) {
    const first = numbered.find(
      (_, i) => counts[i]! >= 2 && Math.abs(counts[i]! - modal) <= 1,
    );
    firstDataLine = first?.number ?? sepLine + 1;
  }
  return { delimiter, headerLine, unitsLine, firstDataLine };
}

function detectDelimiter(lines: readonly string[], quote: string): string {
  let best = { delimiter: ",", score: -1, modal: 0 };
  for (const candidate of CANDIDATES) {
    const counts = lines.map(
      (line) => splitFields(line, candidate, quote).length,
    );
    const modal = mode(counts);
    if (modal < 2) continue;
    let score = counts.filter(
      (count) => count === modal || count === modal - 1,
    ).length;
    if (candidate === "," && isDecimalComma(lines)) score = score / 4;
    if (score > best.score || (score === best.score && modal > best.modal)) {
      best = { delimiter: candidate, score, modal };
    }
  }
  return best.delimiter;
}

function isDecimalComma(lines: readonly string[]): boolean {
  let between = 0;
  let total = 0;
  for (const line of lines) {
    for (
      let index = line.indexOf(",");
      index >= 0;
      index = line.indexOf(",", index + 1)
    ) {
      total += 1;
      if (/\d/.test(line[index - 1] ?? "") && /\d/.test(line[index + 1] ?? ""))
        between += 1;
    }
  }
  const others = lines.some(
    (line) => line.includes(";") || line.includes("\t"),
  );
  return total > 0 && others && between / total > 0.9;
}

function mode(values: readonly number[]): number {
  const tally = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (const value of values) {
    const count = (tally.get(value) ?? 0) + 1;
    tally.set(value, count);
    if (count > bestCount || (count === bestCount && value > best)) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

type CellKind = "number" | "time" | "text" | "empty";

function kindOf(cell: string): CellKind {
  if (cell === "") return "empty";
  if (/^[+-]?(\d+([.,]\d+)*|[.,]\d+)$/.test(cell)) return "number";
  if (DATA_CELL.test(cell)) return "time";
  return "text";
}

/**
 * Decides whether a line is a header by comparing it with the lines
 * after it, column by column. A text cell above a column of numbers or
 * times votes for a header. A number or time above the same kind votes
 * for data.
 */
function isHeader(
  candidate: readonly string[],
  following: readonly string[][],
): boolean {
  if (following.length === 0) return !looksLikeData(candidate);
  let header = 0;
  let data = 0;
  candidate.forEach((cell, column) => {
    const tally = new Map<CellKind, number>();
    for (const row of following) {
      const kind = kindOf(row[column] ?? "");
      if (kind !== "empty") tally.set(kind, (tally.get(kind) ?? 0) + 1);
    }
    const majority = [...tally].sort((a, b) => b[1] - a[1])[0]?.[0];
    const own = kindOf(cell);
    if (majority === undefined || own === "empty") return;
    if (own === "text" && majority !== "text") header += 1;
    else if (own !== "text" && own === majority) data += 1;
  });
  if (header === 0 && data === 0) return !looksLikeData(candidate);
  return header > data;
}

const DATA_CELL = /^[+-]?[\d.,:/ T+Z-]*\d[\d.,:/ T+Z-]*$/;

/** True when every non-empty cell looks like a number, date or time. */
export function looksLikeData(cells: readonly string[]): boolean {
  const filled = cells.filter((cell) => cell !== "");
  return filled.length > 0 && filled.every((cell) => DATA_CELL.test(cell));
}

function looksLikeUnits(cells: readonly string[]): boolean {
  const filled = cells.filter((cell) => cell !== "");
  if (filled.length === 0) return false;
  if (filled.some((cell) => /^[+-]?\d+([.,]\d+)?$/.test(cell))) return false;
  const units = filled.filter((cell) => {
    const bracketed = /^[[(].*[\])]$/.test(cell);
    const unit = unitFromUnitsCell(cell);
    return bracketed || (unit !== undefined && isKnownUnit(unit));
  });
  return units.length >= Math.max(1, filled.length / 2);
}
