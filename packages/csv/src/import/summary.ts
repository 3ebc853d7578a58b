import type { CsvConfig } from "../config.js";
import { CsvError } from "../errors.js";
import type { ProgressTracker } from "./progress.js";

/** Summary of one file's import, logged and returned at the end. */
export interface ImportSummary {
  file: string;
  status: "completed" | "skipped" | "stopped" | "failed";
  rows: number;
  readings: number;
  bad_rows: number;
  /** Rows left out: repeated headers and lines matching skip_lines_matching. */
  skipped_rows: number;
  /**
   * Readings left out in this run because an earlier row of the file gave
   * the same series, timestamp and value.
   */
  duplicates: number;
  /**
   * Readings rejected in this run because an earlier row of the file gave
   * the same series and timestamp another value. Each one is a dead
   * letter with code QUBIT_CSV_VALUE_CONFLICT, and its row counts as bad.
   */
  conflicts: number;
  /** Line the import continued after, when it resumed. */
  resumed_after_line?: number;
  duration_ms: number;
  rows_per_second: number;
  reject_file?: string;
  error?: { code: string; message: string };
}

/** Counts of one import run that the summary reports. */
export interface SummaryCounts {
  tracker: ProgressTracker;
  duplicates: number;
  conflicts: number;
  /** Rows done before this run, when it resumed. */
  resumedRows: number;
  resumedAfterLine: number | undefined;
}

/** Builds the summary of an import that started at `started` (epoch ms). */
export function buildSummary(
  file: string,
  status: ImportSummary["status"],
  counts: SummaryCounts,
  started: number,
  now: number,
  rejectFile?: string,
): ImportSummary {
  const { tracker } = counts;
  const duration = Math.max(0, now - started);
  const rows = tracker.rows - counts.resumedRows;
  const summary: ImportSummary = {
    file,
    status,
    rows: tracker.rows,
    readings: tracker.readings,
    bad_rows: tracker.badRows,
    skipped_rows: tracker.skippedRows,
    duplicates: counts.duplicates,
    conflicts: counts.conflicts,
    duration_ms: duration,
    rows_per_second: duration > 0 ? Math.round((rows * 1000) / duration) : rows,
  };
  if (counts.resumedAfterLine !== undefined && status !== "skipped")
    summary.resumed_after_line = counts.resumedAfterLine;
  if (rejectFile && tracker.badRows > 0) summary.reject_file = rejectFile;
  return summary;
}

/**
 * Returns the error that stops an import whose bad rows passed
 * max_errors or max_error_ratio, or undefined. The ratio is checked from
 * `ratioMinRows` rows on, and at the end.
 */
export function limitFailure(
  tracker: ProgressTracker,
  config: Pick<CsvConfig, "max_errors" | "max_error_ratio" | "file_path">,
  atEnd: boolean,
  ratioMinRows: number,
): CsvError | undefined {
  const { max_errors, max_error_ratio } = config;
  let reason: string | undefined;
  if (max_errors !== null && tracker.badRows > max_errors) {
    reason = `${tracker.badRows} bad rows, more than max_errors ${max_errors}`;
  } else if (
    max_error_ratio !== null &&
    (atEnd || tracker.rows >= ratioMinRows) &&
    tracker.rows > 0 &&
    tracker.badRows / tracker.rows > max_error_ratio
  ) {
    reason = `${tracker.badRows} of ${tracker.rows} rows are bad, more than max_error_ratio ${max_error_ratio}`;
  }
  if (reason === undefined) return undefined;
  return new CsvError(
    "QUBIT_CSV_TOO_MANY_ERRORS",
    `Import of ${config.file_path} stopped: ${reason}`,
    {
      value: tracker.badRows,
      location: { address: config.file_path },
      fix: "read the first bad rows in the dead letters; a wrong delimiter, timestamp_format or mapping makes every row bad",
    },
  );
}

/** Creates the error of a file that has no data rows (or no records). */
export function noDataRows(
  path: string,
  format: string,
  skippedRows: number,
): CsvError {
  const skipped =
    skippedRows > 0
      ? `; ${skippedRows} rows were skipped as repeated headers or by skip_lines_matching`
      : "";
  return new CsvError(
    "QUBIT_CSV_NO_DATA_ROWS",
    format === "csv"
      ? `File ${path} has no data rows: nothing follows its header${skipped}`
      : `File ${path} has no records${skipped}`,
    {
      value: 0,
      location: { address: path },
      fix:
        format === "csv"
          ? "check that the export finished writing the file, and that header_line names the header"
          : "check the records path and that the export finished writing the file",
    },
  );
}

/** Wraps an error of reading the input as a CsvError. */
export function toReadError(error: unknown, path: string): CsvError {
  if (error instanceof CsvError) return error;
  return new CsvError(
    "QUBIT_CSV_FILE_READ_FAILED",
    `Reading ${path} failed: ${(error as Error)?.message ?? String(error)}`,
    {
      location: { address: path },
      cause: error,
      fix: "check the file; a resumed import continues after the last accepted row",
    },
  );
}

/**
 * Returns an object without its `file` key, for a log line whose logger
 * names the file already: pino would write the key twice.
 */
export function withoutFile<T extends { file: string }>(
  fields: T,
): Omit<T, "file"> {
  const { file: _file, ...rest } = fields;
  return rest;
}
