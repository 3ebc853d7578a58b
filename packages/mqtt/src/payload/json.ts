import { isNonFiniteWord, NonFiniteToken } from "./non-finite.js";

/** The result of reading a JSON payload. */
export type JsonReadResult =
  | { ok: true; value: unknown; nonFinite: readonly NonFiniteToken[] }
  | { ok: false; error: string; offset: number | undefined };

const SENTINEL = "\u0000qubit-non-finite:";
const NO_TOKENS: readonly NonFiniteToken[] = Object.freeze([]);

/**
 * Parses JSON text. When strict parsing fails because of bare NaN or
 * infinity tokens (as firmware writes for a failed sensor), the tokens
 * are replaced by {@link NonFiniteToken} markers and the rest of the
 * document is kept, unless `strict` is set.
 */
export function readJson(text: string, strict = false): JsonReadResult {
  try {
    return { ok: true, value: JSON.parse(text), nonFinite: NO_TOKENS };
  } catch (error) {
    const message = (error as Error).message;
    if (strict) return failure(text, message);
    const rewritten = replaceNonFinite(text);
    if (rewritten.tokens.length === 0) return failure(text, message);
    let value: unknown;
    try {
      value = JSON.parse(rewritten.text);
    } catch {
      return failure(text, message);
    }
    return {
      ok: true,
      value: restore(value, rewritten.tokens),
      nonFinite: rewritten.tokens,
    };
  }
}

function failure(
  text: string,
  message: string,
): { ok: false; error: string; offset: number | undefined } {
  const position = /position (\d+)/.exec(message);
  const offset = position ? Number(position[1]) : firstBadToken(text);
  return { ok: false, error: message, offset };
}

/** Finds the offset of the first bare word that is not true, false or null. */
function firstBadToken(text: string): number | undefined {
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (inString) {
      if (char === "\\") index += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (/[A-Za-z]/.test(char)) {
      const word = /^[A-Za-z]+/.exec(text.slice(index))![0];
      if (word !== "true" && word !== "false" && word !== "null") return index;
      index += word.length - 1;
    }
  }
  return undefined;
}

function replaceNonFinite(text: string): {
  text: string;
  tokens: NonFiniteToken[];
} {
  const tokens: NonFiniteToken[] = [];
  let output = "";
  let copiedUpTo = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (inString) {
      if (char === "\\") index += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') {
      inString = true;
      continue;
    }
    const signed =
      (char === "-" || char === "+") && /[A-Za-z]/.test(text[index + 1] ?? "");
    if (!signed && !/[A-Za-z]/.test(char)) continue;
    const match = /^[+-]?[A-Za-z]+/.exec(text.slice(index))!;
    const word = match[0];
    if (isNonFiniteWord(word)) {
      output += `${text.slice(copiedUpTo, index)}"\\u0000qubit-non-finite:${tokens.length}"`;
      tokens.push(new NonFiniteToken(word, index));
      copiedUpTo = index + word.length;
    }
    index += word.length - 1;
  }
  return { text: output + text.slice(copiedUpTo), tokens };
}

function restore(value: unknown, tokens: NonFiniteToken[]): unknown {
  if (typeof value === "string") {
    if (!value.startsWith(SENTINEL)) return value;
    return tokens[Number(value.slice(SENTINEL.length))] ?? value;
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1)
      value[index] = restore(value[index], tokens);
    return value;
  }
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record))
      record[key] = restore(record[key], tokens);
  }
  return value;
}
