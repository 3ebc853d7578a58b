// Tests of the disk buffer's file-backed queue on real files in a
// temporary folder, including files cut short or damaged by hand the way
// a crash or a failing disk leaves them.
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DiskQueue } from "../src/outputs/disk-queue.js";
import { crc32 } from "../src/outputs/disk-record.js";
import { CaptureLogger, tempDir } from "./output-helpers.js";

const folders: string[] = [];
const queues: DiskQueue[] = [];

function newQueue(
  options: Partial<ConstructorParameters<typeof DiskQueue>[0]> = {},
): DiskQueue {
  const directory = options.directory ?? tempDir("queue");
  folders.push(directory);
  const queue = new DiskQueue({
    directory,
    maxBytes: 1_000_000,
    fsync: false,
    ...options,
  });
  queues.push(queue);
  return queue;
}

async function drainAll(queue: DiskQueue): Promise<string[]> {
  const items: string[] = [];
  for (;;) {
    const item = await queue.peek();
    if (!item) return items;
    items.push(item.payload.toString());
    await queue.remove(item.entry);
  }
}

function segments(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith(".seg"))
    .sort();
}

afterEach(async () => {
  for (const queue of queues.splice(0))
    await queue.close().catch(() => undefined);
  for (const folder of folders.splice(0))
    rmSync(folder, { recursive: true, force: true });
});

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
});

describe("disk queue", () => {
  it("returns records in order", async () => {
    const queue = newQueue();
    await queue.open();
    for (const text of ["a", "bb", "ccc"])
      await queue.append(Buffer.from(text));
    expect(queue.length).toBe(3);
    expect(await drainAll(queue)).toEqual(["a", "bb", "ccc"]);
    expect(queue.length).toBe(0);
    expect(queue.bytes).toBe(0);
  });

  it("replays unconsumed records after reopening", async () => {
    const queue = newQueue();
    await queue.open();
    for (const text of ["one", "two", "three"])
      await queue.append(Buffer.from(text));
    const first = await queue.peek();
    await queue.remove(first!.entry);
    await queue.close();

    const again = newQueue({ directory: queue.directory });
    expect(await again.open()).toBe(2);
    await again.append(Buffer.from("four"));
    expect(await drainAll(again)).toEqual(["two", "three", "four"]);
  });

  it("spreads records over segments and deletes consumed ones", async () => {
    const queue = newQueue({ segmentBytes: 100 });
    await queue.open();
    const payload = Buffer.alloc(40, "x");
    for (let index = 0; index < 6; index += 1) await queue.append(payload);
    expect(segments(queue.directory)).toHaveLength(3);
    const bytesBefore = queue.bytes;
    for (let index = 0; index < 2; index += 1) {
      const item = await queue.peek();
      await queue.remove(item!.entry);
    }
    expect(segments(queue.directory)).toHaveLength(2);
    expect(queue.bytes).toBe(bytesBefore - 96);
    await drainAll(queue);
    expect(segments(queue.directory)).toEqual([]);
  });

  it("rejects an append beyond max_bytes", async () => {
    const queue = newQueue({ maxBytes: 100 });
    await queue.open();
    await queue.append(Buffer.alloc(50));
    const error = await queue.append(Buffer.alloc(50)).catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_BUFFER_FULL");
    expect(queue.length).toBe(1);
    await drainAll(queue);
    await expect(queue.append(Buffer.alloc(50))).resolves.toBeUndefined();
  });

  it("rejects a record larger than max_bytes", async () => {
    const queue = newQueue({ maxBytes: 100 });
    await queue.open();
    const error = await queue.append(Buffer.alloc(200)).catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_BUFFER_BATCH_TOO_LARGE");
    expect(error.fix).toContain("max_bytes");
  });

  it("cuts off a record that a crash left incomplete", async () => {
    const queue = newQueue();
    await queue.open();
    await queue.append(Buffer.from("whole"));
    await queue.close();
    const [segment] = segments(queue.directory);
    const path = join(queue.directory, segment!);
    // A header that promises 100 bytes, followed by only 3.
    const header = Buffer.alloc(8);
    header.writeUInt32BE(100, 0);
    appendFileSync(path, Buffer.concat([header, Buffer.from("par")]));

    const logger = new CaptureLogger();
    const again = newQueue({ directory: queue.directory, logger });
    expect(await again.open()).toBe(1);
    expect(readFileSync(path).length).toBe(8 + 5);
    expect(logger.lines.some((line) => line.level === "warn")).toBe(true);
    await again.append(Buffer.from("next"));
    expect(await drainAll(again)).toEqual(["whole", "next"]);
  });

  it("cuts off a last record with a wrong checksum", async () => {
    const queue = newQueue();
    await queue.open();
    await queue.append(Buffer.from("first"));
    await queue.append(Buffer.from("second"));
    await queue.close();
    const path = join(queue.directory, segments(queue.directory)[0]!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(path, bytes);

    const again = newQueue({ directory: queue.directory });
    expect(await again.open()).toBe(1);
    expect(await drainAll(again)).toEqual(["first"]);
  });

  it("skips a damaged record and keeps a copy", async () => {
    const queue = newQueue();
    await queue.open();
    for (const text of ["aaaa", "bbbb", "cccc"])
      await queue.append(Buffer.from(text));
    const path = join(queue.directory, segments(queue.directory)[0]!);
    // Damage the payload of the middle record after open() indexed it.
    const bytes = readFileSync(path);
    bytes[12 + 8] = bytes[12 + 8]! ^ 0xff;
    writeFileSync(path, bytes);

    expect(await drainAll(queue)).toEqual(["aaaa", "cccc"]);
    expect(existsSync(`${path}.corrupt`)).toBe(true);
  });

  it("rejects a second queue on the same folder", async () => {
    const queue = newQueue();
    await queue.open();
    const second = newQueue({ directory: queue.directory });
    const error = await second.open().catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_BUFFER_LOCKED");
  });

  it("takes over the lock of a process that is gone", async () => {
    const queue = newQueue();
    await queue.open();
    await queue.append(Buffer.from("kept"));
    await queue.close();
    // pid 2^22 + 1 is above Linux's pid_max limit, so no process has it.
    writeFileSync(join(queue.directory, "LOCK"), String(4_194_305));
    const again = newQueue({ directory: queue.directory });
    expect(await again.open()).toBe(1);
  });

  it("ignores HEAD when its segment is gone", async () => {
    const queue = newQueue();
    await queue.open();
    await queue.append(Buffer.from("x"));
    await queue.close();
    writeFileSync(
      join(queue.directory, "HEAD"),
      JSON.stringify({ segment: 0, offset: 999 }),
    );
    const again = newQueue({ directory: queue.directory });
    expect(await again.open()).toBe(1);
    expect(await drainAll(again)).toEqual(["x"]);
  });
});
