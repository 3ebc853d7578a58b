import type { Diagnostic, SourceMessage } from "../connector/message.js";
import type { DeadLetter } from "./output.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Largest raw input kept in a dead letter, in bytes. A flood of large
 * rejected payloads would otherwise fill the disk; the start of an input
 * is enough to see what was wrong with it.
 */
export const MAX_DEAD_LETTER_RAW_BYTES = 65_536;

type EncodedRaw = Pick<
  DeadLetter,
  "raw" | "raw_encoding" | "raw_truncated_from"
>;

/**
 * Encodes a raw input for a dead letter: text as is, else base64 or JSON,
 * cut to {@link MAX_DEAD_LETTER_RAW_BYTES}.
 */
export function encodeRaw(raw: SourceMessage["raw"]): EncodedRaw {
  if (typeof raw === "string") return cutText(raw, "utf8");
  if (raw instanceof Uint8Array) {
    const bytes =
      raw.length > MAX_DEAD_LETTER_RAW_BYTES
        ? raw.subarray(0, MAX_DEAD_LETTER_RAW_BYTES)
        : raw;
    const encoded = encodeBytes(bytes, raw.length > bytes.length);
    if (raw.length > bytes.length) encoded.raw_truncated_from = raw.length;
    return encoded;
  }
  try {
    return cutText(JSON.stringify(raw) ?? String(raw), "json");
  } catch {
    return cutText(String(raw), "utf8");
  }
}

/**
 * Returns the length of `bytes` without a UTF-8 character that the cut
 * split at the end, so that text input still decodes as text.
 */
function charBoundary(bytes: Uint8Array): number {
  let end = bytes.length;
  let continuation = 0;
  while (end > 0 && continuation < 3 && (bytes[end - 1]! & 0xc0) === 0x80) {
    end -= 1;
    continuation += 1;
  }
  if (end === 0) return bytes.length;
  const lead = bytes[end - 1]!;
  const needed = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
  if (needed === 0) return bytes.length;
  return needed === continuation ? bytes.length : end - 1;
}

function encodeBytes(bytes: Uint8Array, cut: boolean): EncodedRaw {
  try {
    const text = cut ? bytes.subarray(0, charBoundary(bytes)) : bytes;
    return { raw: utf8.decode(text), raw_encoding: "utf8" };
  } catch {
    return {
      raw: Buffer.from(bytes).toString("base64"),
      raw_encoding: "base64",
    };
  }
}

function cutText(text: string, encoding: "utf8" | "json"): EncodedRaw {
  // Characters are at most 3 bytes in UTF-8 for each UTF-16 unit, so
  // shorter texts need no byte count.
  if (text.length * 3 <= MAX_DEAD_LETTER_RAW_BYTES)
    return { raw: text, raw_encoding: encoding };
  const size = Buffer.byteLength(text);
  if (size <= MAX_DEAD_LETTER_RAW_BYTES)
    return { raw: text, raw_encoding: encoding };
  const start = Buffer.from(text).subarray(0, MAX_DEAD_LETTER_RAW_BYTES);
  return {
    raw: utf8.decode(start.subarray(0, charBoundary(start))),
    raw_encoding: "utf8",
    raw_truncated_from: size,
  };
}

/** Builds the dead letter of one rejected input or part of an input. */
export function toDeadLetter(
  message: SourceMessage,
  reject: Diagnostic,
  at: number,
): DeadLetter {
  const { protocol, address, connector, ...details } = message.source;
  const letter: DeadLetter = {
    at: new Date(at).toISOString(),
    connector: connector ?? "",
    protocol,
    code: reject.code,
    reason: reject.message,
    location: { protocol, address, ...details, ...reject.location },
    ...encodeRaw(message.raw),
  };
  if (reject.fix !== undefined) letter.fix = reject.fix;
  return letter;
}
