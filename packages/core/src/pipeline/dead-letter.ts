import type { Diagnostic, SourceMessage } from "../connector/message.js";
import type { DeadLetter } from "./output.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Encodes a raw input for a dead letter: text as is, else base64 or JSON. */
export function encodeRaw(
  raw: SourceMessage["raw"],
): Pick<DeadLetter, "raw" | "raw_encoding"> {
  if (typeof raw === "string") return { raw, raw_encoding: "utf8" };
  if (raw instanceof Uint8Array) {
    try {
      return { raw: utf8.decode(raw), raw_encoding: "utf8" };
    } catch {
      return {
        raw: Buffer.from(raw).toString("base64"),
        raw_encoding: "base64",
      };
    }
  }
  try {
    return { raw: JSON.stringify(raw), raw_encoding: "json" };
  } catch {
    return { raw: String(raw), raw_encoding: "utf8" };
  }
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
