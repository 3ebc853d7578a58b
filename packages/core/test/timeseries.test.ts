import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import { describe, expect, it } from "vitest";
import {
  checkReading,
  createReading,
  markEstimated,
  readingId,
  toQubitDocuments,
} from "../src/index.js";

const source = { protocol: "mqtt", address: "org_1/sit_1/inv-1/dev/power" };

describe("createReading", () => {
  it("spells the unit canonically and formats the timestamp", () => {
    const reading = createReading({
      asset_id: "inv-1",
      metric: "power",
      value: 12.5,
      unit: "KW",
      timestamp: Date.UTC(2025, 0, 15, 10),
      source,
    });
    expect(reading.unit).toBe("kW");
    expect(reading.timestamp).toBe("2025-01-15T10:00:00.000Z");
    expect(reading.id).toMatch(/^r_[0-9a-f]{28}$/);
    expect(checkReading(reading)).toBeUndefined();
  });

  it("gives the same id to the same reading and another to another time", () => {
    const base = {
      asset_id: "inv-1",
      metric: "power",
      unit: "W",
      source,
    };
    const a = createReading({
      ...base,
      value: 1,
      timestamp: "2025-01-15T10:00:00.000Z",
    });
    const b = createReading({
      ...base,
      value: 2,
      timestamp: "2025-01-15T10:00:00.000Z",
    });
    const c = createReading({
      ...base,
      value: 1,
      timestamp: "2025-01-15T10:00:01.000Z",
    });
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(c.id);
  });

  it("keeps ids distinct across ten thousand series", () => {
    const ids = new Set<string>();
    for (let index = 0; index < 10_000; index += 1) {
      ids.add(
        readingId({
          asset_id: `a${index}`,
          metric: "m",
          timestamp: "2025-01-01T00:00:00.000Z",
        }),
      );
    }
    expect(ids.size).toBe(10_000);
  });
});

describe("checkReading", () => {
  const valid = createReading({
    asset_id: "a",
    metric: "m",
    value: 1,
    unit: "W",
    timestamp: 0,
    source,
  });

  it("rejects NaN and infinity", () => {
    expect(checkReading({ ...valid, value: Number.NaN })).toMatch(/value/);
    expect(checkReading({ ...valid, value: Number.POSITIVE_INFINITY })).toMatch(
      /value/,
    );
  });

  it("rejects null without a missing or error quality", () => {
    expect(checkReading({ ...valid, value: null })).toMatch(
      /null is allowed only/,
    );
    expect(
      checkReading({ ...valid, value: null, quality: "error" }),
    ).toBeUndefined();
  });

  it("rejects timestamps that are not UTC with milliseconds", () => {
    expect(
      checkReading({ ...valid, timestamp: "2025-01-15T10:00:00Z" }),
    ).toMatch(/timestamp/);
  });

  it("rejects unknown fields and qualities", () => {
    expect(checkReading({ ...valid, extra: 1 })).toBeDefined();
    expect(checkReading({ ...valid, quality: "good" })).toMatch(/quality/);
  });
});

describe("markEstimated", () => {
  it("sets quality and joins reasons", () => {
    const reading = createReading({
      asset_id: "a",
      metric: "m",
      value: 1,
      timestamp: 0,
      source,
    });
    markEstimated(reading, "unit assumed W");
    markEstimated(reading, "counter decreased");
    expect(reading.quality).toBe("estimated");
    expect(reading.metadata?.quality_reason).toBe(
      "unit assumed W; counter decreased",
    );
  });
});

describe("toQubitDocuments", () => {
  const schemaDir = fileURLToPath(
    new URL("./fixtures/qubit-schemas-v0.1/", import.meta.url),
  );
  const load = (name: string) =>
    JSON.parse(readFileSync(`${schemaDir}${name}`, "utf8"));
  const ajv = new Ajv2020({ strict: false });
  (formats as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
  ajv.addSchema(load("_definitions.json"));
  const validate = ajv.compile(load("timeseries.json"));

  const readings = [0, 15, 30, 45].map((minute, index) =>
    createReading({
      asset_id: "inv-1",
      site_id: "solar_01",
      metric: "active_power",
      value: 1000 + index,
      unit: "W",
      timestamp: Date.UTC(2025, 0, 15, 10, minute),
      source,
    }),
  );
  const odd = createReading({
    asset_id: "CP-1:1",
    metric: "Power.Reactive.Import",
    value: 12,
    unit: "var",
    timestamp: 0,
    quality: "estimated",
    flags: ["communication_error"],
    source,
  });
  const missing = createReading({
    asset_id: "CP-1:1",
    metric: "Power.Reactive.Import",
    value: null,
    unit: "var",
    timestamp: 60_000,
    quality: "missing",
    source,
  });

  it("produces documents the published schema accepts", () => {
    const documents = toQubitDocuments([...readings, odd, missing]);
    expect(documents).toHaveLength(2);
    for (const document of documents) {
      const ok = validate(document);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it("infers the interval and the period", () => {
    const [document] = toQubitDocuments(readings);
    expect(document?.interval).toBe("15m");
    expect(document?.period).toEqual({
      start: "2025-01-15T10:00:00.000Z",
      end: "2025-01-15T10:45:00.000Z",
    });
    expect(document?.source.site_id).toBe("sit_solar_01");
    expect(document?.statistics.count).toBe(4);
  });

  it("keeps a unit outside the Qubit enum in metadata", () => {
    const [document] = toQubitDocuments([odd, missing]);
    expect(document?.measurement.unit).toBe("dimensionless");
    expect(document?.metadata.unit).toBe("var");
    expect(document?.statistics.missing_count).toBe(1);
  });
});
