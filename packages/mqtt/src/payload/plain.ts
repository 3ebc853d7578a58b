import { isNonFiniteWord, NonFiniteToken } from "./non-finite.js";

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^[+-]?0[xX][0-9a-fA-F]+$/;
// A number, then white space and more text: "12.5 kW", "1 000".
const NUMBER_THEN_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)\s+\S/;

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  false: false,
  on: true,
  off: false,
};

/**
 * A plain payload that looks like a number but cannot be read as one
 * without guessing, such as `12.5 kW`, `1 000` or a hex number above
 * 2^53. The converter dead-letters it with {@link reason} and {@link fix}.
 */
export class UnreadableNumber {
  constructor(
    /** The payload text, trimmed. */
    readonly text: string,
    readonly reason: string,
    readonly fix: string,
  ) {}
}

/**
 * Reads a plain-text payload, after trimming white space:
 * - a decimal number (`240.50`, `-3.5`, `1e3`) is a number, and one too
 *   large for a 64-bit float (`1e400`) a {@link NonFiniteToken};
 * - `0x` and hex digits (`0x1F`) is an integer;
 * - true, false, on and off, in any case, are booleans;
 * - a NaN or infinity token is a {@link NonFiniteToken};
 * - a number followed by more text, or a hex number above 2^53, is an
 *   {@link UnreadableNumber};
 * - anything else is the trimmed text.
 */
export function readPlain(
  text: string,
): number | boolean | string | NonFiniteToken | UnreadableNumber {
  const trimmed = text.trim();
  if (NUMBER.test(trimmed)) {
    const number = Number(trimmed);
    return Number.isFinite(number) ? number : new NonFiniteToken(trimmed, 0);
  }
  const flag = BOOLEAN_WORDS[trimmed.toLowerCase()];
  if (flag !== undefined) return flag;
  if (isNonFiniteWord(trimmed)) return new NonFiniteToken(trimmed, 0);
  if (HEX.test(trimmed)) return readHex(trimmed);
  if (NUMBER_THEN_TEXT.test(trimmed)) {
    return new UnreadableNumber(
      trimmed,
      "is a number followed by other text; a plain payload must be the number alone",
      "publish the number alone and set the unit with the rule's unit option, or set the rule's format to text to keep the text",
    );
  }
  return trimmed;
}

function readHex(text: string): number | UnreadableNumber {
  const negative = text.startsWith("-");
  const digits = text.replace(/^[+-]?0[xX]/, "");
  const value = Number.parseInt(digits, 16);
  if (!Number.isSafeInteger(value)) {
    return new UnreadableNumber(
      text,
      "is a hex number above 2^53, which a 64-bit float cannot hold exactly",
      "publish the value as a decimal number, or set the rule's format to text to keep the text",
    );
  }
  return negative ? -value : value;
}

/** Returns the number a string contains, or `undefined` when it is not a number. */
export function numericString(text: string): number | undefined {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : undefined;
}

/** Returns the boolean a word stands for, or `undefined`. */
export function booleanWord(text: string): boolean | undefined {
  return BOOLEAN_WORDS[text.trim().toLowerCase()];
}
