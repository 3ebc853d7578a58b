import {
  checkReading,
  createReading,
  createTimestampParser,
  type Diagnostic,
  dimensionOf,
  FLAG_VALUES,
  type Flag,
  QUALITY_VALUES,
  type Quality,
  type ReadingSource,
  type TimeSeries,
  type TimestampParser,
} from "@qubit/core";
import { CsvError, type CsvErrorCode } from "../errors.js";
import { createNumberParser, resolveNumberFormat } from "../mapping/numbers.js";
import { COMMON_SENTINELS } from "../mapping/row-checks.js";
import type { BodyProblem, ParsedBody } from "./bodies.js";
import { MAX_JSON_DEPTH, tooDeepJsonOffset } from "./body-checks.js";
import type { IngestConfig } from "./config.js";

const QUALITIES = new Set<string>(QUALITY_VALUES);
const FLAGS = new Set<string>(FLAG_VALUES);

/** Value rules of one body, from the ingest config's value options. */
interface ValueRules {
  parseNumber: (text: string) => number;
  sentinels: ReadonlySet<number>;
  /** Metrics already warned about a common sentinel in this body. */
  warnedMetrics: Set<string>;
  diagnostics: Diagnostic[];
}

/** Parses an NDJSON body (one reading per line) or a JSON body. */
export function parseJsonBody(
  text: string,
  ndjson: boolean,
  config: IngestConfig,
  source: ReadingSource,
): ParsedBody {
  const parser = createTimestampParser({
    format: config.timestamp_format,
    timezone: config.timezone,
    ambiguous:
      config.ambiguous_time === "sequence" ? "earlier" : config.ambiguous_time,
    nonexistent: config.nonexistent_time,
  });
  const decimal =
    config.decimal_separator === "auto" ? "." : config.decimal_separator;
  const rules: ValueRules = {
    parseNumber: createNumberParser(
      resolveNumberFormat(decimal, config.thousands_separator),
    ),
    sentinels: new Set(config.sentinel_values),
    warnedMetrics: new Set(),
    diagnostics: [],
  };
  const readings: TimeSeries[] = [];
  const problems: BodyProblem[] = [];
  const raws = new Map<number, string>();
  let items: { value: unknown; raw: string; line?: number; record?: number }[] =
    [];
  if (ndjson) {
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, index) => {
      if (raw.trim() === "") return;
      const deep = tooDeepProblem(raw, index + 1);
      if (deep) {
        problems.push(deep);
        return;
      }
      try {
        items.push({ value: JSON.parse(raw), raw, line: index + 1 });
      } catch (error) {
        problems.push({
          line: index + 1,
          code: "QUBIT_CSV_JSON_INVALID",
          message: `Invalid JSON: ${(error as Error).message}`,
          raw,
        });
      }
    });
  } else {
    const deep = tooDeepProblem(text, 1);
    if (deep) {
      return { readings, rows: 0, diagnostics: [], raws, problems: [deep] };
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      return {
        readings,
        rows: 0,
        diagnostics: [],
        raws,
        problems: [
          {
            line: 1,
            code: "QUBIT_CSV_JSON_INVALID",
            message: `Invalid JSON: ${(error as Error).message}`,
            raw: text.slice(0, 200),
          },
        ],
      };
    }
    const list = Array.isArray(document)
      ? document
      : document !== null &&
          typeof document === "object" &&
          Array.isArray((document as { readings?: unknown }).readings)
        ? (document as { readings: unknown[] }).readings
        : [document];
    items = list.map((value, index) => ({
      value,
      raw: JSON.stringify(value),
      record: index + 1,
    }));
  }
  for (const item of items) {
    const place = {
      ...source,
      ...(item.line === undefined
        ? { record: item.record }
        : { line: item.line }),
    } as ReadingSource;
    const where =
      item.line === undefined ? { record: item.record! } : { line: item.line };
    try {
      readings.push(readingFromJson(item.value, parser, place, rules));
      raws.set(item.line ?? item.record!, item.raw);
    } catch (error) {
      const problem = error as CsvError;
      problems.push({
        ...where,
        ...(problem.location?.field
          ? { column: String(problem.location.field) }
          : {}),
        code: problem.code ?? "QUBIT_CSV_RECORD_INVALID",
        message: problem.message,
        raw: item.raw,
      });
    }
  }
  return {
    readings,
    problems,
    diagnostics: rules.diagnostics,
    raws,
    rows:
      items.length +
      problems.filter(
        (problem) =>
          problem.code === "QUBIT_CSV_JSON_INVALID" ||
          problem.code === "QUBIT_CSV_JSON_TOO_DEEP",
      ).length,
  };
}

/** Returns the problem of JSON text nested deeper than the limit, if it is. */
function tooDeepProblem(raw: string, line: number): BodyProblem | undefined {
  const offset = tooDeepJsonOffset(raw);
  if (offset < 0) return undefined;
  return {
    line,
    code: "QUBIT_CSV_JSON_TOO_DEEP",
    message: `JSON nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels (level ${MAX_JSON_DEPTH + 1} opens at character ${offset}); send flat reading objects`,
    raw,
  };
}

function invalid(
  field: string,
  message: string,
  value?: unknown,
  code: CsvErrorCode = "QUBIT_CSV_RECORD_INVALID",
): CsvError {
  return new CsvError(code, `${field}: ${message}`, {
    location: { field },
    value,
  });
}

function readingFromJson(
  value: unknown,
  parser: TimestampParser,
  source: ReadingSource,
  rules: ValueRules,
): TimeSeries {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(
      "(record)",
      "expected a JSON object with asset_id, metric, value and timestamp",
    );
  }
  const item = value as Record<string, unknown>;
  const text = (field: string, required: boolean): string | undefined => {
    const found = item[field];
    if (found === undefined || found === null || found === "") {
      if (required) throw invalid(field, "is required");
      return undefined;
    }
    if (typeof found !== "string")
      throw invalid(
        field,
        `expected a string, got ${JSON.stringify(found)}`,
        found,
      );
    return found;
  };
  const asset = text("asset_id", true)!;
  const metric = text("metric", true)!;
  const stamp = item.timestamp;
  if (typeof stamp !== "string" && typeof stamp !== "number")
    throw invalid(
      "timestamp",
      "is required: an ISO 8601 string or epoch number",
    );
  let instant: number;
  try {
    instant = parser.parse(stamp);
  } catch (error) {
    throw invalid("timestamp", (error as Error).message, stamp);
  }
  if (!("value" in item))
    throw invalid("value", "is required (null for a missing value)");
  const raw = item.value;
  if (
    raw !== null &&
    typeof raw !== "number" &&
    typeof raw !== "boolean" &&
    typeof raw !== "string"
  ) {
    throw invalid(
      "value",
      `expected a number, boolean, string or null, got ${JSON.stringify(raw)}`,
      raw,
    );
  }
  if (typeof raw === "number" && !Number.isFinite(raw))
    throw invalid("value", "must be finite", raw);
  const unit = text("unit", false);
  const read = readValue(raw, unit, metric, rules, source);
  const quality = text("quality", false);
  if (quality !== undefined && !QUALITIES.has(quality))
    throw invalid(
      "quality",
      `must be one of ${QUALITY_VALUES.join(", ")}`,
      quality,
    );
  const flags = item.flags;
  if (
    flags !== undefined &&
    (!Array.isArray(flags) || flags.some((flag) => !FLAGS.has(String(flag))))
  ) {
    throw invalid(
      "flags",
      `must be a list of ${FLAG_VALUES.join(", ")}`,
      flags,
    );
  }
  const metadata = item.metadata;
  if (
    metadata !== undefined &&
    (metadata === null ||
      typeof metadata !== "object" ||
      Array.isArray(metadata))
  ) {
    throw invalid("metadata", "must be an object", metadata);
  }
  const reading = createReading({
    asset_id: asset,
    metric,
    value: read.value,
    unit,
    timestamp: instant,
    site_id: text("site_id", false),
    org_id: text("org_id", false),
    device_id: text("device_id", false),
    quality:
      (quality as Quality | undefined) ??
      (read.value === null ? "missing" : "measured"),
    flags: flags as Flag[] | undefined,
    metadata:
      read.reason === undefined
        ? (metadata as Record<string, unknown> | undefined)
        : {
            ...(metadata as Record<string, unknown> | undefined),
            quality_reason: read.reason,
          },
    source,
  });
  // The schema check names the field first: "unit: expected string ...".
  const problem = checkReading(reading);
  if (problem !== undefined) {
    const [field = "(record)", ...rest] = problem.split(": ");
    throw invalid(field, rest.join(": ") || problem);
  }
  return reading;
}

/**
 * Reads the value of a JSON reading. A unit of a physical quantity (kW,
 * Wh, V, ...) needs a number: a numeric string such as "4.2" becomes one,
 * other text ("NaN", "", "hello") and booleans are rejected. A configured
 * sentinel becomes null with a reason, and a common sentinel without
 * configured ones gets a warning once per metric and body.
 */
function readValue(
  raw: TimeSeries["value"],
  unit: string | undefined,
  metric: string,
  rules: ValueRules,
  place: ReadingSource,
): { value: TimeSeries["value"]; reason?: string } {
  let value = raw;
  const dimension = unit === undefined ? undefined : dimensionOf(unit);
  if (
    dimension !== undefined &&
    dimension !== "boolean" &&
    value !== null &&
    typeof value !== "number"
  ) {
    const parsed =
      typeof value === "string" ? rules.parseNumber(value.trim()) : Number.NaN;
    if (!Number.isFinite(parsed)) {
      throw invalid(
        "value",
        `expected a number for unit ${JSON.stringify(unit)}, got ${JSON.stringify(value)}; send null for a missing value`,
        value,
        "QUBIT_CSV_VALUE_INVALID",
      );
    }
    value = parsed;
  }
  if (typeof value !== "number") return { value };
  if (rules.sentinels.has(value)) {
    return { value: null, reason: `sentinel value ${value}` };
  }
  if (
    rules.sentinels.size === 0 &&
    COMMON_SENTINELS.has(value) &&
    !rules.warnedMetrics.has(metric)
  ) {
    rules.warnedMetrics.add(metric);
    rules.diagnostics.push({
      code: "QUBIT_CSV_VALUE_SENTINEL",
      message: `Value ${value} of metric ${JSON.stringify(metric)} is a common missing-value sentinel, but sentinel_values is empty, so it is kept as a measured number (reported once per metric and request)`,
      location: { ...place, field: "value" },
      value,
      fix: `if ${value} means "no value", set "sentinel_values": [${value}] in the http_ingest config, or send null`,
    });
  }
  return { value };
}
