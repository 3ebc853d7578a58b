import { describe, expect, it } from "vitest";
import {
  BasicMessage,
  createReading,
  type Diagnostic,
  MemoryDeadLetterOutput,
  MemoryOutput,
  MetricsRegistry,
  Pipeline,
  type TimeSeries,
} from "../src/index.js";

const source = { protocol: "test", address: "dev-1", connector: "test-1" };
const NOW = Date.UTC(2026, 5, 1, 12);

function reading(
  value: unknown,
  timestamp: number,
  unit = "W",
  metric = "power",
): TimeSeries {
  return createReading({
    asset_id: "dev-1",
    metric,
    value: value as number,
    unit,
    timestamp,
    source,
  });
}

function setup() {
  const output = new MemoryOutput();
  const deadLetters = new MemoryDeadLetterOutput();
  const registry = new MetricsRegistry();
  const pipeline = new Pipeline({
    outputs: [output],
    deadLetters: [deadLetters],
    registry,
    batchIntervalMs: 1,
    now: () => NOW,
  });
  const diagnostics: Diagnostic[] = [];
  pipeline.on("diagnostic", (diagnostic: Diagnostic) =>
    diagnostics.push(diagnostic),
  );
  const submit = (readings: TimeSeries[], raw = "raw") => {
    const message = new BasicMessage({
      protocol: "test",
      kind: "test",
      source,
      receivedAt: NOW,
      raw,
      convert: () => ({ readings, rejects: [], diagnostics: [] }),
    });
    return pipeline.submit({ message, result: message.convert() });
  };
  return { output, deadLetters, registry, pipeline, diagnostics, submit };
}

describe("Pipeline plausibility rules", () => {
  it("dead-letters timestamps outside the window", async () => {
    const { output, deadLetters, pipeline, submit } = setup();
    await submit([
      reading(1, 0),
      reading(2, Date.UTC(2000, 0, 1) - 1e12),
      reading(3, NOW + 2 * 86_400_000),
      reading(4, NOW - 3_600_000),
      reading(5, NOW + 3_600_000),
    ]);
    await pipeline.close();
    expect(output.readings.map((r) => r.value)).toEqual([4, 5]);
    expect(deadLetters.letters.map((l) => l.code)).toEqual([
      "QUBIT_CORE_TIMESTAMP_OUT_OF_RANGE",
      "QUBIT_CORE_TIMESTAMP_OUT_OF_RANGE",
      "QUBIT_CORE_TIMESTAMP_OUT_OF_RANGE",
    ]);
    expect(deadLetters.letters[0]?.reason).toMatch(
      /1970-01-01T00:00:00.000Z of power of dev-1 is \d+ days in the past/,
    );
    expect(deadLetters.letters[2]?.reason).toMatch(/2 days ahead of now/);
    expect(pipeline.stats().readings_invalid).toBe(3);
  });

  it("takes a configured time window", async () => {
    const output = new MemoryOutput();
    const pipeline = new Pipeline({
      outputs: [output],
      batchIntervalMs: 1,
      now: () => NOW,
      timeWindow: { minTimestampMs: 0, maxFutureMs: 0 },
    });
    const message = new BasicMessage({
      protocol: "test",
      kind: "test",
      source,
      receivedAt: NOW,
      raw: "raw",
      convert: () => ({
        readings: [reading(1, 1000), reading(2, NOW + 1000)],
        rejects: [],
        diagnostics: [],
      }),
    });
    await pipeline.submit({ message, result: message.convert() });
    await pipeline.close();
    expect(output.readings.map((r) => r.value)).toEqual([1]);
  });

  it("dead-letters a conflicting value", async () => {
    const { output, deadLetters, registry, pipeline, submit } = setup();
    const at = NOW - 60_000;
    await submit([reading(10, at)]);
    await submit([reading(10, at)]);
    await submit([reading(11, at)], "second value");
    await pipeline.close();
    expect(output.readings.map((r) => r.value)).toEqual([10]);
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]?.code).toBe("QUBIT_CORE_READING_CONFLICT");
    expect(deadLetters.letters[0]?.raw).toBe("second value");
    expect(deadLetters.letters[0]?.reason).toMatch(
      /already accepted with another value, which is kept; this one \(11 W, after unit conversion\)/,
    );
    expect(pipeline.stats()).toMatchObject({
      readings_duplicate: 1,
      readings_conflict: 1,
    });
    expect(registry.toPrometheus()).toMatch(
      /qubit_readings_conflict_total\{connector="test-1"\} 1/,
    );
  });

  it("rejects text with a physical unit", async () => {
    const { output, deadLetters, pipeline, submit } = setup();
    const at = NOW - 60_000;
    await submit([
      reading("overload", at, "W", "power"),
      reading("Charging", at, "", "status"),
    ]);
    await pipeline.close();
    expect(output.readings.map((r) => r.metric)).toEqual(["status"]);
    expect(deadLetters.letters[0]?.code).toBe("QUBIT_CORE_VALUE_NOT_NUMERIC");
    expect(deadLetters.letters[0]?.reason).toMatch(
      /"overload" of power of dev-1 is text/,
    );
  });

  it("reports an unknown unit once", async () => {
    const { output, registry, pipeline, diagnostics, submit } = setup();
    for (let minute = 1; minute <= 3; minute += 1) {
      await submit([reading(minute, NOW - minute * 60_000, "furlong")]);
    }
    await pipeline.close();
    expect(output.readings).toHaveLength(3);
    expect(output.readings[0]?.unit).toBe("furlong");
    const unknown = diagnostics.filter(
      (d) => d.code === "QUBIT_CORE_UNIT_UNKNOWN",
    );
    expect(unknown).toHaveLength(1);
    expect(unknown[0]?.message).toMatch(/"furlong" of power/);
    expect(registry.toPrometheus()).toMatch(
      /qubit_readings_unknown_unit_total\{connector="test-1"\} 3/,
    );
  });
});
