import {
  copyFile,
  type FileHandle,
  open,
  readdir,
  readFile,
  rename,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@qubit/core";
import { crc32, decodeHeader, HEADER_BYTES } from "./disk-record.js";
import { BufferError } from "./errors.js";

/** The place of one record in the segment files. */
export interface QueueEntry {
  segment: number;
  offset: number;
  /** Payload length, in bytes. */
  length: number;
}

/** The read position that the HEAD file stores. */
export interface Position {
  segment: number;
  offset: number;
}

const SEGMENT_FILE = /^(\d{16})\.seg$/;
const HEAD_FILE = "HEAD";

/** Returns the file name of a segment number. */
export function segmentName(segment: number): string {
  return `${String(segment).padStart(16, "0")}.seg`;
}

/** Lists the segment numbers in a folder, oldest first. */
export async function listSegments(directory: string): Promise<number[]> {
  const names = await readdir(directory);
  return names
    .map((name) => SEGMENT_FILE.exec(name)?.[1])
    .filter((match): match is string => match !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Saves the read position. The file is replaced by a rename but not
 * flushed to the disk: a position lost in a power failure only makes
 * consumed records come back.
 */
export async function writeHead(
  directory: string,
  position: Position,
): Promise<void> {
  const path = join(directory, HEAD_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(position));
  await rename(`${path}.tmp`, path);
}

/** Reads the saved position, or returns `undefined` when there is none. */
export async function readHead(
  directory: string,
  logger: Logger,
): Promise<Position | undefined> {
  try {
    const text = await readFile(join(directory, HEAD_FILE), "utf8");
    const head = JSON.parse(text) as Position;
    if (Number.isInteger(head.segment) && Number.isInteger(head.offset))
      return head;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  }
  logger.warn(
    { buffer: directory },
    "Disk buffer HEAD file is unreadable; replaying every segment",
  );
  return undefined;
}

/**
 * Indexes the records of one segment from `start`. A record cut short at
 * the end of the last segment is cut off, because a crash during an
 * append leaves one. A bad frame in another segment is reported and the
 * rest of that segment is skipped. The last segment stays open for
 * appends, and its handle is returned.
 */
export async function scanSegment(
  directory: string,
  segment: number,
  start: number,
  last: boolean,
  logger: Logger,
): Promise<{ entries: QueueEntry[]; fileBytes: number; handle?: FileHandle }> {
  const handle = await open(join(directory, segmentName(segment)), "r+");
  try {
    const { size } = await handle.stat();
    const entries: QueueEntry[] = [];
    const header = Buffer.alloc(HEADER_BYTES);
    let offset = start;
    while (offset < size) {
      const end = await recordEnd(handle, header, offset, size);
      if (end === undefined) break;
      entries.push({ segment, offset, length: end - offset - HEADER_BYTES });
      offset = end;
    }

    if (offset < size && last) {
      logger.warn(
        { buffer: directory, segment, offset, bytes: size - offset },
        "Disk buffer ends with an incomplete record; cutting it off",
      );
      await handle.truncate(offset);
    } else if (offset < size) {
      await setAside(
        directory,
        segment,
        offset,
        "invalid record frame, so the rest of this segment is skipped",
        logger,
      );
    }

    if (last) return { entries, fileBytes: offset, handle };
    await handle.close();
    return { entries, fileBytes: size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Returns where the record at `offset` ends, or `undefined` when its
 * header is cut short or its length is 0 or runs past the file. The last
 * record's checksum is checked too, because a crash may have left it half
 * written; `DiskQueue.peek` checks the others.
 */
async function recordEnd(
  handle: FileHandle,
  header: Buffer,
  offset: number,
  size: number,
): Promise<number | undefined> {
  if (offset + HEADER_BYTES > size) return undefined;
  await handle.read(header, 0, HEADER_BYTES, offset);
  const { length, crc } = decodeHeader(header);
  const end = offset + HEADER_BYTES + length;
  if (length === 0 || end > size) return undefined;
  if (end === size) {
    const payload = Buffer.alloc(length);
    await handle.read(payload, 0, length, offset + HEADER_BYTES);
    if (crc32(payload) !== crc) return undefined;
  }
  return end;
}

/**
 * Copies a segment with a damaged record to `<segment>.corrupt` and logs
 * the damage. `reason` describes what was found and what is skipped.
 */
export async function setAside(
  directory: string,
  segment: number,
  offset: number,
  reason: string,
  logger: Logger,
): Promise<void> {
  const from = join(directory, segmentName(segment));
  const to = `${from}.corrupt`;
  await copyFile(from, to).catch(() => undefined);
  const error = new BufferError(
    "QUBIT_RUNNER_OUTPUT_BUFFER_CORRUPT",
    `Disk buffer record at byte ${offset} of ${from} is damaged: ${reason}`,
    {
      location: { address: from, offset },
      fix: `inspect the copy in ${to}; the readings of the skipped records are not sent`,
    },
  );
  logger.error({ err: error }, "Disk buffer record is damaged");
}

/** Writes all of `data` at `position`, looping over short writes. */
export async function writeAll(
  handle: FileHandle,
  data: Buffer,
  position: number,
): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      written,
      data.length - written,
      position + written,
    );
    written += bytesWritten;
  }
}

/** Flushes a folder's entries, so a new file's name survives a power loss. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
