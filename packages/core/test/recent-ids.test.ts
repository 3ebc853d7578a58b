import { describe, expect, it } from "vitest";
import { readingId } from "../src/index.js";
import { RecentIds } from "../src/pipeline/recent-ids.js";

/** The window as a Set and a ring of strings: the reference behaviour. */
class ReferenceWindow {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  seenBefore(id: string): boolean {
    if (this.seen.has(id)) return true;
    this.seen.add(id);
    if (this.order.length < this.capacity) this.order.push(id);
    else {
      this.seen.delete(this.order[this.next]!);
      this.order[this.next] = id;
      this.next = (this.next + 1) % this.capacity;
    }
    return false;
  }
}

function idPool(size: number): string[] {
  const pool: string[] = [];
  for (let index = 0; index < size; index += 1) {
    pool.push(
      readingId({
        asset_id: `a${index % 13}`,
        metric: "m",
        timestamp: new Date(1_736_935_200_000 + index).toISOString(),
      }),
    );
  }
  // Ids of other forms share the window: user ids, upper-case hex, and
  // ids that differ from a reading id in one character.
  for (let index = 0; index < size / 4; index += 1) {
    pool.push(`user-${index}`);
    pool.push(pool[index]!.toUpperCase());
    pool.push(`${pool[index]!.slice(0, 29)}g`);
  }
  return pool;
}

describe("RecentIds", () => {
  it("decides as a Set with a ring of the last ids", () => {
    const pool = idPool(400);
    let random = 17;
    for (const capacity of [1, 2, 3, 7, 100, 1023, 1024, 1025, 3000]) {
      const recent = new RecentIds(capacity);
      const reference = new ReferenceWindow(capacity);
      for (let step = 0; step < 20_000; step += 1) {
        random = (random * 1103515245 + 12345) % 2 ** 31;
        // Mostly recent ids, so that duplicates are common.
        const spread = random % 5 === 0 ? pool.length : 40;
        const id = pool[(step + (random % spread)) % pool.length]!;
        const expected = reference.seenBefore(id);
        if (recent.seen(id) !== expected) {
          throw new Error(
            `capacity ${capacity}, step ${step}: ${id} expected ${expected}`,
          );
        }
      }
      expect(recent.size).toBeLessThanOrEqual(capacity);
    }
  });

  it("keeps exact ids when many share a table position", () => {
    // Ids that differ only in their first hex digits share the last seven
    // digits, which are the table hash.
    const recent = new RecentIds(50);
    const ids = Array.from(
      { length: 60 },
      (_, index) =>
        `r_${index.toString(16).padStart(7, "0")}000000000000000000000`,
    );
    for (const id of ids.slice(0, 50)) expect(recent.seen(id)).toBe(false);
    for (const id of ids.slice(0, 50)) expect(recent.seen(id)).toBe(true);
    for (const id of ids.slice(50)) expect(recent.seen(id)).toBe(false);
    // The ten oldest were forgotten for the ten new ones.
    for (const id of ids.slice(0, 10)) expect(recent.seen(id)).toBe(false);
  });

  it("rejects a capacity below one", () => {
    expect(() => new RecentIds(0)).toThrow(RangeError);
    expect(() => new RecentIds(1.5)).toThrow(RangeError);
  });
});
