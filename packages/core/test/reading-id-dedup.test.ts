import { describe, expect, it } from "vitest";
import {
  createReading,
  MemoryDeadLetterOutput,
  MemoryOutput,
  Pipeline,
  readingId,
} from "../src/index.js";
import { readIdWords } from "../src/timeseries/id.js";

// The reference construction: cyrb53 of the fields joined by U+001F.
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function referenceId(key: {
  org_id?: string;
  site_id?: string;
  asset_id: string;
  device_id?: string;
  metric: string;
  timestamp: string;
}): string {
  const text = [
    key.org_id ?? "",
    key.site_id ?? "",
    key.asset_id,
    key.device_id ?? "",
    key.metric,
    key.timestamp,
  ].join("\u001f");
  return `r_${cyrb53(text, 0x5a17).toString(16).padStart(14, "0")}${cyrb53(text, 0x3c6e).toString(16).padStart(14, "0")}`;
}

describe("readingId", () => {
  it("equals the cyrb53 construction on the joined fields", () => {
    const words = [
      "",
      "org_001",
      "sit_solar_01",
      "inv-ß",
      "Ölpumpe",
      "em:0.a_act_power",
      "日本",
    ];
    let random = 7;
    const pick = () => {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      return words[random % words.length]!;
    };
    for (let index = 0; index < 500; index += 1) {
      const key = {
        org_id: pick() || undefined,
        site_id: pick() || undefined,
        asset_id: pick() || "asset",
        device_id: pick() || undefined,
        metric: pick() || "power",
        timestamp: new Date(1_736_935_200_000 + index * 997).toISOString(),
      };
      const clean = Object.fromEntries(
        Object.entries(key).filter(([, value]) => value !== undefined),
      ) as typeof key;
      expect(readingId(clean)).toBe(referenceId(clean));
    }
  });

  it("keeps a known id", () => {
    expect(
      readingId({
        asset_id: "inv_01",
        metric: "power",
        timestamp: "2025-01-15T10:00:00.000Z",
      }),
    ).toBe(
      referenceId({
        asset_id: "inv_01",
        metric: "power",
        timestamp: "2025-01-15T10:00:00.000Z",
      }),
    );
  });
});

describe("readingId place cache", () => {
  it("matches reference with repeated places", () => {
    // Readings of one place in a row (a device poll) and places in turn
    // (topics of many devices) take the two cached paths.
    const places = [
      { org_id: "org_1", site_id: "sit_1", asset_id: "inv-1" },
      { org_id: "org_1", site_id: "sit_1", asset_id: "inv-2" },
      { org_id: "org_2", site_id: "sit_1", asset_id: "inv-1" },
      { site_id: "sit_1", asset_id: "inv-1", device_id: "d" },
      { asset_id: "inv-1", device_id: "d" },
      { asset_id: "inv-1" },
      { org_id: "", asset_id: "inv-1" },
    ];
    let random = 3;
    for (let index = 0; index < 3_000; index += 1) {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      const place =
        index % 500 < 250
          ? places[Math.floor(index / 50) % places.length]!
          : places[random % places.length]!;
      const key = {
        ...place,
        metric: `m${random % 7}`,
        timestamp: new Date(1_736_935_200_000 + index).toISOString(),
      };
      expect(readingId(key)).toBe(referenceId(key));
    }
  });

  it("keeps separators inside fields", () => {
    // Both keys join to the same text, so the joined-text rule gives them
    // one id; hashing field by field must do the same.
    const first = { asset_id: "a\u001fb", metric: "m", timestamp: "t" };
    const second = {
      asset_id: "a",
      device_id: "b\u001f",
      metric: "m",
      timestamp: "t",
    };
    expect(readingId(first)).toBe(referenceId(first));
    expect(readingId(second)).toBe(referenceId(second));
    expect(readingId(first)).toBe(readingId(second));
  });
});

describe("readIdWords", () => {
  /** Reads the words from the text itself, as the reference. */
  function parseWords(id: string): number[] {
    return [2, 9, 16, 23].map((start) =>
      Number.parseInt(id.slice(start, start + 7), 16),
    );
  }

  it("reads new and old ids", () => {
    const words = new Uint32Array(4);
    const ids: string[] = [];
    for (let index = 0; index < 2_000; index += 1) {
      const id = readingId({
        asset_id: "a",
        metric: "m",
        timestamp: new Date(1_736_935_200_000 + index).toISOString(),
      });
      ids.push(id);
      expect(readIdWords(id, words)).toBe(true);
      expect([...words]).toEqual(parseWords(id));
    }
    for (const id of ids) {
      // A copy of the text is another string object with the same words.
      const copy = JSON.parse(JSON.stringify(id)) as string;
      expect(readIdWords(copy, words)).toBe(true);
      expect([...words]).toEqual(parseWords(id));
    }
  });

  it("returns false for ids of other forms", () => {
    const words = new Uint32Array(4);
    for (const id of [
      "",
      "r_",
      "r_0123456789abcdef0123456789ab0",
      "r_0123456789abcdef0123456789a",
      "r_0123456789ABCDEF0123456789ab",
      "x_0123456789abcdef0123456789ab",
      "r-0123456789abcdef0123456789ab",
      "r_0123456789abcdef0123456789ag",
      "r_0123456789abcdef 123456789ab",
      "r_0123456789abcdef0123456789a\u0101",
      "my-own-reading-id",
    ]) {
      expect(readIdWords(id, words)).toBe(false);
    }
  });
});

describe("pipeline de-duplication window", () => {
  function reading(index: number) {
    return createReading({
      asset_id: "a",
      metric: "m",
      value: index,
      timestamp: 1_736_935_200_000 + index,
      source: { protocol: "test", address: "x" },
    });
  }

  it("forgets the oldest id once the window is full", async () => {
    const output = new MemoryOutput();
    const pipeline = new Pipeline({
      outputs: [output],
      deadLetters: [new MemoryDeadLetterOutput()],
      dedupWindow: 3,
      batchIntervalMs: 1,
    });
    for (const index of [0, 1, 2, 0, 3, 0, 3, 1]) {
      await pipeline.writeReadings([reading(index)]);
    }
    await pipeline.close();
    // 0,1,2 are new; 0 is a duplicate; 3 pushes 0 out; 0 is new again and
    // pushes 1 out; 3 is a duplicate; 1 is new again.
    expect(output.readings.map((r) => r.value)).toEqual([0, 1, 2, 3, 0, 1]);
    expect(pipeline.stats().readings_duplicate).toBe(2);
  });
});
