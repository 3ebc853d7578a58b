import { once } from "node:events";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  statSync,
} from "node:fs";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import type { SourceLocation } from "../errors.js";
import type { TimeSeries } from "../timeseries/schema.js";

/**
 * A destination of readings. `write` resolves only when the batch is
 * stored (or in the output's own durable buffer); the pipeline retries a
 * batch whose write rejects, so an output must accept the same batch
 * twice without harm where it can (readings carry deterministic ids).
 */
export interface Output {
  readonly name: string;
  open?(): Promise<void>;
  write(readings: readonly TimeSeries[]): Promise<void>;
  close(): Promise<void>;
}

/** An input that did not become a valid reading, with why and where. */
export interface DeadLetter {
  /** When it was rejected, ISO 8601 UTC. */
  at: string;
  connector: string;
  protocol: string;
  /** Stable error code, for example `QUBIT_MQTT_PAYLOAD_NOT_JSON`. */
  code: string;
  /** What is invalid, what it must be and what was received. */
  reason: string;
  location: SourceLocation;
  fix?: string;
  /** The raw input: text as is, binary as base64, objects as JSON. */
  raw: string;
  raw_encoding: "utf8" | "base64" | "json";
  /**
   * Size of the raw input in bytes when it was longer than
   * {@link MAX_DEAD_LETTER_RAW_BYTES} and `raw` holds only its start.
   */
  raw_truncated_from?: number;
}

/** A destination of dead letters. */
export interface DeadLetterOutput {
  readonly name: string;
  write(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/** Keeps readings in memory; for tests and for library users. */
export class MemoryOutput implements Output {
  readonly name: string;
  readonly readings: TimeSeries[] = [];
  readonly batches: number[] = [];

  constructor(name = "memory") {
    this.name = name;
  }

  async write(readings: readonly TimeSeries[]): Promise<void> {
    this.batches.push(readings.length);
    for (const reading of readings) this.readings.push(reading);
  }

  async close(): Promise<void> {}
}

/** Drops every reading; the benchmark's sink. */
export class NullOutput implements Output {
  readonly name = "null";
  count = 0;

  async write(readings: readonly TimeSeries[]): Promise<void> {
    this.count += readings.length;
  }

  async close(): Promise<void> {}
}

/** Size limit of an NDJSON file that {@link NdjsonWriter} rotates. */
export interface RotationOptions {
  /** Size at which the file is renamed to `<path>.1` and a new one begun. */
  maxBytes: number;
  /** Rotated files kept (`<path>.1` newest); older ones are overwritten. */
  keep: number;
}

/**
 * Writes one JSON object per line to a stream or file, waiting for the
 * stream to drain so a slow disk or pipe slows the pipeline down instead
 * of filling memory.
 */
export class NdjsonWriter<T> {
  private stream: Writable;
  private readonly ownsStream: boolean;
  private readonly path: string | undefined;
  private readonly rotation: RotationOptions | undefined;
  private size = 0;

  constructor(target: Writable | string, rotation?: RotationOptions) {
    if (typeof target === "string") {
      mkdirSync(dirname(target), { recursive: true });
      this.path = target;
      this.rotation = rotation;
      this.size = existsSync(target) ? statSync(target).size : 0;
      this.stream = createWriteStream(target, { flags: "a" });
      this.ownsStream = true;
    } else {
      this.stream = target;
      this.ownsStream = false;
    }
  }

  async write(items: readonly T[]): Promise<void> {
    if (items.length === 0) return;
    let text = "";
    for (const item of items) text += `${JSON.stringify(item)}\n`;
    if (this.rotation) {
      const bytes = Buffer.byteLength(text);
      if (this.size > 0 && this.size + bytes > this.rotation.maxBytes) {
        await this.rotate(this.rotation.keep);
      }
      this.size += bytes;
    }
    if (!this.stream.write(text)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (!this.ownsStream) return;
    await endStream(this.stream);
  }

  private async rotate(keep: number): Promise<void> {
    const path = this.path as string;
    await endStream(this.stream);
    for (let index = keep - 1; index >= 1; index -= 1) {
      if (existsSync(`${path}.${index}`))
        renameSync(`${path}.${index}`, `${path}.${index + 1}`);
    }
    if (keep >= 1) renameSync(path, `${path}.1`);
    this.stream = createWriteStream(path, { flags: keep >= 1 ? "a" : "w" });
    this.size = 0;
  }
}

function endStream(stream: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

/** Writes readings as NDJSON to stdout, a stream or a file (appending). */
export class NdjsonOutput implements Output {
  readonly name: string;
  private readonly writer: NdjsonWriter<TimeSeries>;

  constructor(target: Writable | string, name = "ndjson") {
    this.name = name;
    this.writer = new NdjsonWriter(target);
  }

  write(readings: readonly TimeSeries[]): Promise<void> {
    return this.writer.write(readings);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/** Writes dead letters as NDJSON to a stream or file (appending). */
export class NdjsonDeadLetterOutput implements DeadLetterOutput {
  readonly name: string;
  private readonly writer: NdjsonWriter<DeadLetter>;

  /**
   * @param target a stream, or a file path to append to
   * @param rotation size limit of a file target; default 100 MiB, with
   *   3 rotated files kept, so that a flood of rejects cannot fill the disk
   */
  constructor(
    target: Writable | string,
    name = "dead-letter-file",
    rotation: RotationOptions = { maxBytes: 100 * 1024 * 1024, keep: 3 },
  ) {
    this.name = name;
    this.writer = new NdjsonWriter(target, rotation);
  }

  write(letters: readonly DeadLetter[]): Promise<void> {
    return this.writer.write(letters);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/**
 * Keeps the most recent dead letters in memory (`limit`, default 10,000),
 * counting those it had to drop; the default when no file is configured.
 */
export class MemoryDeadLetterOutput implements DeadLetterOutput {
  readonly name = "dead-letter-memory";
  readonly letters: DeadLetter[] = [];
  dropped = 0;
  private readonly limit: number;

  constructor(limit = 10_000) {
    this.limit = limit;
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    for (const letter of letters) {
      this.letters.push(letter);
      if (this.letters.length > this.limit) {
        this.letters.shift();
        this.dropped += 1;
      }
    }
  }

  async close(): Promise<void> {}
}
