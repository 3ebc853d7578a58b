import { describe, expect, it } from "vitest";
import { createReading, type ReadingInput } from "../src/index.js";

const ORDER = [
  "id",
  "asset_id",
  "metric",
  "value",
  "unit",
  "timestamp",
  "source",
  "org_id",
  "site_id",
  "device_id",
  "quality",
  "flags",
  "metadata",
];

describe("createReading keys", () => {
  it("keeps one key order for every shape", () => {
    // Every combination of the optional fields, including the shapes
    // that createReading builds as a single object literal.
    for (let mask = 0; mask < 64; mask += 1) {
      const input: ReadingInput = {
        asset_id: "a",
        metric: "m",
        value: 1,
        unit: "kW",
        timestamp: 0,
        source: { protocol: "test", address: "x" },
      };
      if (mask & 1) input.org_id = "o";
      if (mask & 2) input.site_id = "s";
      if (mask & 4) input.device_id = "d";
      if (mask & 8) input.quality = "measured";
      if (mask & 16) input.flags = ["billing"];
      if (mask & 32) input.metadata = { note: "n" };
      const keys = Object.keys(createReading(input));
      const present = ORDER.filter(
        (key) => key in input || ["id", "timestamp", "unit"].includes(key),
      );
      expect(keys).toEqual(present);
    }
  });

  it("leaves absent fields out", () => {
    const reading = createReading({
      asset_id: "a",
      metric: "m",
      value: 1,
      timestamp: 0,
      org_id: undefined,
      quality: "measured",
      source: { protocol: "test", address: "x" },
    });
    expect(Object.hasOwn(reading, "org_id")).toBe(false);
    expect(JSON.stringify(Object.keys(reading))).toBe(
      '["id","asset_id","metric","value","unit","timestamp","source","quality"]',
    );
  });
});
