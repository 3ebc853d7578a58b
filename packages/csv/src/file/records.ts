import type { Readable } from "node:stream";
import { type Options, type CsvError as ParseError, Parser } from "csv-parse";

/** One data row as the parser returns it. */
export interface RawRecord {
  fields: string[];
  /** Physical 1-based line where the row starts. */
  line: number;
  /** The row's text as written, without its line break. */
  raw: string;
  /** Byte offset (UTF-8, without BOM) just after the row. */
  end: number;
}

/** A row csv-parse could not read (an unclosed quote, say). */
export interface MalformedRecord {
  line: number;
  raw: string;
  code: string;
  message: string;
}

/** Options of {@link readRecords}. */
export interface ReadRecordsOptions {
  delimiter: string;
  quote: string;
  comment?: string | undefined;
  /** Lines before the stream's first byte, added to line numbers. */
  lineBase: number;
  /** Byte offset of the stream's first byte. */
  offsetBase: number;
  onRecord(record: RawRecord): void;
  onMalformed(record: MalformedRecord): void;
  /** Returns a promise to wait for before reading on, or undefined. */
  pause(): Promise<void> | undefined;
  signal?: AbortSignal;
}

interface Parsed {
  record: string[];
  raw: string;
  lines: number;
  bytes: number;
}

/**
 * A csv-parse stream that stamps each record with the parser's line and
 * byte counters at the moment it is pushed, which is when they describe
 * that record's end. This replaces the `info` option, which copies the
 * whole counter object twice per record.
 */
class LocatingParser extends Parser {
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && typeof chunk === "object") {
      const parsed = chunk as Parsed;
      parsed.lines = this.info.lines;
      parsed.bytes = this.info.bytes;
    }
    return super.push(chunk, encoding);
  }
}

/**
 * Streams CSV rows with csv-parse, row by row, with their line numbers,
 * raw text and byte offsets. It reads what the parser has buffered in a
 * synchronous loop and waits only when the parser is empty or `pause`
 * returns a promise, so back-pressure reaches the file. Malformed rows
 * are reported and skipped, and the reading goes on.
 */
export async function readRecords(
  stream: Readable,
  options: ReadRecordsOptions,
): Promise<void> {
  const settings: Options = {
    delimiter: options.delimiter,
    quote: options.quote,
    escape: options.quote,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // Cells are trimmed when read: csv-parse's ltrim also eats the line
    // breaks of blank lines (miscounting lines), and with rtrim a stray
    // character after a closing quote ends the whole parse.
    raw: true,
    ...(options.comment === undefined ? {} : { comment: options.comment }),
  };
  const parser = new LocatingParser(settings);
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  parser.on("readable", signal);
  parser.on("end", () => {
    ended = true;
    signal();
  });
  parser.on("error", (error) => {
    failure = error;
    signal();
  });
  parser.on("skip", (error: ParseError & { raw?: string; lines?: number }) => {
    const raw = trimBreak(error.raw ?? "");
    options.onMalformed({
      line: options.lineBase + (error.lines ?? 0) - countNewlines(raw),
      raw,
      code: error.code,
      message: error.message,
    });
  });
  stream.on("error", (error) => {
    failure = error;
    signal();
  });
  const abort = () => {
    ended = true;
    stream.unpipe(parser);
    parser.destroy();
    signal();
  };
  options.signal?.addEventListener("abort", abort, { once: true });
  stream.pipe(parser);

  try {
    for (;;) {
      while (!ended) {
        const item = parser.read() as Parsed | null;
        if (item === null) break;
        const raw = trimBreak(item.raw);
        options.onRecord({
          fields: item.record,
          line: options.lineBase + item.lines - countNewlines(raw),
          raw,
          end: options.offsetBase + item.bytes,
        });
        const pause = options.pause();
        if (pause) await pause;
      }
      if (failure) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }
}

function trimBreak(raw: string): string {
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === "\r" || raw[end - 1] === "\n")) end -= 1;
  let start = 0;
  while (start < end && (raw[start] === "\r" || raw[start] === "\n"))
    start += 1;
  return start === 0 && end === raw.length ? raw : raw.slice(start, end);
}

function countNewlines(text: string): number {
  let count = 0;
  for (
    let index = text.indexOf("\n");
    index >= 0;
    index = text.indexOf("\n", index + 1)
  )
    count += 1;
  return count;
}
