import { type FileHandle, mkdir, open, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Logger, noopLogger } from "@qubit/core";
import {
  crc32,
  decodeHeader,
  encodeRecord,
  HEADER_BYTES,
} from "./disk-record.js";
import {
  listSegments,
  type QueueEntry,
  readHead,
  scanSegment,
  segmentName,
  setAside,
  syncDirectory,
  writeAll,
  writeHead,
} from "./disk-segment.js";
import { BufferError } from "./errors.js";
import { acquireLock, type Lock } from "./lock.js";

export type { QueueEntry } from "./disk-segment.js";

/** Options of {@link DiskQueue}. */
export interface DiskQueueOptions {
  /** Folder of the segment files, created when missing. */
  directory: string;
  /** Maximum total size of the segment files, in bytes. */
  maxBytes: number;
  /** Flush each appended record to the disk before `append` resolves. */
  fsync: boolean;
  /**
   * Size at which a new segment file starts, in bytes; default an eighth
   * of `maxBytes`, between 64 KiB and 64 MiB. Space comes back when a
   * whole segment is consumed, so this bounds the consumed bytes that
   * still count against `maxBytes`.
   */
  segmentBytes?: number;
  logger?: Logger;
}

/**
 * A bounded first-in first-out queue of byte payloads in append-only
 * segment files. `append` adds a record at the tail; `peek` reads the
 * oldest and `remove` consumes it, saving the read position in the HEAD
 * file. After a crash, `open` replays every record after HEAD. A HEAD
 * that lags behind (it is not flushed to the disk) only makes a consumed
 * record come back, which at-least-once delivery allows.
 *
 * One process and one queue own a folder at a time (a LOCK file). The
 * operations are serialised, so `append` may run while a drain loop
 * calls `peek` and `remove`.
 */
export class DiskQueue {
  readonly directory: string;
  private readonly maxBytes: number;
  private readonly fsync: boolean;
  private readonly segmentBytes: number;
  private readonly logger: Logger;
  private entries: QueueEntry[] = [];
  private first = 0;
  private readonly sizes = new Map<number, number>();
  private totalBytes = 0;
  private nextSegment = 1;
  private tail: { segment: number; handle: FileHandle } | undefined;
  private reader: { segment: number; handle: FileHandle } | undefined;
  private lock: Lock | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: DiskQueueOptions) {
    this.directory = resolve(options.directory);
    this.maxBytes = options.maxBytes;
    this.fsync = options.fsync;
    this.segmentBytes =
      options.segmentBytes ??
      Math.min(64 << 20, Math.max(64 << 10, Math.floor(options.maxBytes / 8)));
    this.logger = options.logger ?? noopLogger;
  }

  /** Records not yet consumed. */
  get length(): number {
    return this.entries.length - this.first;
  }

  /** Bytes of the segment files, consumed records of a live segment included. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Takes the folder's lock and loads the records after HEAD. A record
   * cut short at the end of the last segment (a crash during `append`)
   * is cut off. A damaged record elsewhere is reported, and its segment
   * is copied aside. Returns the number of records found.
   */
  async open(): Promise<number> {
    await mkdir(this.directory, { recursive: true });
    this.lock = await acquireLock(this.directory);
    try {
      await this.load();
    } catch (error) {
      await this.lock.release();
      this.lock = undefined;
      throw error;
    }
    return this.length;
  }

  /**
   * Appends a record. Rejects with a {@link BufferError} when the record
   * would make the files larger than `maxBytes`.
   */
  append(payload: Buffer): Promise<void> {
    return this.serialise(() => this.appendNow(payload));
  }

  /** Reads the oldest record, or returns `undefined` when empty. */
  peek(): Promise<{ entry: QueueEntry; payload: Buffer } | undefined> {
    return this.serialise(() => this.peekNow());
  }

  /** Consumes `entry`, which must be the oldest record. */
  remove(entry: QueueEntry): Promise<void> {
    return this.serialise(() => this.removeNow(entry));
  }

  /** Closes the files and releases the lock; the records stay on disk. */
  close(): Promise<void> {
    return this.serialise(async () => {
      await this.tail?.handle.close();
      await this.reader?.handle.close();
      this.tail = undefined;
      this.reader = undefined;
      await this.lock?.release();
      this.lock = undefined;
    });
  }

  private serialise<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.chain.then(operation);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async appendNow(payload: Buffer): Promise<void> {
    if (!this.lock) throw new Error("The disk queue is not open");
    const record = encodeRecord(payload);
    if (record.length > this.maxBytes) {
      throw new BufferError(
        "QUBIT_RUNNER_OUTPUT_BUFFER_BATCH_TOO_LARGE",
        `A batch of ${record.length} bytes does not fit in a disk buffer of max_bytes ${this.maxBytes}`,
        {
          value: record.length,
          location: { address: this.directory },
          fix: "raise buffer.max_bytes or lower pipeline.batch_size",
        },
      );
    }
    if (this.totalBytes + record.length > this.maxBytes) {
      throw new BufferError(
        "QUBIT_RUNNER_OUTPUT_BUFFER_FULL",
        `Disk buffer is full (${this.totalBytes} of ${this.maxBytes} bytes); the batch waits until the output takes the buffered ones`,
        {
          value: this.totalBytes,
          location: { address: this.directory },
          fix: "bring the output back, or raise buffer.max_bytes",
        },
      );
    }
    const tail = await this.tailFor(record.length);
    const offset = this.sizes.get(tail.segment) ?? 0;
    try {
      await writeAll(tail.handle, record, offset);
      if (this.fsync) await tail.handle.datasync();
    } catch (error) {
      // A partial record (a full disk) must not stay in front of the next
      // append; cut the file back to its last whole record.
      await tail.handle.truncate(offset).catch(() => undefined);
      throw error;
    }
    this.sizes.set(tail.segment, offset + record.length);
    this.totalBytes += record.length;
    this.entries.push({
      segment: tail.segment,
      offset,
      length: payload.length,
    });
  }

  private async tailFor(
    recordBytes: number,
  ): Promise<{ segment: number; handle: FileHandle }> {
    const current = this.tail;
    const size = current ? (this.sizes.get(current.segment) ?? 0) : 0;
    if (current && (size === 0 || size + recordBytes <= this.segmentBytes))
      return current;
    await current?.handle.close();
    const segment = this.nextSegment;
    this.nextSegment += 1;
    const handle = await open(join(this.directory, segmentName(segment)), "w");
    if (this.fsync) await syncDirectory(this.directory);
    this.tail = { segment, handle };
    this.sizes.set(segment, 0);
    return this.tail;
  }

  private async peekNow(): Promise<
    { entry: QueueEntry; payload: Buffer } | undefined
  > {
    while (this.length > 0) {
      const entry = this.entries[this.first]!;
      const handle = await this.readerFor(entry.segment);
      const record = Buffer.alloc(HEADER_BYTES + entry.length);
      await handle.read(record, 0, record.length, entry.offset);
      const header = decodeHeader(record);
      const payload = record.subarray(HEADER_BYTES);
      if (header.length === entry.length && header.crc === crc32(payload))
        return { entry, payload };
      // The disk changed the record after open() checked its frame.
      await setAside(
        this.directory,
        entry.segment,
        entry.offset,
        "checksum mismatch, so this record is skipped",
        this.logger,
      );
      await this.removeNow(entry);
    }
    return undefined;
  }

  private async readerFor(segment: number): Promise<FileHandle> {
    if (this.reader?.segment === segment) return this.reader.handle;
    await this.reader?.handle.close();
    const handle = await open(join(this.directory, segmentName(segment)), "r");
    this.reader = { segment, handle };
    return handle;
  }

  private async removeNow(entry: QueueEntry): Promise<void> {
    if (this.entries[this.first] !== entry)
      throw new Error("Only the oldest record of a disk queue can be removed");
    this.first += 1;
    if (this.length === 0) {
      await this.reset();
      return;
    }
    const next = this.entries[this.first]!;
    await writeHead(this.directory, {
      segment: next.segment,
      offset: next.offset,
    });
    for (const segment of [...this.sizes.keys()]) {
      if (segment < next.segment) await this.deleteSegment(segment);
    }
    // Drop consumed entries from the array now and then, not per remove.
    if (this.first > 1_024 && this.first * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
  }

  /** Deletes every segment once all records are consumed. */
  private async reset(): Promise<void> {
    // HEAD moves to a segment number not used yet before the files go,
    // so a crash in between cannot make HEAD point into a later segment.
    await writeHead(this.directory, { segment: this.nextSegment, offset: 0 });
    await this.tail?.handle.close();
    this.tail = undefined;
    for (const segment of [...this.sizes.keys()])
      await this.deleteSegment(segment);
    this.entries = [];
    this.first = 0;
    this.totalBytes = 0;
  }

  private async deleteSegment(segment: number): Promise<void> {
    if (this.reader?.segment === segment) {
      await this.reader.handle.close();
      this.reader = undefined;
    }
    if (this.tail?.segment === segment) {
      await this.tail.handle.close();
      this.tail = undefined;
    }
    await unlink(join(this.directory, segmentName(segment))).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      },
    );
    this.totalBytes -= this.sizes.get(segment) ?? 0;
    this.sizes.delete(segment);
  }

  private async load(): Promise<void> {
    const segments = await listSegments(this.directory);
    const head = (await readHead(this.directory, this.logger)) ?? {
      segment: 0,
      offset: 0,
    };
    this.nextSegment = Math.max(head.segment, segments.at(-1) ?? 0) + 1;

    for (const segment of segments) {
      if (segment < head.segment) {
        await unlink(join(this.directory, segmentName(segment)));
        continue;
      }
      const start = segment === head.segment ? head.offset : 0;
      const last = segment === segments.at(-1);
      const scanned = await scanSegment(
        this.directory,
        segment,
        start,
        last,
        this.logger,
      );
      for (const entry of scanned.entries) this.entries.push(entry);
      this.sizes.set(segment, scanned.fileBytes);
      this.totalBytes += scanned.fileBytes;
      if (scanned.handle) this.tail = { segment, handle: scanned.handle };
    }
    if (this.length === 0 && segments.length > 0) await this.reset();
  }
}
