import { TimeError } from "../errors.js";

/** Fields a compiled format extracts from a timestamp string. */
export interface ParsedFields {
  year?: number;
  month?: number;
  day?: number;
  dayOfYear?: number;
  hour?: number;
  hour12?: number;
  pm?: boolean;
  minute?: number;
  second?: number;
  millisecond?: number;
  /** UTC offset in milliseconds, when the text carries one. */
  offsetMs?: number;
  /** An epoch instant in milliseconds, for `%s` and `X` / `x`. */
  epochMs?: number;
}

type Assign = (fields: ParsedFields, text: string) => void;

interface Token {
  pattern: string;
  assign?: Assign;
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

const monthByName = new Map<string, number>();
MONTHS.forEach((name, index) => {
  monthByName.set(name, index + 1);
  monthByName.set(name.slice(0, 3), index + 1);
});
monthByName.set("sept", 9);

const number =
  (key: keyof ParsedFields): Assign =>
  (fields, text) => {
    (fields as Record<string, number>)[key] = Number(text);
  };

const fraction: Assign = (fields, text) => {
  fields.millisecond = Math.round(Number(`0.${text}`) * 1000);
};

const twoDigitYear: Assign = (fields, text) => {
  const value = Number(text);
  // POSIX strptime: 69 to 99 are 1969 to 1999, 00 to 68 are 2000 to 2068.
  fields.year = value >= 69 ? 1900 + value : 2000 + value;
};

const monthName: Assign = (fields, text) => {
  const month = monthByName.get(text.toLowerCase().replace(/\.$/, ""));
  if (month === undefined) throw new Error(`unknown month name "${text}"`);
  fields.month = month;
};

const meridiem: Assign = (fields, text) => {
  fields.pm = text.toLowerCase().startsWith("p");
};

const offset: Assign = (fields, text) => {
  if (text === "Z" || text === "z" || text === "UTC" || text === "GMT") {
    fields.offsetMs = 0;
    return;
  }
  const match = /^([+-])(\d{2}):?(\d{2})?$/.exec(text);
  if (!match) throw new Error(`invalid UTC offset "${text}"`);
  const sign = match[1] === "-" ? -1 : 1;
  fields.offsetMs =
    sign * (Number(match[2]) * 60 + Number(match[3] ?? 0)) * 60_000;
};

const epochSeconds: Assign = (fields, text) => {
  fields.epochMs = Math.round(Number(text) * 1000);
};

const epochMillis: Assign = (fields, text) => {
  fields.epochMs = Number(text);
};

const OFFSET_PATTERN = "Z|z|UTC|GMT|[+-]\\d{2}(?::?\\d{2})?";
const MONTH_NAME_PATTERN = "[A-Za-z]{3,9}\\.?";
const WEEKDAY_PATTERN = "[A-Za-z]{2,9}\\.?";

const STRFTIME: Record<string, Token | string> = {
  Y: { pattern: "\\d{4}", assign: number("year") },
  y: { pattern: "\\d{2}", assign: twoDigitYear },
  m: { pattern: "\\d{1,2}", assign: number("month") },
  d: { pattern: "\\d{1,2}", assign: number("day") },
  e: { pattern: " ?\\d{1,2}", assign: number("day") },
  j: { pattern: "\\d{1,3}", assign: number("dayOfYear") },
  H: { pattern: "\\d{1,2}", assign: number("hour") },
  I: { pattern: "\\d{1,2}", assign: number("hour12") },
  p: { pattern: "[AaPp]\\.?[Mm]\\.?", assign: meridiem },
  M: { pattern: "\\d{1,2}", assign: number("minute") },
  S: { pattern: "\\d{1,2}", assign: number("second") },
  f: { pattern: "\\d{1,9}", assign: fraction },
  L: { pattern: "\\d{3}", assign: number("millisecond") },
  z: { pattern: OFFSET_PATTERN, assign: offset },
  Z: { pattern: OFFSET_PATTERN, assign: offset },
  b: { pattern: MONTH_NAME_PATTERN, assign: monthName },
  h: { pattern: MONTH_NAME_PATTERN, assign: monthName },
  B: { pattern: MONTH_NAME_PATTERN, assign: monthName },
  a: { pattern: WEEKDAY_PATTERN },
  A: { pattern: WEEKDAY_PATTERN },
  s: { pattern: "-?\\d+(?:\\.\\d+)?", assign: epochSeconds },
  T: "%H:%M:%S",
  R: "%H:%M",
  D: "%m/%d/%y",
  F: "%Y-%m-%d",
  "%": { pattern: "%" },
};

// Moment / Luxon / Day.js style tokens, longest first so that "YYYY" wins
// over "YY" and "MMMM" over "MM".
const TOKENS: [string, Token][] = [
  ["YYYY", { pattern: "\\d{4}", assign: number("year") }],
  ["MMMM", { pattern: MONTH_NAME_PATTERN, assign: monthName }],
  ["MMM", { pattern: MONTH_NAME_PATTERN, assign: monthName }],
  ["dddd", { pattern: WEEKDAY_PATTERN }],
  ["ddd", { pattern: WEEKDAY_PATTERN }],
  ["DDDD", { pattern: "\\d{3}", assign: number("dayOfYear") }],
  ["SSSSSSSSS", { pattern: "\\d{9}", assign: fraction }],
  ["SSSSSS", { pattern: "\\d{6}", assign: fraction }],
  ["SSS", { pattern: "\\d{3}", assign: fraction }],
  ["SS", { pattern: "\\d{2}", assign: fraction }],
  ["YY", { pattern: "\\d{2}", assign: twoDigitYear }],
  ["MM", { pattern: "\\d{2}", assign: number("month") }],
  ["DD", { pattern: "\\d{2}", assign: number("day") }],
  ["HH", { pattern: "\\d{2}", assign: number("hour") }],
  ["hh", { pattern: "\\d{2}", assign: number("hour12") }],
  ["mm", { pattern: "\\d{2}", assign: number("minute") }],
  ["ss", { pattern: "\\d{2}", assign: number("second") }],
  ["ZZ", { pattern: OFFSET_PATTERN, assign: offset }],
  ["M", { pattern: "\\d{1,2}", assign: number("month") }],
  ["D", { pattern: "\\d{1,2}", assign: number("day") }],
  ["H", { pattern: "\\d{1,2}", assign: number("hour") }],
  ["h", { pattern: "\\d{1,2}", assign: number("hour12") }],
  ["m", { pattern: "\\d{1,2}", assign: number("minute") }],
  ["s", { pattern: "\\d{1,2}", assign: number("second") }],
  ["S", { pattern: "\\d", assign: fraction }],
  ["A", { pattern: "[AaPp][Mm]", assign: meridiem }],
  ["a", { pattern: "[AaPp][Mm]", assign: meridiem }],
  ["Z", { pattern: OFFSET_PATTERN, assign: offset }],
  ["X", { pattern: "-?\\d+(?:\\.\\d+)?", assign: epochSeconds }],
  ["x", { pattern: "-?\\d+", assign: epochMillis }],
];

const escapeLiteral = (text: string): string =>
  text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ +/g, "\\s+");

/** A format compiled once into a regular expression and field setters. */
export interface CompiledFormat {
  readonly source: string;
  /** Extracts the fields, or returns `undefined` when the text does not match. */
  parse(text: string): ParsedFields | undefined;
}

/**
 * Compiles a timestamp format. A format containing `%` is read as
 * strftime (`%Y-%m-%d %H:%M:%S`, `%d.%m.%Y %H:%M`, `%m/%d/%Y %I:%M %p`);
 * any other as Moment-style tokens (`DD-MM-YYYY HH:mm`). Text in square
 * brackets is literal in the token style (`YYYY-MM-DD[T]HH:mm`).
 */
export function compileFormat(format: string): CompiledFormat {
  const tokens = format.includes("%")
    ? strftimeTokens(format)
    : momentTokens(format);
  const assigns: Assign[] = [];
  let pattern = "^\\s*";
  for (const token of tokens) {
    if (token.assign) {
      pattern += `(${token.pattern})`;
      assigns.push(token.assign);
    } else {
      pattern += `(?:${token.pattern})`;
    }
  }
  pattern += "\\s*$";
  const regex = new RegExp(pattern);
  return {
    source: format,
    parse(text) {
      const match = regex.exec(text);
      if (!match) return undefined;
      const fields: ParsedFields = {};
      for (let index = 0; index < assigns.length; index += 1) {
        assigns[index]!(fields, match[index + 1]!);
      }
      return fields;
    },
  };
}

function strftimeTokens(format: string): Token[] {
  const tokens: Token[] = [];
  let literal = "";
  for (let index = 0; index < format.length; index += 1) {
    const char = format[index]!;
    if (char !== "%") {
      literal += char;
      continue;
    }
    const directive = format[index + 1];
    index += 1;
    const token = directive === undefined ? undefined : STRFTIME[directive];
    if (token === undefined) {
      throw new TimeError(
        "QUBIT_CORE_TIME_INVALID",
        `Unsupported strftime directive "%${directive ?? ""}" in format "${format}"`,
        {
          value: format,
          fix: "use %Y %y %m %d %e %j %H %I %p %M %S %f %L %z %Z %b %B %a %A %s %T %R %D %F",
        },
      );
    }
    if (literal) tokens.push({ pattern: escapeLiteral(literal) });
    literal = "";
    if (typeof token === "string") tokens.push(...strftimeTokens(token));
    else tokens.push(token);
  }
  if (literal) tokens.push({ pattern: escapeLiteral(literal) });
  return tokens;
}

function momentTokens(format: string): Token[] {
  const tokens: Token[] = [];
  let literal = "";
  let index = 0;
  outer: while (index < format.length) {
    if (format[index] === "[") {
      const end = format.indexOf("]", index);
      if (end > index) {
        literal += format.slice(index + 1, end);
        index = end + 1;
        continue;
      }
    }
    for (const [name, token] of TOKENS) {
      if (format.startsWith(name, index)) {
        if (literal) tokens.push({ pattern: escapeLiteral(literal) });
        literal = "";
        tokens.push(token);
        index += name.length;
        continue outer;
      }
    }
    literal += format[index];
    index += 1;
  }
  if (literal) tokens.push({ pattern: escapeLiteral(literal) });
  if (!tokens.some((token) => token.assign)) {
    throw new TimeError(
      "QUBIT_CORE_TIME_INVALID",
      `Timestamp format "${format}" has no date or time fields`,
      {
        value: format,
        fix: 'write it in strftime style ("%Y-%m-%d %H:%M:%S") or with tokens ("YYYY-MM-DD HH:mm:ss")',
      },
    );
  }
  return tokens;
}
