import type { Logger, SourceMessage, StateStore } from "@qubit/core";
import type { CsvConfig } from "../config.js";
import type { CsvError } from "../errors.js";
import { FINGERPRINT_BYTES } from "../file/open.js";
import { type Checkpoint, CheckpointStore } from "./checkpoint.js";
import { formatOf } from "./open-input.js";
import {
  formatProgressLine,
  type ImportProgress,
  ProgressTracker,
} from "./progress.js";
import { RejectFile } from "./reject-file.js";
import type { InputSource, ResumePoint, RowSink } from "./source.js";
import {
  buildSummary,
  type ImportSummary,
  limitFailure,
  noDataRows,
  toReadError,
  withoutFile,
} from "./summary.js";

export type { ImportSummary } from "./summary.js";

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
const CLOCK_ROWS = 32;

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
    // Where a resumed read continues: after the last row read. The two
    // numbers become a ResumePoint only when a checkpoint is saved.
    let positionOffset = this.resumeFrom?.offset ?? -1;
    let positionLine = this.resumeFrom?.line ?? 0;
    const position = (): ResumePoint | undefined =>
      positionOffset < 0
        ? undefined
        : { offset: positionOffset, line: positionLine };
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

    // Progress callbacks, progress log lines and checkpoints, by the clock.
    const periodic = (now: number) => {
      if (now >= nextProgress) {
        nextProgress = now + config.progress_interval_ms;
        this.report(tracker.snapshot());
      }
      if (now >= nextLog) {
        nextLog = now + config.progress_log_interval_ms;
        const snapshot = tracker.snapshot();
        this.logger.info(withoutFile(snapshot), formatProgressLine(snapshot));
      }
      if (now >= nextCheckpoint) {
        nextCheckpoint = now + config.checkpoint_interval_ms;
        saveAfter(position(), tracker.rows, false).catch(ignore);
      }
    };

    // The clock is read every CLOCK_ROWS rows, not for every row: rows
    // take microseconds and the intervals are at least 10 ms.
    let clock = started;
    let rowsSinceClock = 0;
    const sink: RowSink = {
      now: () => clock,
      bytes: (count) => {
        tracker.bytes += count;
      },
      skipped: (count) => tracker.skip(count),
      skip: (offset, line) => {
        tracker.skippedRows += 1;
        positionOffset = offset;
        positionLine = line;
      },
      row: (message, offset, line) => {
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
        if (offset >= 0) {
          positionOffset = offset;
          positionLine = line;
        }
      },
      pause: () => {
        rowsSinceClock += 1;
        if (rowsSinceClock >= CLOCK_ROWS) {
          rowsSinceClock = 0;
          clock = this.options.now();
          periodic(clock);
        }
        if (rejectWrite) {
          const write = rejectWrite;
          rejectWrite = undefined;
          return write;
        }
        if (!this.options.saturated()) return undefined;
        return this.options.whenWritable().then(() => {
          clock = this.options.now();
        });
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
    if (!stopped && !this.failure && readError === undefined) {
      this.checkLimits(tracker, true, stop);
      if (tracker.rows === 0 && !this.failure) {
        this.failure = noDataRows(
          config.file_path,
          formatOf(config),
          tracker.skippedRows,
        );
      }
    }
    let accepted = true;
    try {
      if (this.failure) {
        await Promise.allSettled([readingsDone, lettersDone]);
        // A rerun after fixing the mapping starts over; deterministic ids
        // make the rows accepted so far no-ops in the store.
        this.store.clear();
      } else {
        await saveAfter(
          position(),
          tracker.rows,
          !stopped && readError === undefined,
        );
      }
    } catch {
      accepted = false;
    }
    // Only a completed import has nothing left. A stopped one keeps its
    // estimate of the time the rest of the file takes.
    const completed =
      !this.failure && readError === undefined && !stopped && accepted;
    this.report(tracker.snapshot(completed));

    if (this.failure || readError !== undefined) {
      const error = this.failure ?? toReadError(readError, config.file_path);
      this.failure = error;
      const summary = this.summary("failed", started, rejects?.path);
      summary.error = { code: error.code, message: error.message };
      this.logger.error(withoutFile(summary), "File import failed");
      return summary;
    }
    const summary = this.summary(
      stopped || !accepted ? "stopped" : "completed",
      started,
      rejects?.path,
    );
    this.logger.info(
      withoutFile(summary),
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
    this.failure = limitFailure(
      tracker,
      this.options.config,
      atEnd,
      RATIO_MIN_ROWS,
    );
    if (this.failure) stop.abort();
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
    return buildSummary(
      this.options.config.file_path,
      status,
      {
        tracker: this.tracker!,
        duplicates: this.source?.duplicates ?? 0,
        conflicts: this.source?.conflicts ?? 0,
        resumedRows: this.resumeFrom?.rows ?? 0,
        resumedAfterLine: this.resumeFrom?.line,
      },
      started,
      this.options.now(),
      rejectFile,
    );
  }
}
