import { TimeError } from "../errors.js";

/**
 * What to do with a local time that occurs twice, in the hour repeated
 * when clocks go back:
 * - `earlier`: the first occurrence (still summer time); Temporal's
 *   "compatible" choice.
 * - `later`: the second occurrence (standard time).
 * - `sequence`: by the order of the input. The first pass through the
 *   repeated hour is summer time; a local time that does not move forward
 *   from the previous one of the same series is the second pass. Inputs
 *   must be in ascending time order per series.
 * - `reject`: raise `QUBIT_CORE_TIME_AMBIGUOUS`.
 */
export type AmbiguousTimePolicy = "earlier" | "later" | "sequence" | "reject";

/**
 * What to do with a local time that does not exist, in the hour skipped
 * when clocks go forward:
 * - `reject`: raise `QUBIT_CORE_TIME_NONEXISTENT` (the default, because
 *   such a time usually means a wrong `timezone`).
 * - `shift_forward`: move it forward by the length of the gap (02:30
 *   becomes 03:30), as Temporal's "compatible" choice does.
 */
export type NonexistentTimePolicy = "reject" | "shift_forward";

/** Wall-clock fields of a local time; `month` is 1 to 12. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

type Resolution =
  | { kind: "unique"; offset: number }
  | { kind: "ambiguous"; earlier: number; later: number }
  | { kind: "gap"; before: number; after: number };

const QUARTER_HOUR_MS = 900_000;
const DAY_MS = 86_400_000;
const MAX_CACHE_ENTRIES = 200_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch (error) {
      throw new TimeError(
        "QUBIT_CORE_TIMEZONE_UNKNOWN",
        `Unknown time zone "${zone}"`,
        {
          value: zone,
          fix: 'use an IANA zone name such as "Europe/Berlin", "America/Los_Angeles" or "UTC"',
          cause: error,
        },
      );
    }
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Throws a {@link TimeError} unless `zone` is a known IANA zone name. */
export function assertTimeZone(zone: string): void {
  formatterFor(zone);
}

/**
 * Converts local wall-clock times of one IANA zone to UTC instants. It
 * caches the zone offset per 15 minutes of UTC time and the resolution per
 * 15 minutes of local time, because every daylight-saving change since
 * 1970 falls on a quarter hour; a cached conversion costs a map lookup
 * instead of two or three `Intl` calls.
 */
export class ZoneConverter {
  readonly zone: string;
  readonly fixedOffsetMs: number | undefined;
  private readonly offsets = new Map<number, number>();
  private readonly resolutions = new Map<number, Resolution>();

  constructor(zone: string) {
    this.zone = zone;
    this.fixedOffsetMs = fixedOffsetOf(zone);
    if (this.fixedOffsetMs === undefined) formatterFor(zone);
  }

  /** Returns the zone's UTC offset in milliseconds at a UTC instant. */
  offsetAt(utcMs: number): number {
    if (this.fixedOffsetMs !== undefined) return this.fixedOffsetMs;
    const bucket = Math.floor(utcMs / QUARTER_HOUR_MS);
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) return cached;
    if (this.offsets.size >= MAX_CACHE_ENTRIES) this.offsets.clear();
    const offset = computeOffset(this.zone, bucket * QUARTER_HOUR_MS);
    this.offsets.set(bucket, offset);
    return offset;
  }

  /**
   * Classifies a local time, given as its wall-clock reading counted in
   * milliseconds as if it were UTC.
   */
  resolve(localMs: number): Resolution {
    if (this.fixedOffsetMs !== undefined) {
      return { kind: "unique", offset: this.fixedOffsetMs };
    }
    const bucket = Math.floor(localMs / QUARTER_HOUR_MS);
    const cached = this.resolutions.get(bucket);
    if (cached) return cached;
    if (this.resolutions.size >= MAX_CACHE_ENTRIES) this.resolutions.clear();
    const resolution = this.classify(localMs);
    this.resolutions.set(bucket, resolution);
    return resolution;
  }

  private classify(localMs: number): Resolution {
    // Offsets a day before and after bracket at most one transition, and
    // each candidate is a valid reading only if it maps back to itself.
    const before = this.offsetAt(localMs - DAY_MS);
    const after = this.offsetAt(localMs + DAY_MS);
    const valid = [...new Set([before, after])].filter(
      (offset) => this.offsetAt(localMs - offset) === offset,
    );
    if (valid.length === 1) return { kind: "unique", offset: valid[0]! };
    if (valid.length === 2) {
      const [a, b] = valid as [number, number];
      return {
        kind: "ambiguous",
        earlier: Math.max(a, b),
        later: Math.min(a, b),
      };
    }
    if (before === after) {
      return { kind: "unique", offset: this.offsetAt(localMs - before) };
    }
    return { kind: "gap", before, after };
  }
}

function computeOffset(zone: string, utcMs: number): number {
  const parts = formatterFor(zone).formatToParts(new Date(utcMs));
  const field = (type: string): number =>
    Number(parts.find((part) => part.type === type)?.value);
  const asUtc = Date.UTC(
    field("year"),
    field("month") - 1,
    field("day"),
    field("hour"),
    field("minute"),
    field("second"),
  );
  return asUtc - (utcMs - (utcMs % 1000));
}

const FIXED_ZONE =
  /^(?:UTC|GMT|Z|Etc\/UTC|Etc\/GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/;

function fixedOffsetOf(zone: string): number | undefined {
  if (zone === "UTC" || zone === "Etc/UTC" || zone === "GMT" || zone === "Z") {
    return 0;
  }
  const match = FIXED_ZONE.exec(zone);
  if (!match || zone.startsWith("Etc/")) return undefined;
  const sign = match[1] === "-" ? -1 : 1;
  return sign * (Number(match[2]) * 60 + Number(match[3] ?? 0)) * 60_000;
}

/** The place of a time in an input, for error messages. */
export type TimeContext = { input?: string; zone: string };

/**
 * Converts a local time to a UTC instant by the two daylight-saving
 * policies. `isSecondPass` answers the `sequence` policy for an ambiguous
 * time; without it `sequence` acts as `earlier`.
 */
export function localToUtc(
  converter: ZoneConverter,
  local: LocalDateTime,
  ambiguous: AmbiguousTimePolicy,
  nonexistent: NonexistentTimePolicy,
  isSecondPass?: (earlierMs: number, laterMs: number) => boolean,
): number {
  const localMs = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
    local.millisecond,
  );
  const resolution = converter.resolve(localMs);
  switch (resolution.kind) {
    case "unique":
      return localMs - resolution.offset;
    case "ambiguous": {
      const earlier = localMs - resolution.earlier;
      const later = localMs - resolution.later;
      if (ambiguous === "earlier") return earlier;
      if (ambiguous === "later") return later;
      if (ambiguous === "sequence") {
        return isSecondPass?.(earlier, later) ? later : earlier;
      }
      throw new TimeError(
        "QUBIT_CORE_TIME_AMBIGUOUS",
        `Local time ${formatLocal(local)} occurs twice in ${converter.zone} (clocks go back); it may be ${new Date(earlier).toISOString()} or ${new Date(later).toISOString()}`,
        {
          value: formatLocal(local),
          fix: 'set the ambiguous-time policy to "sequence", "earlier" or "later", or use timestamps with a UTC offset',
        },
      );
    }
    case "gap": {
      if (nonexistent === "shift_forward") return localMs - resolution.before;
      const gapMinutes =
        Math.abs(resolution.after - resolution.before) / 60_000;
      throw new TimeError(
        "QUBIT_CORE_TIME_NONEXISTENT",
        `Local time ${formatLocal(local)} does not exist in ${converter.zone}: clocks skip ${gapMinutes} minutes there`,
        {
          value: formatLocal(local),
          fix: 'check the "timezone" setting, or set the nonexistent-time policy to "shift_forward" to keep the value',
        },
      );
    }
  }
}

/** Formats wall-clock fields as `YYYY-MM-DD HH:MM:SS`. */
export function formatLocal(local: LocalDateTime): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)} ${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}`;
}
