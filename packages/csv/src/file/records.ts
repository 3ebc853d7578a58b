import type { Readable } from "node:stream";
import { type Options, type CsvError as ParseError, Parser } from "csv-parse";

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
  /**
   * Takes one data row: its fields, the physical 1-based line where it
   * starts, its text as written (with the line breaks around it; see
   * {@link trimBreaks}) and the byte offset (UTF-8, without BOM) just
   * after it. The call passes numbers and strings, not an object, because
   * it runs for every row.
   */
  onRecord(fields: string[], line: number, raw: string, end: number): void;
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
    const raw = trimBreaks(error.raw ?? "");
    options.onMalformed({
      line: options.lineBase + (error.lines ?? 0) - innerNewlines(raw),
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
        const raw = item.raw;
        options.onRecord(
          item.record,
          options.lineBase + item.lines - innerNewlines(raw),
          raw,
          options.offsetBase + item.bytes,
        );
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

const CR = 13;
const LF = 10;

/** Returns the text of a row without the line breaks before and after it. */
export function trimBreaks(raw: string): string {
  let end = raw.length;
  while (end > 0 && isBreak(raw.charCodeAt(end - 1))) end -= 1;
  let start = 0;
  while (start < end && isBreak(raw.charCodeAt(start))) start += 1;
  return start === 0 && end === raw.length ? raw : raw.slice(start, end);
}

/** Counts the line feeds inside a row, leaving out the breaks around it. */
function innerNewlines(raw: string): number {
  let end = raw.length;
  while (end > 0 && isBreak(raw.charCodeAt(end - 1))) end -= 1;
  let start = 0;
  while (start < end && isBreak(raw.charCodeAt(start))) start += 1;
  let count = 0;
  for (
    let index = raw.indexOf("\n", start);
    index >= 0 && index < end;
    index = raw.indexOf("\n", index + 1)
  )
    count += 1;
  return count;
}

function isBreak(code: number): boolean {
  return code === CR || code === LF;
}
