import { describe, expect, it } from "vitest";
import {
  createReading,
  MemoryDeadLetterOutput,
  MemoryOutput,
  Pipeline,
  readingId,
} from "../src/index.js";

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
