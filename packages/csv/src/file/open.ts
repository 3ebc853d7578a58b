import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { TextDecoder } from "node:util";
import { createGunzip } from "node:zlib";
import { CsvError } from "../errors.js";
import { invalidUtf8Offset } from "../ingest/body-checks.js";

/** A text encoding the reader decodes. */
export type TextEncoding = "utf8" | "utf16le" | "utf16be" | "latin1";

/** What the first bytes of a file tell about it. */
export interface InputInfo {
  path: string;
  /** File size in bytes, as stored (compressed for gzip). */
  size: number;
  gzip: boolean;
  encoding: TextEncoding;
  /** Length of the byte-order mark, 0 when there is none. */
  bomLength: number;
  /** Decoded text of the first bytes, without the byte-order mark. */
  head: string;
  /** True when `head` is the whole file. */
  headComplete: boolean;
  /** Hash of the first 64 KiB as stored, to tell another file apart. */
  fingerprint: string;
  /**
   * Hash of the first `length` bytes (at most 64 KiB), to tell whether a
   * file only grew since it was that long.
   */
  fingerprintFor(length: number): string;
  /**
   * Offset of the first byte that is not UTF-8, when `encoding: auto`
   * read the file as Windows-1252 because of it.
   */
  notUtf8At?: number;
}

/** Bytes hashed for a file's fingerprint. */
export const FINGERPRINT_BYTES = 64 * 1024;

const HEAD_BYTES = 256 * 1024;

/**
 * Reads the start of a file: detects gzip by its magic bytes, the
 * encoding by its byte-order mark (else UTF-16 by zero bytes, else UTF-8
 * when the bytes are valid UTF-8, else Latin-1), and decodes the head
 * for dialect detection. Throws for a missing file and for an empty one
 * (no text but blanks).
 */
export async function inspectInput(
  path: string,
  options: {
    encoding: "auto" | TextEncoding;
    compression: "auto" | "none" | "gzip";
  },
): Promise<InputInfo> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    size = info.size;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new CsvError(
      missing ? "QUBIT_CSV_FILE_NOT_FOUND" : "QUBIT_CSV_FILE_READ_FAILED",
      missing
        ? `File not found: ${path}`
        : `Cannot read ${path}: ${(error as Error).message}`,
      {
        value: path,
        location: { address: path },
        fix: "check file_path",
        cause: error,
      },
    );
  }
  const start = await readStart(path, HEAD_BYTES);
  const gzip =
    options.compression === "gzip" ||
    (options.compression === "auto" && start[0] === 0x1f && start[1] === 0x8b);
  const fingerprintFor = (length: number): string =>
    createHash("sha1")
      .update(start.subarray(0, Math.min(length, FINGERPRINT_BYTES)))
      .digest("hex");
  const fingerprint = fingerprintFor(FINGERPRINT_BYTES);
  let bytes = start;
  let complete = !gzip && start.length >= size;
  if (gzip) {
    const inflated = await readInflatedStart(path, HEAD_BYTES);
    bytes = inflated.bytes;
    complete = inflated.complete;
  }
  const { encoding, bomLength } = detectEncoding(bytes, options.encoding);
  const decoder = new TextDecoder(textDecoderLabel(encoding), {
    ignoreBOM: true,
  });
  const head = decoder.decode(bytes.subarray(bomLength), { stream: !complete });
  if (complete && head.trim() === "") throw emptyFile(path, size);
  const info: InputInfo = {
    path,
    size,
    gzip,
    encoding,
    bomLength,
    head,
    headComplete: complete,
    fingerprint,
    fingerprintFor,
  };
  if (encoding === "latin1" && options.encoding === "auto") {
    info.notUtf8At = invalidUtf8Offset(bytes);
  }
  return info;
}

function emptyFile(path: string, size: number): CsvError {
  return new CsvError(
    "QUBIT_CSV_FILE_EMPTY",
    size === 0
      ? `File ${path} is empty (0 bytes): it has no header and no data rows`
      : `File ${path} is empty: its ${size} bytes are only blank lines or a byte-order mark, with no header and no data rows`,
    {
      value: size,
      location: { address: path },
      fix: "check that the export finished writing the file, or leave the file out of the import",
    },
  );
}

async function readStart(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readInflatedStart(
  path: string,
  length: number,
): Promise<{ bytes: Buffer; complete: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  const source = createReadStream(path);
  const gunzip = createGunzip();
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) {
        return {
          bytes: Buffer.concat(chunks).subarray(0, length),
          complete: false,
        };
      }
    }
  } catch (error) {
    throw new CsvError(
      "QUBIT_CSV_FILE_READ_FAILED",
      `Cannot decompress ${path}: ${(error as Error).message}`,
      {
        location: { address: path },
        fix: "check that the file is gzip",
        cause: error,
      },
    );
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  return { bytes: Buffer.concat(chunks), complete: true };
}

/** Detects the encoding and byte-order mark of the first bytes. */
export function detectEncoding(
  bytes: Uint8Array,
  configured: "auto" | TextEncoding,
): { encoding: TextEncoding; bomLength: number } {
  const bom =
    bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
      ? { encoding: "utf8" as const, bomLength: 3 }
      : bytes[0] === 0xff && bytes[1] === 0xfe
        ? { encoding: "utf16le" as const, bomLength: 2 }
        : bytes[0] === 0xfe && bytes[1] === 0xff
          ? { encoding: "utf16be" as const, bomLength: 2 }
          : undefined;
  if (configured !== "auto") {
    return {
      encoding: configured,
      bomLength: bom?.encoding === configured ? bom.bomLength : 0,
    };
  }
  if (bom) return bom;
  const sample = bytes.subarray(0, 4096);
  let evenZeros = 0;
  let oddZeros = 0;
  for (let index = 0; index < sample.length; index += 1) {
    if (sample[index] !== 0) continue;
    if (index % 2 === 0) evenZeros += 1;
    else oddZeros += 1;
  }
  const pairs = sample.length / 2;
  if (pairs > 0 && oddZeros > pairs * 0.3 && evenZeros < pairs * 0.05) {
    return { encoding: "utf16le", bomLength: 0 };
  }
  if (pairs > 0 && evenZeros > pairs * 0.3 && oddZeros < pairs * 0.05) {
    return { encoding: "utf16be", bomLength: 0 };
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return { encoding: "utf8", bomLength: 0 };
  } catch {
    return { encoding: "latin1", bomLength: 0 };
  }
}

function textDecoderLabel(encoding: TextEncoding): string {
  switch (encoding) {
    case "utf8":
      return "utf-8";
    case "utf16le":
      return "utf-16le";
    case "utf16be":
      return "utf-16be";
    default:
      // The WHATWG "latin1" label decodes Windows-1252, the superset of
      // ISO-8859-1 that spreadsheet exports use.
      return "latin1";
  }
}

/**
 * Opens the file as a stream of UTF-8 bytes without byte-order mark,
 * starting `offset` bytes into that stream. A plain UTF-8 file is read
 * from that position directly; a compressed or transcoded one is read
 * from the start and the first bytes are dropped. `onFileBytes` receives
 * the size of every chunk read from disk, for progress.
 */
export function openTextStream(
  info: InputInfo,
  offset: number,
  onFileBytes: (bytes: number) => void,
): { stream: Readable; seeked: boolean; close(): void } {
  const direct = !info.gzip && info.encoding === "utf8";
  const file = createReadStream(info.path, {
    start: direct ? info.bomLength + offset : 0,
    highWaterMark: 256 * 1024,
  });
  file.on("data", (chunk) => onFileBytes(chunk.length));
  const streams: Readable[] = [file];
  let stream: Readable = file;
  const pipe = (next: Transform) => {
    stream.on("error", (error) => next.destroy(error));
    stream = stream.pipe(next);
    streams.push(next);
  };
  if (info.gzip) pipe(createGunzip());
  if (!direct) {
    if (info.encoding !== "utf8") pipe(new TranscodeToUtf8(info.encoding));
    const skip = (info.encoding === "utf8" ? info.bomLength : 0) + offset;
    if (skip > 0) pipe(new SkipBytes(skip));
  }
  return {
    stream,
    seeked: direct,
    close: () => {
      for (const item of streams) item.destroy();
    },
  };
}

/** Decodes UTF-16 or Latin-1 into UTF-8 bytes, dropping a byte-order mark. */
class TranscodeToUtf8 extends Transform {
  private readonly decoder: TextDecoder;

  constructor(encoding: TextEncoding) {
    super();
    this.decoder = new TextDecoder(textDecoderLabel(encoding));
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: TransformCallback,
  ): void {
    callback(null, Buffer.from(this.decoder.decode(chunk, { stream: true })));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, Buffer.from(this.decoder.decode()));
  }
}

/** Drops the first bytes of a stream. */
class SkipBytes extends Transform {
  private remaining: number;

  constructor(count: number) {
    super();
    this.remaining = count;
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: TransformCallback,
  ): void {
    if (this.remaining >= chunk.length) {
      this.remaining -= chunk.length;
      callback();
      return;
    }
    const rest = chunk.subarray(this.remaining);
    this.remaining = 0;
    callback(null, rest);
  }
}
