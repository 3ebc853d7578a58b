import {
  Backoff,
  type BoundCounter,
  type BoundGauge,
  type Logger,
  MetricsRegistry,
  noopLogger,
  type Output,
  rateLimited,
  sleep,
  type TimeSeries,
} from "@qubit/core";
import { DiskQueue, type QueueEntry } from "./disk-queue.js";

/** Options of {@link BufferedOutput}. */
export interface BufferedOutputOptions {
  /** Folder of the queue files. */
  directory: string;
  /** Maximum size of the queue files, in bytes. */
  maxBytes: number;
  /** Flush each buffered batch to the disk before the write resolves; default true. */
  fsync?: boolean;
  /** First delay before the output is retried, in ms; default 1,000. */
  retryInitialDelayMs?: number;
  /** Maximum delay between retries of the output, in ms; default 30,000. */
  retryMaxDelayMs?: number;
  logger?: Logger;
  registry?: MetricsRegistry;
}

/**
 * Wraps an output in a bounded disk buffer. While the output works,
 * batches go straight to it. When a write fails, the batch is appended to
 * a {@link DiskQueue} and the write resolves, so the pipeline counts it
 * as accepted; from then on every batch goes to the queue, and a
 * background loop sends the queued batches to the output in order, with
 * backoff, until the queue is empty. Batches left in the queue at close
 * (or after a crash) are sent after the next `open`.
 *
 * When the queue is full, `write` rejects, so the pipeline retries the
 * batch and its back-pressure slows the connectors down.
 */
export class BufferedOutput implements Output {
  readonly name: string;
  readonly inner: Output;
  private readonly queue: DiskQueue;
  private readonly options: BufferedOutputOptions;
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  private readonly logDrainFailure = rateLimited(5, 60_000);
  private buffering = false;
  private draining = false;
  private drainDone: Promise<void> = Promise.resolve();
  private chain: Promise<void> = Promise.resolve();
  private opened = false;
  private readonly metric: {
    bytes: BoundGauge;
    batches: BoundGauge;
    buffered: BoundCounter;
    replayed: BoundCounter;
    full: BoundCounter;
  };

  constructor(inner: Output, options: BufferedOutputOptions) {
    this.inner = inner;
    this.name = inner.name;
    this.options = options;
    this.logger = (options.logger ?? noopLogger).child({
      output: inner.name,
      buffer: options.directory,
    });
    this.queue = new DiskQueue({
      directory: options.directory,
      maxBytes: options.maxBytes,
      fsync: options.fsync ?? true,
      logger: this.logger,
    });
    const registry = options.registry ?? new MetricsRegistry();
    const labels = { output: inner.name };
    this.metric = {
      bytes: registry
        .gauge("qubit_output_buffer_bytes", "Bytes of disk buffer files")
        .with(labels),
      batches: registry
        .gauge(
          "qubit_output_buffer_batches",
          "Batches waiting in a disk buffer",
        )
        .with(labels),
      buffered: registry
        .counter(
          "qubit_output_buffered_readings_total",
          "Readings written to a disk buffer because the output failed",
        )
        .with(labels),
      replayed: registry
        .counter(
          "qubit_output_buffer_replayed_readings_total",
          "Readings sent from a disk buffer to its output",
        )
        .with(labels),
      full: registry
        .counter(
          "qubit_output_buffer_full_total",
          "Writes rejected because a disk buffer was full",
        )
        .with(labels),
    };
  }

  /** True while batches wait in the buffer or go to it. */
  get isBuffering(): boolean {
    return this.buffering;
  }

  /** Folder of the buffer's queue files. */
  get directory(): string {
    return this.queue.directory;
  }

  /** Batches waiting in the buffer. */
  get bufferedBatches(): number {
    return this.queue.length;
  }

  /** Bytes of the buffer's files. */
  get bufferedBytes(): number {
    return this.queue.bytes;
  }

  /**
   * Loads the queue left by an earlier run and opens the output. An
   * output that fails to open is logged; the buffer takes its batches.
   */
  async open(): Promise<void> {
    const waiting = await this.queue.open();
    this.opened = true;
    this.updateGauges();
    if (waiting > 0) {
      this.buffering = true;
      this.logger.info(
        { batches: waiting, bytes: this.queue.bytes },
        "Disk buffer holds batches from an earlier run; sending them first",
      );
    }
    try {
      await this.inner.open?.();
    } catch (error) {
      this.logger.error(
        { err: error },
        "Output failed to open; batches go to the disk buffer until it works",
      );
    }
    if (this.buffering) this.startDrain(false);
  }

  write(readings: readonly TimeSeries[]): Promise<void> {
    const run = this.chain.then(() => this.writeOne(readings));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits until the buffer is empty or `timeoutMs` passed; returns whether it is empty. */
  async whenDrained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffering && Date.now() < deadline) await sleep(20);
    return !this.buffering;
  }

  /**
   * Stops the drain loop and closes the output; the queue stays on disk.
   * The output closes first, so a write that waits for it (a webhook
   * honouring Retry-After) fails and its batch goes to the queue.
   */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.inner.close();
    await this.chain;
    await this.drainDone;
    const batches = this.queue.length;
    await this.queue.close();
    if (batches > 0) {
      this.logger.info(
        { batches, bytes: this.queue.bytes },
        "Disk buffer keeps batches the output did not take; they are sent after the next start",
      );
    }
  }

  private async writeOne(readings: readonly TimeSeries[]): Promise<void> {
    if (!this.opened) await this.open();
    if (!this.buffering) {
      try {
        await this.inner.write(readings);
        return;
      } catch (error) {
        this.logger.warn(
          { err: error, readings: readings.length },
          "Output write failed; buffering batches on disk until it recovers",
        );
        this.buffering = true;
      }
    }
    try {
      await this.queue.append(Buffer.from(JSON.stringify(readings)));
      this.metric.buffered.inc(readings.length);
      // A drain loop that found the queue empty while this append waited
      // may have switched back to direct writes. Switching to the queue
      // again keeps the next batches behind this one.
      this.buffering = true;
    } catch (error) {
      if (
        (error as { code?: string }).code === "QUBIT_RUNNER_OUTPUT_BUFFER_FULL"
      )
        this.metric.full.inc();
      throw error;
    } finally {
      this.updateGauges();
      this.startDrain();
    }
  }

  private startDrain(waitFirst = true): void {
    if (this.draining || this.stopping.signal.aborted) return;
    this.draining = true;
    this.drainDone = this.drain(waitFirst).catch((error: unknown) => {
      this.draining = false;
      this.logger.error({ err: error }, "Disk buffer drain loop failed");
    });
  }

  private async drain(waitFirst: boolean): Promise<void> {
    const backoff = new Backoff({
      initialDelayMs: this.options.retryInitialDelayMs ?? 1_000,
      maxDelayMs: this.options.retryMaxDelayMs ?? 30_000,
    });
    let sent = 0;
    try {
      // After a failed write, give the output a moment before the retry.
      if (waitFirst) await sleep(backoff.next(), this.stopping.signal);
      while (!this.stopping.signal.aborted) {
        if (this.queue.length === 0) {
          // Set in the same tick as the check, so no append slips between.
          this.buffering = false;
          this.draining = false;
          this.logger.info(
            { batches: sent },
            "Output recovered; disk buffer is empty",
          );
          return;
        }
        if (await this.sendOldest()) {
          sent += 1;
          backoff.reset();
        } else {
          await sleep(backoff.next(), this.stopping.signal);
        }
      }
    } catch (error) {
      // The abort of close() ends a sleep with an error; that is no fault.
      if (!this.stopping.signal.aborted) throw error;
    } finally {
      this.draining = false;
    }
  }

  /** Sends the oldest queued batch; returns whether it left the queue. */
  private async sendOldest(): Promise<boolean> {
    let item: Awaited<ReturnType<DiskQueue["peek"]>>;
    try {
      item = await this.queue.peek();
    } catch (error) {
      this.logger.error(
        { err: error },
        "Disk buffer read failed; retrying with backoff",
      );
      return false;
    }
    if (!item) return true;
    let readings: TimeSeries[];
    try {
      readings = JSON.parse(item.payload.toString("utf8")) as TimeSeries[];
    } catch (error) {
      // The checksum matched, so these are the bytes that were written;
      // only a file from another program gets here.
      this.logger.error(
        { err: error, segment: item.entry.segment, offset: item.entry.offset },
        "Disk buffer record is not a JSON batch; skipping it",
      );
      await this.removeEntry(item.entry);
      return true;
    }
    try {
      await this.inner.write(readings);
    } catch (error) {
      const { allowed, suppressed } = this.logDrainFailure();
      if (allowed) {
        this.logger.warn(
          { err: error, batches: this.queue.length, suppressed },
          "Output still fails; the disk buffer keeps its batches",
        );
      }
      return false;
    }
    if (!(await this.removeEntry(item.entry))) return false;
    this.metric.replayed.inc(readings.length);
    return true;
  }

  private async removeEntry(entry: QueueEntry): Promise<boolean> {
    try {
      await this.queue.remove(entry);
      return true;
    } catch (error) {
      this.logger.error(
        { err: error },
        "Disk buffer update failed; the batch may be sent again",
      );
      return false;
    } finally {
      this.updateGauges();
    }
  }

  private updateGauges(): void {
    this.metric.bytes.set(this.queue.bytes);
    this.metric.batches.set(this.queue.length);
  }
}
