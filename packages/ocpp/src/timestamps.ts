const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Earliest instant read as a charger's clock: 2000-01-01T00:00:00Z.
 * Earlier times come from a clock that was never set (epoch 0 is the
 * usual one); OCPP 1.6 itself dates from 2015.
 */
export const EARLIEST_CLOCK_MS = Date.UTC(2000, 0, 1);

/**
 * Longest a timestamp may lie after the time its message arrived, in ms
 * (24 hours). The core pipeline rejects readings more than a day ahead.
 */
export const MAX_CLOCK_AHEAD_MS = 86_400_000;

/**
 * Returns why a charger's timestamp cannot come from a clock that was
 * set, or undefined when it can: before {@link EARLIEST_CLOCK_MS}, or more
 * than {@link MAX_CLOCK_AHEAD_MS} after `receivedAt`.
 */
export function clockProblem(
  epochMs: number,
  receivedAt: number,
): string | undefined {
  if (epochMs < EARLIEST_CLOCK_MS) return "before 2000-01-01";
  if (epochMs > receivedAt + MAX_CLOCK_AHEAD_MS) {
    return "more than 24 hours after the receive time";
  }
  return undefined;
}

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
  const fast = parseUtcTimestamp(text);
  if (fast !== undefined) return fast;
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

const ZERO = 48;

/** Reads `count` decimal digits at `start`; -1 when one is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index += 1) {
    const digit = text.charCodeAt(index) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Reads the form nearly every charger sends, `YYYY-MM-DDTHH:MM:SS[.f…]Z`,
 * without a regular expression. Returns undefined for any other text,
 * which {@link parseOcppTimestamp} then reads with the full pattern; the
 * result is the same either way.
 */
function parseUtcTimestamp(text: string): ParsedTimestamp | undefined {
  const length = text.length;
  if (length < 20 || text.charCodeAt(length - 1) !== 90 /* Z */) return;

  if (
    text[4] !== "-" ||
    text[7] !== "-" ||
    text[10] !== "T" ||
    text[13] !== ":" ||
    text[16] !== ":"
  )
    return;

  let millis = 0;
  if (length > 20) {
    // A fraction: ".", one or more digits, then "Z".
    if (text[19] !== "." || length === 21) return;
    const digits = length - 21;
    if (digitsAt(text, 20, digits) < 0) return;
    millis = digitsAt(text, 20, Math.min(3, digits));
    for (let scale = digits; scale < 3; scale += 1) millis *= 10;
  }

  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || second < 0 || minute < 0 || hour < 0 || day < 0) return;

  if (month < 1 || month > 12 || day < 1 || day > 31) return { ok: false };
  if (hour > 23 || minute > 59 || second > 60) return { ok: false };

  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (!Number.isFinite(utc)) return { ok: false };
  return { ok: true, epochMs: utc, zoneMissing: false };
}
