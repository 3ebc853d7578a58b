import type { Output } from "../pipeline/output.js";
import type { TimeSeries } from "../timeseries/schema.js";

/**
 * An output that hands batches to an async iterator: `write` waits while
 * `capacity` batches are unread, so a slow consumer of
 * `connector.process()` slows the connector down.
 */
export class BatchQueueOutput implements Output, AsyncIterable<TimeSeries[]> {
  readonly name = "process-iterator";
  private readonly capacity: number;
  private readonly queue: TimeSeries[][] = [];
  private readers: ((result: IteratorResult<TimeSeries[]>) => void)[] = [];
  private writers: (() => void)[] = [];
  private ended = false;

  constructor(capacity = 2) {
    this.capacity = capacity;
  }

  async write(readings: readonly TimeSeries[]): Promise<void> {
    const batch = [...readings];
    const reader = this.readers.shift();
    if (reader) {
      reader({ value: batch, done: false });
      return;
    }
    this.queue.push(batch);
    while (this.queue.length > this.capacity && !this.ended) {
      await new Promise<void>((resolve) => this.writers.push(resolve));
    }
  }

  /** Ends the iteration once the queued batches are read. */
  end(): void {
    this.ended = true;
    for (const writer of this.writers.splice(0)) writer();
    if (this.queue.length === 0) {
      for (const reader of this.readers.splice(0))
        reader({ value: undefined, done: true });
    }
  }

  async close(): Promise<void> {}

  [Symbol.asyncIterator](): AsyncIterator<TimeSeries[]> {
    return {
      next: () => {
        const batch = this.queue.shift();
        if (batch) {
          this.writers.shift()?.();
          return Promise.resolve({ value: batch, done: false });
        }
        if (this.ended)
          return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.readers.push(resolve));
      },
      return: () => {
        this.end();
        this.queue.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
