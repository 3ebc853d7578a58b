import {
  type Diagnostic,
  FLAG_VALUES,
  QUALITY_VALUES,
  type ReadingSource,
  type TimeSeries,
} from "@qubit/core";
import { parse } from "csv-parse/sync";
import { ColumnNotFoundError, type CsvError } from "../errors.js";
import { cleanCell } from "../import/csv-cells.js";
import type { FieldSource } from "../mapping/fields.js";
import { resolveNumberFormat } from "../mapping/numbers.js";
import { RowMapper } from "../mapping/row-mapper.js";
import type { Mapping } from "../mapping/schema.js";
import type { IngestConfig } from "./config.js";

/** One bad row or record of a request body. */
export interface BodyProblem {
  /** 1-based line (CSV, NDJSON) of the row. */
  line?: number;
  /** 1-based position of the record in a JSON array. */
  record?: number;
  column?: string;
  code: string;
  message: string;
  /** The row as written (the bytes of a body that is not UTF-8), for the dead-letter output. */
  raw: string | Uint8Array;
}

/** The readings of a request body and its bad rows. */
export interface ParsedBody {
  readings: TimeSeries[];
  problems: BodyProblem[];
  /** Warnings about readings that are kept, such as a common sentinel. */
  diagnostics: Diagnostic[];
  /** Rows as written, by line (CSV, NDJSON) or record number (JSON). */
  raws: Map<number, string>;
  rows: number;
}

const _QUALITIES = new Set<string>(QUALITY_VALUES);
const _FLAGS = new Set<string>(FLAG_VALUES);
const OPTIONAL_COLUMNS = [
  "unit",
  "site_id",
  "org_id",
  "device_id",
  "quality",
] as const;

/** Parses a CSV body with a header line, by the configured or default mapping. */
export function parseCsvBody(
  text: string,
  config: IngestConfig,
  source: ReadingSource,
): ParsedBody {
  const empty = (rows: number, problems: BodyProblem[]): ParsedBody => ({
    readings: [],
    problems,
    diagnostics: [],
    raws: new Map(),
    rows,
  });
  const parsed = parseRows(text, config.delimiter);
  if ("problem" in parsed) return empty(0, [parsed.problem]);
  const [header, ...data] = parsed.rows;
  if (!header) return empty(0, []);

  const compiled = compileBodyMapper(header, config);
  if ("problem" in compiled) return empty(data.length, [compiled.problem]);

  const body = empty(data.length, []);
  for (const row of data) {
    const place = { ...source, line: row.line } as ReadingSource;
    const result = compiled.mapper.convert(row.record, place, place);
    body.diagnostics.push(...result.diagnostics);
    body.raws.set(row.line, row.raw);
    addResult(
      result.readings,
      result.rejects,
      { line: row.line, raw: row.raw },
      body.readings,
      body.problems,
    );
  }
  return body;
}

interface BodyRow {
  record: string[];
  /** Line where the row starts. */
  line: number;
  raw: string;
}

function parseRows(
  text: string,
  delimiter: string,
): { rows: BodyRow[] } | { problem: BodyProblem } {
  let parsed: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    // Cells are trimmed when read: csv-parse's trim would also eat the
    // line breaks of blank lines and miscount lines.
    parsed = parse(text, {
      delimiter,
      bom: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
    }) as unknown as typeof parsed;
  } catch (error) {
    return {
      problem: {
        line: (error as { lines?: number }).lines ?? 1,
        code: "QUBIT_CSV_ROW_MALFORMED",
        message: `Malformed CSV: ${(error as Error).message}`,
        raw: "",
      },
    };
  }
  const rows: BodyRow[] = [];
  for (const entry of parsed) {
    const raw = entry.raw.replace(/^[\r\n]+|[\r\n]+$/g, "");
    if (entry.record.length === 1 && entry.record[0]!.trim() === "") continue;
    const inside = raw.split("\n").length - 1;
    rows.push({ record: entry.record, line: entry.info.lines - inside, raw });
  }
  return { rows };
}

function compileBodyMapper(
  header: BodyRow,
  config: IngestConfig,
): { mapper: RowMapper<string[]> } | { problem: BodyProblem } {
  const columns = header.record.map((name) =>
    name.replace(/^\uFEFF/, "").trim(),
  );
  const index = new Map(columns.map((name, position) => [name, position]));
  const fieldSource: FieldSource<string[]> = {
    paths: false,
    has: (name) => index.has(name),
    getter: (name, field) => {
      const position = index.get(name);
      if (position === undefined) {
        throw new ColumnNotFoundError(name, columns, field);
      }
      return (fields) => cleanCell(fields[position]);
    },
  };
  const decimal =
    config.decimal_separator === "auto" ? "." : config.decimal_separator;
  try {
    const mapper = new RowMapper({
      mapping: config.mapping ?? defaultMapping(columns),
      source: fieldSource,
      columns,
      time: config,
      numbers: resolveNumberFormat(decimal, config.thousands_separator),
      missingValues: config.missing_values,
      sentinelValues: config.sentinel_values,
      validFlags: config.value_flags?.valid,
      onMissing: config.on_missing,
      placeKey: "column",
      // The endpoint checks repeats across requests, against what it accepted.
      checkRepeats: false,
    });
    return { mapper };
  } catch (error) {
    return {
      problem: {
        line: header.line,
        code: (error as CsvError).code ?? "QUBIT_CSV_MAPPING_INVALID",
        message: error instanceof Error ? error.message : String(error),
        raw: header.raw,
      },
    };
  }
}

function defaultMapping(columns: readonly string[]): Mapping {
  const mapping: Mapping = {
    timestamp: "timestamp",
    asset_id: "asset_id",
    metric: "metric",
    value: "value",
    exclude: [],
    time_slots: false,
  };
  for (const name of OPTIONAL_COLUMNS) {
    if (columns.includes(name)) mapping[name] = name;
  }
  return mapping;
}

function addResult(
  found: TimeSeries[],
  rejects: Diagnostic[],
  where: { line: number; raw: string },
  readings: TimeSeries[],
  problems: BodyProblem[],
): void {
  if (rejects.length === 0) {
    readings.push(...found);
    return;
  }
  for (const reject of rejects) {
    const column = reject.location?.column;
    problems.push({
      line: where.line,
      ...(column === undefined ? {} : { column: String(column) }),
      code: reject.code,
      message: reject.message,
      raw: where.raw,
    });
  }
}
