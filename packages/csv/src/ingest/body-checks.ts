import { isUtf8 } from "node:buffer";

/**
 * Maximum nesting depth of arrays and objects in an ingest JSON body or
 * NDJSON line, the same limit as the MQTT and OCPP connectors use. It
 * keeps the recursive record code (and `JSON.stringify`) far from the
 * call stack size.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Returns the byte offset of the first invalid UTF-8 sequence in
 * `bytes`, or -1 when all of it is valid. Overlong forms, surrogates and
 * code points above U+10FFFF are invalid (RFC 3629, section 4).
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    const length = sequenceLength(lead);
    if (length === 0) return index;
    // The second byte has a narrower range after some lead bytes.
    const { low, high } = secondByteRange(lead);
    for (let step = 1; step < length; step += 1) {
      const byte = bytes[index + step];
      if (byte === undefined) return index;
      const min = step === 1 ? low : 0x80;
      const max = step === 1 ? high : 0xbf;
      if (byte < min || byte > max) return index;
    }
    index += length;
  }
  return -1;
}

/** Returns the length of the sequence a lead byte starts, or 0 if invalid. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * Returns the range of the second byte after `lead`, which excludes
 * overlong forms (E0, F0), surrogates (ED) and code points above
 * U+10FFFF (F4).
 */
function secondByteRange(lead: number): { low: number; high: number } {
  if (lead === 0xe0) return { low: 0xa0, high: 0xbf };
  if (lead === 0xf0) return { low: 0x90, high: 0xbf };
  if (lead === 0xed) return { low: 0x80, high: 0x9f };
  if (lead === 0xf4) return { low: 0x80, high: 0x8f };
  return { low: 0x80, high: 0xbf };
}

/**
 * Returns the character offset of the first `[` or `{` that opens a
 * level deeper than `maxDepth` in JSON text, or -1 when the text stays
 * within it. Brackets inside strings do not count.
 */
export function tooDeepJsonOffset(
  text: string,
  maxDepth = MAX_JSON_DEPTH,
): number {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1;
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > maxDepth) return index;
    } else if (code === 0x5d || code === 0x7d) {
      depth -= 1;
    }
  }
  return -1;
}
