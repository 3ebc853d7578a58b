// Readings carry their timestamp as ISO 8601 UTC text, and
// `Date.prototype.toISOString` cost about 0.5 µs per call in the
// benchmarks (Node 20), more than the rest of building a reading. Most
// timestamps of a stream fall in the same second as the one before, so
// the formatter keeps the character codes up to the second and only
// adds the milliseconds. One String.fromCharCode call makes a flat
// string: a joined one would be flattened again by each reader (the id
// hash, the schema check).

// The first and last times with a four-digit year. toISOString writes
// other years with a sign and six digits, so the formatter leaves those
// years and invalid times to it.
const FIRST_FOUR_DIGIT_YEAR_MS = -62_167_219_200_000;
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;

const TWO_DIGITS = Array.from({ length: 100 }, (_, value) =>
  String(value).padStart(2, "0"),
);
let cachedSecond = Number.NaN;
/** Character codes of `YYYY-MM-DDTHH:MM:SS.` of {@link cachedSecond}. */
const prefix = new Uint16Array(20);
let cachedDay = Number.NaN;
/** `YYYY-MM-DDT` of {@link cachedDay}. */
let dayPrefix = "";

/**
 * Formats epoch milliseconds as ISO 8601 UTC with milliseconds, the same
 * text as `new Date(epochMs).toISOString()` (which it calls for years
 * outside 0000 to 9999). Throws a `RangeError` for an invalid time, as
 * `toISOString` does.
 */
export function formatIsoUtc(epochMs: number): string {
  if (
    !(epochMs >= FIRST_FOUR_DIGIT_YEAR_MS && epochMs <= LAST_FOUR_DIGIT_YEAR_MS)
  ) {
    return new Date(epochMs).toISOString();
  }
  // A Date drops the fraction of a millisecond toward zero.
  const ms = Math.trunc(epochMs);
  const second = Math.floor(ms / 1000);

  if (second !== cachedSecond) {
    const text = formatSecond(second);
    for (let index = 0; index < 20; index += 1) {
      prefix[index] = text.charCodeAt(index);
    }
    cachedSecond = second;
  }

  const millisecond = ms - second * 1000;
  const hundreds = Math.floor(millisecond / 100);
  const tens = Math.floor(millisecond / 10) - hundreds * 10;
  const text = String.fromCharCode(
    prefix[0]!,
    prefix[1]!,
    prefix[2]!,
    prefix[3]!,
    prefix[4]!,
    prefix[5]!,
    prefix[6]!,
    prefix[7]!,
    prefix[8]!,
    prefix[9]!,
    prefix[10]!,
    prefix[11]!,
    prefix[12]!,
    prefix[13]!,
    prefix[14]!,
    prefix[15]!,
    prefix[16]!,
    prefix[17]!,
    prefix[18]!,
    prefix[19]!,
    48 + hundreds,
    48 + tens,
    48 + (millisecond % 10),
    90, // Z
  );

  lastText = text;
  // Date.parse gives 0, not the -0 that truncating -0.5 leaves.
  lastTime = ms + 0;
  return text;
}

// The last text formatted or parsed, and its time. The pipeline's quality
// monitor parses the timestamp that createReading formatted just before.
let lastText = "";
let lastTime = 0;

function formatSecond(second: number): string {
  const day = Math.floor(second / 86_400);
  if (day !== cachedDay) {
    dayPrefix = formatDay(day);
    cachedDay = day;
  }
  const secondOfDay = second - day * 86_400;
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay - hour * 3600) / 60);
  const rest = secondOfDay - hour * 3600 - minute * 60;
  return `${dayPrefix}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[rest]}.`;
}

/**
 * Formats days since 1970-01-01 as `YYYY-MM-DDT`, with the
 * proleptic Gregorian calendar arithmetic of Howard Hinnant's
 * `civil_from_days` (eras of 400 years starting on March 1).
 */
function formatDay(day: number): string {
  const shifted = day + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra -
    (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const dayOfMonth = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${TWO_DIGITS[Math.floor(year / 100)]}${TWO_DIGITS[year % 100]}-${TWO_DIGITS[month]}-${TWO_DIGITS[dayOfMonth]}T`;
}

/**
 * Parses ISO 8601 UTC text with milliseconds (`2024-05-01T12:00:00.000Z`,
 * the form readings carry) to epoch milliseconds, with the result of
 * `Date.parse`. Text of any other form, and dates such as February 30,
 * go to `Date.parse` itself.
 */
export function parseIsoUtc(text: string): number {
  if (text === lastText) return lastTime;
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 ||
    text.charCodeAt(23) !== 90
  ) {
    return Date.parse(text);
  }

  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const millisecond = digits(text, 20, 3);

  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    millisecond < 0
  ) {
    return Date.parse(text);
  }

  const time =
    daysFromCivil(year, month, day) * 86_400_000 +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1000 +
    millisecond;
  lastText = text;
  lastTime = time;
  return time;
}

/** Reads `count` decimal digits at `start`, or returns -1 for a non-digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index += 1) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const shiftedYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(shiftedYear / 400);
  const yearOfEra = shiftedYear - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 +
    Math.floor(yearOfEra / 4) -
    Math.floor(yearOfEra / 100) +
    dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
