import { TimeError } from "../errors.js";
import { compileFormat, type ParsedFields } from "./format.js";
import { formatIsoUtc } from "./iso-utc.js";
import {
  type AmbiguousTimePolicy,
  type LocalDateTime,
  localToUtc,
  type NonexistentTimePolicy,
  ZoneConverter,
} from "./zone.js";

/**
 * Named formats understood besides strftime and token patterns:
 * - `auto`: ISO 8601, or an epoch number (seconds when it has 10 or fewer
 *   integer digits, milliseconds above that).
 * - `iso8601`: ISO 8601 / RFC 3339 only.
 * - `epoch_s`, `epoch_ms`: a number of seconds or milliseconds since
 *   1970-01-01T00:00:00Z.
 */
export const NAMED_FORMATS = [
  "auto",
  "iso8601",
  "epoch_s",
  "epoch_ms",
] as const;

/** Options of {@link createTimestampParser}. */
export interface TimestampParserOptions {
  /** A named format, a strftime format or a token format; default `auto`. */
  format?: string;
  /** IANA zone of timestamps without an offset; default `UTC`. */
  timezone?: string;
  /** Policy for local times repeated by a daylight-saving change; default `earlier`. */
  ambiguous?: AmbiguousTimePolicy;
  /** Policy for local times skipped by a daylight-saving change; default `reject`. */
  nonexistent?: NonexistentTimePolicy;
}

/** Turns timestamps of one source into UTC epoch milliseconds. */
export interface TimestampParser {
  readonly format: string;
  readonly timezone: string;
  /**
   * Parses a timestamp to epoch milliseconds. `series` names the series
   * the value belongs to, for the `sequence` ambiguous-time policy.
   * Throws a {@link TimeError} that names the value and the fix.
   */
  parse(input: string | number, series?: string): number;
}

const ISO_PATTERN =
  /^\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$/;

const EPOCH_PATTERN = /^\s*-?\d+(?:\.\d+)?\s*$/;
const MAX_SERIES_TRACKED = 100_000;

/** Creates a parser for one format and zone; compile once, parse many. */
export function createTimestampParser(
  options: TimestampParserOptions = {},
): TimestampParser {
  const format = options.format ?? "auto";
  const timezone = options.timezone ?? "UTC";
  const ambiguous = options.ambiguous ?? "earlier";
  const nonexistent = options.nonexistent ?? "reject";
  const converter = new ZoneConverter(timezone);
  const compiled =
    (NAMED_FORMATS as readonly string[]).includes(format) ||
    format === "iso" ||
    format === "epoch"
      ? undefined
      : compileFormat(format);
  const lastBySeries = new Map<string, number>();

  const secondPass =
    (series: string) =>
    (earlier: number, later: number): boolean => {
      const last = lastBySeries.get(series);
      return last !== undefined && earlier <= last && later > last;
    };

  const toUtc = (
    fields: ParsedFields,
    input: string,
    series: string,
  ): number => {
    if (fields.epochMs !== undefined) return fields.epochMs;
    const local = completeFields(fields, input, format);
    if (fields.offsetMs !== undefined) {
      return (
        Date.UTC(
          local.year,
          local.month - 1,
          local.day,
          local.hour,
          local.minute,
          local.second,
          local.millisecond,
        ) - fields.offsetMs
      );
    }
    return localToUtc(
      converter,
      local,
      ambiguous,
      nonexistent,
      ambiguous === "sequence" ? secondPass(series) : undefined,
    );
  };

  const remember = (series: string, instant: number): number => {
    if (ambiguous === "sequence") {
      if (
        lastBySeries.size >= MAX_SERIES_TRACKED &&
        !lastBySeries.has(series)
      ) {
        lastBySeries.clear();
      }
      lastBySeries.set(series, instant);
    }
    return instant;
  };

  return {
    format,
    timezone,
    parse(input, series = "") {
      if (typeof input === "number") {
        return remember(series, fromEpochNumber(input, format, input));
      }
      if (compiled) {
        const fields = compiled.parse(input);
        if (!fields) throw mismatch(input, format);
        return remember(series, toUtc(fields, input, series));
      }
      if (
        format !== "iso8601" &&
        format !== "iso" &&
        EPOCH_PATTERN.test(input)
      ) {
        return remember(series, fromEpochNumber(Number(input), format, input));
      }
      if (format === "epoch_s" || format === "epoch_ms" || format === "epoch") {
        throw mismatch(input, format);
      }
      const fields = parseIsoFields(input);
      if (!fields) throw mismatch(input, format);
      return remember(series, toUtc(fields, input, series));
    },
  };
}

function fromEpochNumber(
  value: number,
  format: string,
  input: unknown,
): number {
  if (!Number.isFinite(value)) throw mismatch(String(input), format);
  if (format === "epoch_ms") return Math.round(value);
  if (format === "epoch_s") return Math.round(value * 1000);
  if (format === "iso8601" || format === "iso")
    throw mismatch(String(input), format);
  // 10 integer digits of seconds reach the year 2286; more digits are
  // milliseconds.
  return Math.abs(value) < 1e11 ? Math.round(value * 1000) : Math.round(value);
}

/** Extracts the fields of an ISO 8601 timestamp, or `undefined`. */
export function parseIsoFields(text: string): ParsedFields | undefined {
  const match = ISO_PATTERN.exec(text);
  if (!match) return undefined;
  const fields: ParsedFields = {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(match[4] ?? 0),
    minute: Number(match[5] ?? 0),
    second: Number(match[6] ?? 0),
    millisecond: match[7] ? Math.round(Number(`0.${match[7]}`) * 1000) : 0,
  };
  const zone = match[8];
  if (zone) {
    if (zone === "Z" || zone === "z" || zone === "UTC") fields.offsetMs = 0;
    else {
      const sign = zone[0] === "-" ? -1 : 1;
      const digits = zone.slice(1).replace(":", "");
      fields.offsetMs =
        sign *
        (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) *
        60_000;
    }
  }
  return fields;
}

function completeFields(
  fields: ParsedFields,
  input: string,
  format: string,
): LocalDateTime {
  let hour = fields.hour ?? 0;
  if (fields.hour12 !== undefined) {
    hour = (fields.hour12 % 12) + (fields.pm ? 12 : 0);
  } else if (fields.pm && hour < 12) {
    hour += 12;
  }
  let month = fields.month ?? 1;
  let day = fields.day ?? 1;
  const year = fields.year;
  if (year === undefined) throw mismatch(input, format, "it has no year");
  if (fields.dayOfYear !== undefined) {
    const date = new Date(Date.UTC(year, 0, fields.dayOfYear));
    month = date.getUTCMonth() + 1;
    day = date.getUTCDate();
  }
  const local: LocalDateTime = {
    year,
    month,
    day,
    hour,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
    millisecond: fields.millisecond ?? 0,
  };
  // "24:00" closes a day in many meter exports; it is the next midnight.
  if (local.hour === 24 && local.minute === 0 && local.second === 0) {
    const next = new Date(Date.UTC(year, month - 1, day + 1));
    local.year = next.getUTCFullYear();
    local.month = next.getUTCMonth() + 1;
    local.day = next.getUTCDate();
    local.hour = 0;
  }
  checkRanges(local, input, format);
  return local;
}

function checkRanges(
  local: LocalDateTime,
  input: string,
  format: string,
): void {
  const problem =
    local.month < 1 || local.month > 12
      ? `month ${local.month} is not 1 to 12`
      : local.day < 1 || local.day > daysInMonth(local.year, local.month)
        ? `day ${local.day} does not exist in ${local.year}-${String(local.month).padStart(2, "0")}`
        : local.hour > 23
          ? `hour ${local.hour} is not 0 to 23`
          : local.minute > 59
            ? `minute ${local.minute} is not 0 to 59`
            : local.second > 60
              ? `second ${local.second} is not 0 to 59`
              : undefined;
  if (problem) throw mismatch(input, format, problem);
  // A leap second is stored as the last millisecond of its minute.
  if (local.second === 60) {
    local.second = 59;
    local.millisecond = 999;
  }
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function mismatch(input: string, format: string, reason?: string): TimeError {
  const expected =
    format === "auto"
      ? "an ISO 8601 timestamp or an epoch number"
      : `the format "${format}"`;
  const why = reason ? `: ${reason}` : "";
  return new TimeError(
    "QUBIT_CORE_TIME_INVALID",
    `Invalid timestamp ${JSON.stringify(input)}: expected ${expected}${why}`,
    {
      value: input,
      fix: 'set timestamp_format to the format of the source, for example "%d.%m.%Y %H:%M"',
    },
  );
}

/** Formats epoch milliseconds as ISO 8601 UTC with milliseconds. */
export function toIsoUtc(epochMs: number): string {
  return formatIsoUtc(epochMs);
}

/** Returns whether a string is ISO 8601 UTC with milliseconds, as readings carry. */
export function isIsoUtcMillis(text: string): boolean {
  return (
    text.length === 24 &&
    text.charCodeAt(23) === 90 &&
    text.charCodeAt(10) === 84 &&
    ISO_UTC_MS.test(text)
  );
}

const ISO_UTC_MS =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

const defaultParser = createTimestampParser();

/**
 * Parses an ISO 8601 timestamp or epoch number to epoch milliseconds,
 * reading a timestamp without an offset as UTC.
 */
export function parseTimestamp(input: string | number): number {
  return defaultParser.parse(input);
}

export type { AmbiguousTimePolicy, NonexistentTimePolicy };
