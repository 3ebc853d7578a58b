/**
 * A NaN or infinity token that firmware wrote where a number belongs
 * (`nan`, `-nan`, `NaN`, `inf`, `Infinity`). JSON has no such tokens, so
 * the lenient JSON reader keeps the field as this marker instead of
 * rejecting the whole message.
 */
export class NonFiniteToken {
  /** The token as written, such as `-nan`. */
  readonly token: string;
  /** Character offset of the token in the payload text, when known. */
  readonly offset: number | undefined;

  constructor(token: string, offset?: number) {
    this.token = token;
    this.offset = offset;
  }
}

const NON_FINITE_WORD = /^[+-]?(nan|inf|infinity)$/i;

/** Returns whether a word is a NaN or infinity token. */
export function isNonFiniteWord(word: string): boolean {
  return NON_FINITE_WORD.test(word);
}
