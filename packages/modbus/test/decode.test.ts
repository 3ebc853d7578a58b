import { checkReading } from "@qubit/core";
import { describe, expect, it } from "vitest";
import { coalesce, compileDevices, decodePoll } from "../src/index.js";

function device(registers: Record<string, object>) {
  const { devices, issues } = compileDevices(
    { host: "h", registers } as never,
    "meter",
  );
  expect(issues.filter((issue) => issue.severity !== "warning")).toEqual([]);
  return devices[0]!;
}

function context(compiled: ReturnType<typeof device>, endpoint = "h:502") {
  return {
    device: compiled,
    connector: "modbus",
    endpoint,
    timestamp: Date.UTC(2025, 0, 15, 10),
  };
}

describe("decodePoll", () => {
  const meter = device({
    power: { address: 40001, unit: "W" },
    voltage: { address: 40002, unit: "V", scale: 10 },
    energy: { address: 40010, type: "uint32", unit: "kWh" },
  });
  const blocks = coalesce(meter.points, 20);
  const registers = Array.from({ length: 20 }, (_, index) => index * 3);

  it("shares frozen sources between polls", () => {
    const first = decodePoll(
      blocks.map((block) => ({ block, registers })),
      context(meter),
    );
    const second = decodePoll(
      blocks.map((block) => ({ block, registers })),
      context(meter),
    );
    expect(first.readings.map((reading) => reading.metric)).toEqual([
      "power",
      "voltage",
      "energy",
    ]);
    for (const [index, reading] of second.readings.entries()) {
      expect(reading.source).toBe(first.readings[index]!.source);
      expect(Object.isFrozen(reading.source)).toBe(true);
      expect(checkReading(reading)).toBeUndefined();
    }
    expect(second.readings[1]!.source).toEqual({
      protocol: "modbus",
      address: "h:502/1/holding_register:1",
      connector: "modbus",
      device: "meter",
      unit_id: 1,
      table: "holding_register",
      register: 1,
    });
  });

  it("makes new sources when the endpoint changes", () => {
    const before = decodePoll(
      blocks.map((block) => ({ block, registers })),
      context(meter),
    );
    const after = decodePoll(
      blocks.map((block) => ({ block, registers })),
      context(meter, "h:1502"),
    );
    expect(after.readings[0]!.source.address).toBe(
      "h:1502/1/holding_register:0",
    );
    expect(after.readings[0]!.source).not.toBe(before.readings[0]!.source);
  });

  it("reads overlapping blocks once per point", () => {
    const block = blocks[0]!;
    const result = decodePoll(
      [
        { block, registers },
        { block, registers },
      ],
      context(meter),
    );
    expect(result.readings.map((reading) => reading.metric)).toEqual([
      "power",
      "voltage",
      "energy",
    ]);
  });
});
