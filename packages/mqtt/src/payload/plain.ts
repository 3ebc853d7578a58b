import { isNonFiniteWord, NonFiniteToken } from "./non-finite.js";

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  false: false,
  on: true,
  off: false,
};

/**
 * Reads a plain-text payload: a decimal number (`240.50`, `-3.5`,
 * `1e3`), a boolean word (true/false/on/off in any case), a NaN or
 * infinity token as a {@link NonFiniteToken}, or else the trimmed text.
 */
export function readPlain(
  text: string,
): number | boolean | string | NonFiniteToken {
  const trimmed = text.trim();
  if (NUMBER.test(trimmed)) return Number(trimmed);
  const lower = trimmed.toLowerCase();
  const flag = BOOLEAN_WORDS[lower];
  if (flag !== undefined) return flag;
  if (isNonFiniteWord(trimmed)) return new NonFiniteToken(trimmed, 0);
  return trimmed;
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
