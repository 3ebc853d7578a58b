import type { Logger, SourceMessage, StateStore } from "@qubit/core";
import type { CsvConfig } from "../config.js";
import { CsvError } from "../errors.js";
import { FINGERPRINT_BYTES } from "../file/open.js";
import { type Checkpoint, CheckpointStore } from "./checkpoint.js";
import {
  formatProgressLine,
  type ImportProgress,
  ProgressTracker,
} from "./progress.js";
import { RejectFile } from "./reject-file.js";
import type { InputSource, ResumePoint, RowSink } from "./source.js";

/** Summary of one file's import, logged and returned at the end. */
export interface ImportSummary {
  file: string;
  status: "completed" | "skipped" | "stopped" | "failed";
  rows: number;
  readings: number;
  bad_rows: number;
  /** Rows left out: repeated headers and lines matching skip_lines_matching. */
  skipped_rows: number;
  /** Line the import continued after, when it resumed. */
  resumed_after_line?: number;
  duration_ms: number;
  rows_per_second: number;
  reject_file?: string;
  error?: { code: string; message: string };
}

/** Options of {@link FileImport}. */
export interface FileImportOptions {
  config: CsvConfig;
  connector: string;
  logger: Logger;
  state: StateStore | undefined;
  now: () => number;
  openSource(config: CsvConfig, connector: string): Promise<InputSource>;
  deliver(message: SourceMessage): Promise<void>;
  saturated(): boolean;
  whenWritable(): Promise<void>;
  onProgress?: ((progress: ImportProgress) => void) | undefined;
  signal: AbortSignal;
}

const resolved = Promise.resolve();
const ignore = (): void => undefined;
const RATIO_MIN_ROWS = 1000;

/**
 * One file import. It opens the input, decides from the checkpoint
 * whether to start, resume or skip, and reads the rows into the
 * connector. It applies the error limits and writes the reject file. It
 * saves a checkpoint once the rows before it are accepted by the sink,
 * so an interrupted import resumes without losing or repeating rows.
 */
export class FileImport {
  private readonly options: FileImportOptions;
  private readonly logger: Logger;
  private readonly store: CheckpointStore;
  private source: InputSource | undefined;
  private tracker: ProgressTracker | undefined;
  private resumeFrom: (ResumePoint & { rows: number }) | undefined;
  private skip = false;
  private failure: CsvError | undefined;

  constructor(options: FileImportOptions) {
    this.options = options;
    this.logger = options.logger.child({ file: options.config.file_path });
    this.store = new CheckpointStore(
      options.state,
      options.connector,
      options.config.file_path,
    );
  }

  /** Opens the input and reads the checkpoint; throws on a bad file or mapping. */
  async open(): Promise<void> {
    const { config } = this.options;
    const source = await this.options.openSource(
      config,
      this.options.connector,
    );
    this.source = source;
    const checkpoint = config.resume ? this.store.load() : undefined;
    if (!config.resume) this.store.clear();
    if (checkpoint) this.decide(checkpoint, source);
    this.tracker = new ProgressTracker(
      config.file_path,
      source.size,
      this.options.now,
      { bytes: 0, rows: this.resumeFrom?.rows ?? 0 },
    );
  }

  /** Current progress; zeros before `open`. */
  progress(): ImportProgress {
    return (
      this.tracker ??
      new ProgressTracker(this.options.config.file_path, 0, this.options.now)
    ).snapshot();
  }

  /** Reads the whole input; resolves with the summary. */
  async run(): Promise<ImportSummary> {
    const source = this.source!;
    const tracker = this.tracker!;
    const { config } = this.options;
    const started = this.options.now();
    if (this.skip) {
      this.logger.info(
        { rows: tracker.rows },
        "File already imported and unchanged; skipped",
      );
      return this.summary("skipped", started);
    }
    if (this.resumeFrom) {
      this.logger.info(
        { line: this.resumeFrom.line, rows: this.resumeFrom.rows },
        "Resuming import from checkpoint",
      );
    }
    const rejects = config.reject_file
      ? new RejectFile(config.reject_file, source.rejectHeader)
      : undefined;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    this.options.signal.addEventListener("abort", onAbort, { once: true });

    let readingsDone: Promise<void> = resolved;
    let lettersDone: Promise<void> = resolved;
    let lastPromise: Promise<void> = resolved;
    let position: ResumePoint | undefined = this.resumeFrom;
    let reported = 0;
    let rejectWrite: Promise<void> | undefined;
    let nextProgress = started + config.progress_interval_ms;
    let nextLog =
      config.progress_log_interval_ms > 0
        ? started + config.progress_log_interval_ms
        : Number.POSITIVE_INFINITY;
    let nextCheckpoint = started + config.checkpoint_interval_ms;

    const saveAfter = (
      point: ResumePoint | undefined,
      rows: number,
      completed: boolean,
    ) => {
      const pending = Promise.all([readingsDone, lettersDone]);
      return pending.then(() => {
        if (point === undefined && !completed) return;
        this.store.save(this.checkpoint(point, rows, completed));
      });
    };

    const sink: RowSink = {
      now: this.options.now,
      bytes: (count) => {
        tracker.bytes += count;
      },
      skipped: (count) => tracker.skip(count),
      skip: (at) => {
        tracker.skippedRows += 1;
        position = at;
      },
      row: (message, at) => {
        tracker.rows += 1;
        const result = message.convert();
        if (source.inputDiagnostics.length > reported) {
          result.diagnostics.push(...source.inputDiagnostics.slice(reported));
          reported = source.inputDiagnostics.length;
        }
        tracker.readings += result.readings.length;
        const bad = result.rejects.length > 0;
        if (bad) {
          tracker.badRows += 1;
          if (rejects) rejectWrite = rejects.write(String(message.raw));
          this.checkLimits(tracker, false, stop);
        }
        const promise = this.options.deliver(message);
        if (promise !== lastPromise) {
          promise.catch(ignore);
          lastPromise = promise;
        }
        if (bad) lettersDone = promise;
        else if (result.readings.length > 0) readingsDone = promise;
        if (at) position = at;
      },
      pause: () => {
        const now = this.options.now();
        if (now >= nextProgress) {
          nextProgress = now + config.progress_interval_ms;
          this.report(tracker.snapshot());
        }
        if (now >= nextLog) {
          nextLog = now + config.progress_log_interval_ms;
          this.logger.info(
            tracker.snapshot(),
            formatProgressLine(tracker.snapshot()),
          );
        }
        if (now >= nextCheckpoint) {
          nextCheckpoint = now + config.checkpoint_interval_ms;
          saveAfter(position, tracker.rows, false).catch(ignore);
        }
        if (rejectWrite) {
          const write = rejectWrite;
          rejectWrite = undefined;
          return write;
        }
        return this.options.saturated()
          ? this.options.whenWritable()
          : undefined;
      },
    };

    let readError: unknown;
    try {
      await source.read(this.resumeFrom, sink, stop.signal);
    } catch (error) {
      readError = error;
    } finally {
      this.options.signal.removeEventListener("abort", onAbort);
    }
    if (rejectWrite) await rejectWrite.catch(ignore);
    await rejects
      ?.close()
      .catch((error: unknown) =>
        this.logger.error(
          { err: error, reject_file: config.reject_file },
          "Reject file failed to close",
        ),
      );

    const stopped = this.options.signal.aborted && !this.failure;
    if (!stopped && !this.failure && readError === undefined)
      this.checkLimits(tracker, true, stop);
    let accepted = true;
    try {
      if (this.failure) {
        await Promise.allSettled([readingsDone, lettersDone]);
        // A rerun after fixing the mapping starts over; deterministic ids
        // make the rows accepted so far no-ops in the store.
        this.store.clear();
      } else {
        await saveAfter(
          position,
          tracker.rows,
          !stopped && readError === undefined,
        );
      }
    } catch {
      accepted = false;
    }
    this.report(tracker.snapshot(true));

    if (this.failure || readError !== undefined) {
      const error = this.failure ?? toReadError(readError, config.file_path);
      this.failure = error;
      const summary = this.summary("failed", started, rejects?.path);
      summary.error = { code: error.code, message: error.message };
      this.logger.error({ ...summary }, "File import failed");
      return summary;
    }
    const summary = this.summary(
      stopped || !accepted ? "stopped" : "completed",
      started,
      rejects?.path,
    );
    this.logger.info(
      { ...summary },
      stopped
        ? "File import stopped; it resumes from its checkpoint"
        : "File import finished",
    );
    return summary;
  }

  /** The error that stopped the import, if any. */
  get error(): CsvError | undefined {
    return this.failure;
  }

  private decide(checkpoint: Checkpoint, source: InputSource): void {
    const head = source.fingerprintFor(
      Math.min(checkpoint.size, FINGERPRINT_BYTES),
    );
    if (checkpoint.fingerprint !== head || source.size < checkpoint.size) {
      this.logger.warn(
        {
          code: "QUBIT_CSV_CHECKPOINT_STALE",
          line: checkpoint.line,
          rows: checkpoint.rows,
        },
        "File changed since its checkpoint; importing it from the start",
      );
      this.store.clear();
      return;
    }
    if (checkpoint.completed && source.size === checkpoint.size) {
      this.skip = true;
      this.resumeFrom = {
        offset: checkpoint.offset,
        line: checkpoint.line,
        rows: checkpoint.rows,
      };
      return;
    }
    if (!source.resumable) return;
    this.resumeFrom = {
      offset: checkpoint.offset,
      line: checkpoint.line,
      rows: checkpoint.rows,
    };
  }

  private checkLimits(
    tracker: ProgressTracker,
    atEnd: boolean,
    stop: AbortController,
  ): void {
    if (this.failure) return;
    const { max_errors, max_error_ratio } = this.options.config;
    let reason: string | undefined;
    if (max_errors !== null && tracker.badRows > max_errors) {
      reason = `${tracker.badRows} bad rows, more than max_errors ${max_errors}`;
    } else if (
      max_error_ratio !== null &&
      (atEnd || tracker.rows >= RATIO_MIN_ROWS) &&
      tracker.rows > 0 &&
      tracker.badRows / tracker.rows > max_error_ratio
    ) {
      reason = `${tracker.badRows} of ${tracker.rows} rows are bad, more than max_error_ratio ${max_error_ratio}`;
    }
    if (reason === undefined) return;
    this.failure = new CsvError(
      "QUBIT_CSV_TOO_MANY_ERRORS",
      `Import of ${this.options.config.file_path} stopped: ${reason}`,
      {
        value: tracker.badRows,
        location: { address: this.options.config.file_path },
        fix: "read the first bad rows in the dead letters; a wrong delimiter, timestamp_format or mapping makes every row bad",
      },
    );
    stop.abort();
  }

  private checkpoint(
    point: ResumePoint | undefined,
    rows: number,
    completed: boolean,
  ): Checkpoint {
    return {
      fingerprint: this.source!.fingerprint,
      size: this.source!.size,
      offset: point?.offset ?? 0,
      line: point?.line ?? 0,
      rows,
      completed,
      updated_at: new Date(this.options.now()).toISOString(),
    };
  }

  private report(progress: ImportProgress): void {
    const callback = this.options.onProgress;
    if (!callback) return;
    try {
      callback(progress);
    } catch (error) {
      this.logger.error(
        { err: error },
        "onProgress callback threw; the import goes on",
      );
    }
  }

  private summary(
    status: ImportSummary["status"],
    started: number,
    rejectFile?: string,
  ): ImportSummary {
    const tracker = this.tracker!;
    const duration = Math.max(0, this.options.now() - started);
    const rows = tracker.rows - (this.resumeFrom?.rows ?? 0);
    const summary: ImportSummary = {
      file: this.options.config.file_path,
      status,
      rows: tracker.rows,
      readings: tracker.readings,
      bad_rows: tracker.badRows,
      skipped_rows: tracker.skippedRows,
      duration_ms: duration,
      rows_per_second:
        duration > 0 ? Math.round((rows * 1000) / duration) : rows,
    };
    if (this.resumeFrom && status !== "skipped")
      summary.resumed_after_line = this.resumeFrom.line;
    if (rejectFile && tracker.badRows > 0) summary.reject_file = rejectFile;
    return summary;
  }
}

function toReadError(error: unknown, path: string): CsvError {
  if (error instanceof CsvError) return error;
  return new CsvError(
    "QUBIT_CSV_FILE_READ_FAILED",
    `Reading ${path} failed: ${(error as Error)?.message ?? String(error)}`,
    {
      location: { address: path },
      cause: error,
      fix: "check the file; a resumed import continues after the last accepted row",
    },
  );
}
