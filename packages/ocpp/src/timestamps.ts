const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** An OCPP timestamp read as an instant. */
export type ParsedTimestamp =
  | { ok: true; epochMs: number; zoneMissing: boolean }
  | { ok: false };

/**
 * Parses an OCPP date-time (ISO 8601 / RFC 3339). A time without a zone
 * designator is read as UTC, which OCPP requires chargers to use, and is
 * reported as `zoneMissing` so the reading can be marked. Fractions beyond
 * milliseconds are cut, not rounded.
 */
export function parseOcppTimestamp(text: unknown): ParsedTimestamp {
  if (typeof text !== "string") return { ok: false };
  const match = ISO_DATE_TIME.exec(text.trim());
  if (!match) return { ok: false };
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const millis = fraction ? Number(fraction.slice(0, 3).padEnd(3, "0")) : 0;
  const utc = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second ?? 0),
    millis,
  );
  if (
    Number(month) < 1 ||
    Number(month) > 12 ||
    Number(day) < 1 ||
    Number(day) > 31 ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second ?? 0) > 60 ||
    !Number.isFinite(utc)
  ) {
    return { ok: false };
  }
  let offsetMinutes = 0;
  if (zone && zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    offsetMinutes =
      sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
  }
  return {
    ok: true,
    epochMs: utc - offsetMinutes * 60_000,
    zoneMissing: zone === undefined,
  };
}
