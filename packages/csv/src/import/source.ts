import type { Diagnostic, SourceMessage } from "@qubit/core";

/** Where a resumed read starts: after the last accepted row. */
export interface ResumePoint {
  /** Byte offset (CSV) or record index (JSON) to start from. */
  offset: number;
  /** Line (CSV) or record count (JSON) before that position. */
  line: number;
}

/** Receives the rows of an input as it is read. */
export interface RowSink {
  /**
   * Takes one row. `offset` and `line` are where a resumed read would
   * continue after it (see {@link ResumePoint}); `offset` is -1 for a row
   * whose end is unknown (a malformed row).
   */
  row(message: SourceMessage, offset: number, line: number): void;
  /** Passes over a row that is not data (a banner, a repeated header). */
  skip(offset: number, line: number): void;
  /** Returns a promise to wait for before the next row, or undefined. */
  pause(): Promise<void> | undefined;
  /** Counts bytes read from disk, for progress. */
  bytes(count: number): void;
  /** Counts bytes passed over by a seek, for progress. */
  skipped(count: number): void;
  now(): number;
}

/** An opened input: a CSV file, a JSON document or a Green Button file. */
export interface InputSource {
  readonly fingerprint: string;
  /** Hash of the first `length` bytes (at most 64 KiB). */
  fingerprintFor(length: number): string;
  readonly size: number;
  /** Problems of the whole input, reported with its first row. */
  readonly inputDiagnostics: Diagnostic[];
  /** The header line written above bad rows in the reject file. */
  readonly rejectHeader: string | undefined;
  /** Whether `read` can start at a resume point. */
  readonly resumable: boolean;
  /** Readings left out so far because they repeat one with the same value. */
  readonly duplicates: number;
  /** Readings rejected so far because they repeat one with another value. */
  readonly conflicts: number;
  read(
    from: ResumePoint | undefined,
    sink: RowSink,
    signal: AbortSignal,
  ): Promise<void>;
}
