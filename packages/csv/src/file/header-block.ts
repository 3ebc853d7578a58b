import { parse } from "csv-parse/sync";
import { CsvError } from "../errors.js";
import type { Dialect } from "./sniff.js";

/** The header block of a CSV file, read from its head. */
export interface HeaderBlock {
  /** Column names as written, trimmed, without byte-order mark. */
  header: string[] | undefined;
  /** Cells of the units line, if there is one. */
  units: string[] | undefined;
  /** Byte offset (UTF-8, without BOM) where the data rows start. */
  dataOffset: number;
  /** Number of lines before the data rows. */
  dataLineBase: number;
}

/**
 * Parses the header and units lines from the decoded head of a file and
 * finds the byte offset of the first data row, so that the data can be
 * streamed from there (and a resumed import can seek past it).
 */
export function readHeaderBlock(
  head: string,
  dialect: Dialect,
  options: { quote: string; path: string },
): HeaderBlock {
  const lastLine = Math.max(dialect.headerLine ?? 0, dialect.unitsLine ?? 0);
  if (lastLine === 0) {
    const base = dialect.firstDataLine - 1;
    return {
      header: undefined,
      units: undefined,
      dataOffset: byteOffsetOfLine(head, dialect.firstDataLine),
      dataLineBase: base,
    };
  }
  const bytes = Buffer.from(head);
  let records: { record: string[]; info: { lines: number; bytes: number } }[];
  try {
    records = parse(bytes, {
      delimiter: dialect.delimiter,
      quote: options.quote,
      relax_quotes: true,
      relax_column_count: true,
      from_line: dialect.headerLine ?? dialect.unitsLine ?? 1,
      to_line: lastLine,
      skip_empty_lines: true,
      info: true,
    }) as unknown as typeof records;
  } catch (error) {
    throw new CsvError(
      "QUBIT_CSV_HEADER_NOT_FOUND",
      `Cannot read the header of ${options.path} at line ${dialect.headerLine}: ${(error as Error).message}`,
      {
        location: { address: options.path, line: dialect.headerLine },
        fix: "set header_line to the line of the column names",
        cause: error,
      },
    );
  }
  const startLine = (entry: (typeof records)[number]): number =>
    entry.info.lines - newlines(entry.record);
  const header =
    dialect.headerLine === undefined
      ? undefined
      : records.find((entry) => startLine(entry) === dialect.headerLine);
  const units =
    dialect.unitsLine === undefined
      ? undefined
      : records.find((entry) => startLine(entry) === dialect.unitsLine);
  const last = records[records.length - 1];
  if ((dialect.headerLine !== undefined && !header) || !last) {
    throw new CsvError(
      "QUBIT_CSV_HEADER_NOT_FOUND",
      `No header at line ${dialect.headerLine} of ${options.path}: the file has fewer lines`,
      {
        location: { address: options.path, line: dialect.headerLine },
        fix: "check header_line",
      },
    );
  }
  return {
    header: header?.record.map((name) => name.replace(/^\uFEFF/, "").trim()),
    units: units?.record.map((cell) => cell.trim()),
    dataOffset: last.info.bytes,
    dataLineBase: last.info.lines,
  };
}

function newlines(record: readonly string[]): number {
  let count = 0;
  for (const field of record) {
    for (
      let index = field.indexOf("\n");
      index >= 0;
      index = field.indexOf("\n", index + 1)
    )
      count += 1;
  }
  return count;
}

/** Returns the UTF-8 byte offset where a 1-based line starts. */
export function byteOffsetOfLine(text: string, line: number): number {
  let index = 0;
  for (let current = 1; current < line; current += 1) {
    const next = text.slice(index).search(/\r\n|\n|\r/);
    if (next < 0) return Buffer.byteLength(text);
    index += next + (text.startsWith("\r\n", index + next) ? 2 : 1);
  }
  return Buffer.byteLength(text.slice(0, index));
}
