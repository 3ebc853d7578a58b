import { describe, expect, it } from "vitest";
import { toIsoUtc } from "../src/index.js";
import { formatIsoUtc, parseIsoUtc } from "../src/time/iso-utc.js";

/** toISOString's text, or "RangeError" when it throws. */
function reference(epochMs: number): string {
  try {
    return new Date(epochMs).toISOString();
  } catch (error) {
    return (error as Error).name;
  }
}

function formatted(epochMs: number): string {
  try {
    return formatIsoUtc(epochMs);
  } catch (error) {
    return (error as Error).name;
  }
}

const EDGES = [
  0,
  -0,
  0.5,
  -0.5,
  1.9999,
  -1.9999,
  -1,
  999,
  1000,
  Date.UTC(2024, 1, 29, 23, 59, 59, 999),
  Date.UTC(2100, 1, 28, 12),
  Date.UTC(2000, 1, 29),
  -62_167_219_200_000, // 0000-01-01
  -62_167_219_200_001,
  253_402_300_799_999, // 9999-12-31T23:59:59.999Z
  253_402_300_800_000,
  8.64e15,
  -8.64e15,
  8.64e15 + 1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

describe("formatIsoUtc", () => {
  it("writes toISOString's text at the edges", () => {
    for (const epochMs of EDGES) {
      expect(formatted(epochMs)).toBe(reference(epochMs));
    }
  });

  it("matches toISOString on many times", () => {
    let random = 5;
    const next = () => {
      random = (Math.imul(random, 1103515245) + 12345) >>> 0;
      return random / 4294967296;
    };
    for (let index = 0; index < 40_000; index += 1) {
      // Years -10000 to 10000 at random, then a stream in time order.
      const wide = Math.floor((next() - 0.5) * 2 * 3.8e14);
      expect(formatted(wide)).toBe(reference(wide));
      const stream = 1_736_935_200_000 + index * 37;
      expect(formatted(stream)).toBe(reference(stream));
    }
  });

  it("backs toIsoUtc", () => {
    expect(toIsoUtc(Date.UTC(2025, 0, 15, 10))).toBe(
      "2025-01-15T10:00:00.000Z",
    );
  });
});

describe("parseIsoUtc", () => {
  it("matches Date.parse on reading timestamps", () => {
    for (let index = 0; index < 50_000; index += 1) {
      const epochMs = -62_167_219_200_000 + index * 6_311_390_007;
      const text = new Date(epochMs).toISOString();
      expect(parseIsoUtc(text)).toBe(Date.parse(text));
    }
  });

  it("matches Date.parse after formatting", () => {
    for (const epochMs of [-0.5, 0, 1.7, 1_736_935_200_123, -1_000.9]) {
      const text = formatIsoUtc(epochMs);
      expect(Object.is(parseIsoUtc(text), Date.parse(text))).toBe(true);
    }
  });

  it("matches Date.parse on other text", () => {
    for (const text of [
      "2024-02-30T00:00:00.000Z",
      "2023-02-29T00:00:00.000Z",
      "2024-02-29T00:00:00.000Z",
      "2024-13-01T00:00:00.000Z",
      "2024-00-01T00:00:00.000Z",
      "2024-01-00T00:00:00.000Z",
      "2024-01-01T24:00:00.000Z",
      "2024-01-01T23:60:00.000Z",
      "2024-01-01T23:59:60.000Z",
      "2024-01-01T00:00:00Z",
      "2024-01-01T00:00:00.000+01:00",
      "2024-01-01 00:00:00.000Z",
      "2024-01-01T00:00:00.00aZ",
      "+012024-01-01T00:00:00.000Z",
      "",
      "not a time",
    ]) {
      expect(Object.is(parseIsoUtc(text), Date.parse(text))).toBe(true);
    }
  });
});
