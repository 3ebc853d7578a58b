import { QubitError, type QubitErrorOptions } from "@qubit/core";

/**
 * Error codes of `@qubit/csv`, with what each one means. Codes used for
 * bad rows appear in dead letters and in the reject summary; the others
 * are thrown or reported as connector faults.
 */
export const CsvErrorCodes = {
  QUBIT_CSV_FILE_NOT_FOUND: "The input file does not exist.",
  QUBIT_CSV_FILE_READ_FAILED: "The input file cannot be read or decoded.",
  QUBIT_CSV_FILE_EMPTY:
    "The input file is empty (0 bytes, or only blanks and a byte-order mark).",
  QUBIT_CSV_ENCODING_GUESSED:
    "The input file is not valid UTF-8, so encoding auto read it as Windows-1252 (a warning).",
  QUBIT_CSV_NO_DATA_ROWS:
    "The input file has a header but no data rows or records.",
  QUBIT_CSV_HEADER_NOT_FOUND:
    "No header line was found where the configuration expects it.",
  QUBIT_CSV_HEADER_EMPTY_COLUMN:
    "The header has an empty column name (often a trailing delimiter); the column is ignored.",
  QUBIT_CSV_HEADER_DUPLICATE:
    "Two header columns have the same name; the mapping uses the first.",
  QUBIT_CSV_COLUMN_NOT_FOUND:
    "The mapping names a column that the header does not have.",
  QUBIT_CSV_MAPPING_INVALID: "The mapping cannot be applied to the input.",
  QUBIT_CSV_ROW_MALFORMED:
    "A row cannot be parsed as CSV (for example an unclosed quote).",
  QUBIT_CSV_ROW_FIELD_COUNT:
    "A row has a different number of fields than the header.",
  QUBIT_CSV_TIMESTAMP_INVALID:
    "A timestamp is empty or does not match the configured format.",
  QUBIT_CSV_TIMESTAMP_NONEXISTENT:
    "A local timestamp falls in the hour skipped by a daylight-saving change.",
  QUBIT_CSV_TIMESTAMP_AMBIGUOUS:
    "A local timestamp falls in the repeated hour and the policy is reject.",
  QUBIT_CSV_FIELD_MISSING: "A required field (such as asset_id) is empty.",
  QUBIT_CSV_VALUE_INVALID:
    "A value cell is not a number of the configured form.",
  QUBIT_CSV_VALUE_FLAGGED:
    "A value cell carries a validity flag that marks it as not valid.",
  QUBIT_CSV_VALUE_SENTINEL:
    "A value equals a common missing-value sentinel (-999, -9999, -99999) and sentinel_values is empty; it is kept as a number.",
  QUBIT_CSV_VALUE_CONFLICT:
    "Two rows give one series and timestamp different values; the first is kept and the other is rejected.",
  QUBIT_CSV_TIMESTAMP_OUT_OF_ORDER:
    "A series goes back in time while ambiguous_time is sequence, so times in a repeated daylight-saving hour may be an hour off.",
  QUBIT_CSV_UNIT_UNKNOWN:
    "A unit is not in the unit table; readings keep it as written.",
  QUBIT_CSV_UNIT_MISSING: "A value column has no unit.",
  QUBIT_CSV_TOO_MANY_ERRORS:
    "The import stopped because bad rows passed max_errors or max_error_ratio.",
  QUBIT_CSV_CHECKPOINT_STALE:
    "The file changed since its checkpoint; the import starts again.",
  QUBIT_CSV_JSON_INVALID: "A JSON document or NDJSON line cannot be parsed.",
  QUBIT_CSV_JSON_TOO_DEEP:
    "An ingest JSON body or NDJSON line nests arrays and objects deeper than 64 levels.",
  QUBIT_CSV_XML_INVALID: "A Green Button XML document cannot be read.",
  QUBIT_CSV_RECORD_INVALID:
    "A JSON record lacks a field the mapping needs or has a wrong type.",
  QUBIT_CSV_REST_HTTP_STATUS: "A REST request returned an error status.",
  QUBIT_CSV_REST_REQUEST_FAILED:
    "A REST request failed (connection refused, timeout, DNS).",
  QUBIT_CSV_REST_RESPONSE_INVALID:
    "A REST response is not JSON or lacks the configured records path.",
  QUBIT_CSV_INGEST_UNAUTHORIZED:
    "An ingest request has no bearer token or a wrong one.",
  QUBIT_CSV_INGEST_TOO_LARGE: "An ingest request body is over max_body_bytes.",
  QUBIT_CSV_INGEST_BODY_INVALID: "An ingest request body has invalid rows.",
  QUBIT_CSV_INGEST_NOT_UTF8:
    "An ingest request body is not valid UTF-8; the dead letter keeps it as base64.",
  QUBIT_CSV_INGEST_LISTEN_FAILED: "The ingest endpoint cannot listen.",
  QUBIT_CSV_INGEST_NOT_ACCEPTED:
    "The outputs did not accept an ingest request's readings in time (HTTP 503); the client sends it again.",
} as const;

/** A code of {@link CsvErrorCodes}. */
export type CsvErrorCode = keyof typeof CsvErrorCodes;

/** An error of the CSV, JSON file, REST or ingest connectors. */
export class CsvError extends QubitError {
  declare readonly code: CsvErrorCode;

  constructor(
    code: CsvErrorCode,
    message: string,
    options: QubitErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/**
 * A mapping that names a column the file does not have. `columns` lists
 * the header, so the message can offer the right name.
 */
export class ColumnNotFoundError extends CsvError {
  readonly column: string;
  readonly columns: readonly string[];

  constructor(
    column: string,
    columns: readonly string[],
    field: string,
    file?: string,
  ) {
    const listed = columns.map((name) => JSON.stringify(name)).join(", ");
    super(
      "QUBIT_CSV_COLUMN_NOT_FOUND",
      `mapping.${field}: column ${JSON.stringify(column)} is not in the header${file ? ` of ${file}` : ""}; the columns are ${listed}`,
      {
        value: column,
        location: {
          field: `mapping.${field}`,
          ...(file === undefined ? {} : { file }),
        },
        fix: `use one of the column names, or write {"const": ${JSON.stringify(column)}} for a fixed value`,
      },
    );
    this.column = column;
    this.columns = columns;
  }
}

/** An HTTP status a REST poll received, with the server's retry hint. */
export class RestStatusError extends CsvError {
  readonly status: number;
  /** Delay the server asked for in `Retry-After`, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    status: number,
    url: string,
    retryAfterMs: number | undefined,
    body: string,
  ) {
    super(
      "QUBIT_CSV_REST_HTTP_STATUS",
      `GET ${url} returned HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ""}`,
      {
        value: status,
        location: { address: url },
        fix:
          status === 401 || status === 403
            ? "check the credentials in headers"
            : status === 404
              ? "check the url"
              : "the request is retried with backoff",
      },
    );
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }

  /** True for statuses worth retrying: 408, 425, 429 and 5xx. */
  get retryable(): boolean {
    return (
      this.status === 408 ||
      this.status === 425 ||
      this.status === 429 ||
      this.status >= 500
    );
  }
}
