import { CsvError } from "../errors.js";

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses an interval such as `15m` or `1h` to milliseconds. */
export function intervalMs(interval: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(interval);
  if (!match) {
    throw new CsvError(
      "QUBIT_CSV_MAPPING_INVALID",
      `interval ${JSON.stringify(interval)} is not a duration`,
      { value: interval, fix: 'write it as "15m", "1h" or "1d"' },
    );
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * Returns the format of a time-slot column's timestamp: the date format
 * followed by the slot's `HH:MM`.
 */
export function slotFormat(format: string): string {
  if (format.includes("%")) return `${format} %H:%M`;
  if (format === "auto" || format === "iso8601") return "%Y-%m-%d %H:%M";
  return `${format} HH:mm`;
}
