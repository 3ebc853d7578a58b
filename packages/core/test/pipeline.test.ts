import { describe, expect, it } from "vitest";
import {
  BasicMessage,
  createReading,
  MemoryDeadLetterOutput,
  MemoryOutput,
  type Output,
  Pipeline,
  type TimeSeries,
} from "../src/index.js";

const source = { protocol: "test", address: "dev-1", connector: "test-1" };

function reading(
  metric: string,
  value: unknown,
  minute = 0,
  unit = "W",
): TimeSeries {
  return createReading({
    asset_id: "dev-1",
    metric,
    value: value as number,
    unit,
    timestamp: Date.UTC(2025, 0, 15, 10, minute),
    source,
  });
}

function message(
  readings: TimeSeries[],
  rejects: { code: string; message: string }[] = [],
  raw = "raw input",
) {
  return new BasicMessage({
    protocol: "test",
    kind: "test",
    source,
    receivedAt: 0,
    raw,
    convert: () => ({ readings, rejects, diagnostics: [] }),
  });
}

const submit = (
  pipeline: Pipeline,
  readings: TimeSeries[],
  rejects: { code: string; message: string }[] = [],
) => {
  const msg = message(readings, rejects);
  return pipeline.submit({ message: msg, result: msg.convert() });
};

describe("Pipeline", () => {
  it("batches by size and resolves when written", async () => {
    const output = new MemoryOutput();
    const pipeline = new Pipeline({
      outputs: [output],
      batchSize: 3,
      batchIntervalMs: 10_000,
    });
    const done = [0, 1, 2].map((minute) =>
      submit(pipeline, [reading("p", minute, minute)]),
    );
    await Promise.all(done);
    expect(output.batches).toEqual([3]);
    await pipeline.close();
  });

  it("batches by time", async () => {
    const output = new MemoryOutput();
    const pipeline = new Pipeline({
      outputs: [output],
      batchSize: 1000,
      batchIntervalMs: 20,
    });
    await submit(pipeline, [reading("p", 1)]);
    expect(output.readings).toHaveLength(1);
    await pipeline.close();
  });

  it("converts units to base units", async () => {
    const output = new MemoryOutput();
    const pipeline = new Pipeline({ outputs: [output], batchIntervalMs: 1 });
    await submit(pipeline, [
      reading("p", 3.54, 0, "kW"),
      reading("e", 12.5, 0, "kWh"),
    ]);
    expect(output.readings.map((r) => [r.value, r.unit])).toEqual([
      [3540, "W"],
      [12500, "Wh"],
    ]);
    await pipeline.close();
  });

  it("keeps the device scale in canonical mode", async () => {
    const output = new MemoryOutput();
    const pipeline = new Pipeline({
      outputs: [output],
      batchIntervalMs: 1,
      unitMode: "canonical",
    });
    await submit(pipeline, [reading("p", 3.54, 0, "KW")]);
    expect(output.readings[0]).toMatchObject({ value: 3.54, unit: "kW" });
    await pipeline.close();
  });

  it("dead-letters rejects and invalid readings, keeping the valid ones", async () => {
    const output = new MemoryOutput();
    const deadLetters = new MemoryDeadLetterOutput();
    const pipeline = new Pipeline({
      outputs: [output],
      deadLetters: [deadLetters],
      batchIntervalMs: 1,
    });
    await submit(
      pipeline,
      [reading("good", 1), reading("nan", Number.NaN)],
      [{ code: "QUBIT_TEST_BAD", message: "field x is not a number" }],
    );
    expect(output.readings.map((r) => r.metric)).toEqual(["good"]);
    expect(deadLetters.letters.map((letter) => letter.code)).toEqual([
      "QUBIT_TEST_BAD",
      "QUBIT_CORE_READING_INVALID",
    ]);
    const invalid = deadLetters.letters[1]!;
    expect(invalid.reason).toMatch(/nan of dev-1: value/);
    expect(invalid.raw).toBe("raw input");
    expect(invalid.location).toMatchObject({
      protocol: "test",
      address: "dev-1",
      metric: "nan",
    });
    expect(invalid.connector).toBe("test-1");
    const stats = pipeline.stats();
    expect(stats.dead_letters).toBe(2);
    expect(stats.readings_invalid).toBe(1);
    await pipeline.close();
  });

  it("drops duplicates by id within the window", async () => {
    const output = new MemoryOutput();
    const pipeline = new Pipeline({ outputs: [output], batchIntervalMs: 1 });
    await submit(pipeline, [reading("p", 1)]);
    await submit(pipeline, [reading("p", 1)]);
    expect(output.readings).toHaveLength(1);
    expect(pipeline.stats().readings_duplicate).toBe(1);
    await pipeline.close();
  });

  it("retries a failing output until it accepts, in order", async () => {
    let failures = 2;
    const written: number[] = [];
    const flaky: Output = {
      name: "flaky",
      async write(readings) {
        if (failures > 0) {
          failures -= 1;
          throw new Error("connection refused");
        }
        for (const r of readings) written.push(r.value as number);
      },
      async close() {},
    };
    const pipeline = new Pipeline({
      outputs: [flaky],
      batchSize: 2,
      retryInitialDelayMs: 5,
    });
    const promises = [1, 2, 3, 4].map((value) =>
      submit(pipeline, [reading("p", value, value)]),
    );
    await Promise.all(promises);
    expect(written).toEqual([1, 2, 3, 4]);
    await pipeline.close();
  });

  it("reports saturation and releases waiters when drained", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: Output = {
      name: "slow",
      write: () => gate,
      async close() {},
    };
    const pipeline = new Pipeline({
      outputs: [slow],
      batchSize: 2,
      maxPendingReadings: 4,
    });
    for (let minute = 0; minute < 4; minute += 1)
      void submit(pipeline, [reading("p", minute, minute)]);
    expect(pipeline.saturated).toBe(true);
    let writable = false;
    const waiting = pipeline.whenWritable().then(() => {
      writable = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(writable).toBe(false);
    release();
    await waiting;
    expect(pipeline.saturated).toBe(false);
    await pipeline.close();
  });

  it("rejects pending batches when outputs never recover before close", async () => {
    const broken: Output = {
      name: "broken",
      write: async () => {
        throw new Error("disk full");
      },
      async close() {},
    };
    const deadLetters = new MemoryDeadLetterOutput();
    const pipeline = new Pipeline({
      outputs: [broken],
      deadLetters: [deadLetters],
      retryInitialDelayMs: 5,
    });
    const accepted = submit(pipeline, [reading("p", 1), reading("q", 2)]);
    await pipeline.close(50);
    await expect(accepted).rejects.toThrow(
      /closed before the batch was written/,
    );
    // The readings are not lost: each one is kept as a dead letter.
    expect(deadLetters.letters.map((letter) => letter.code)).toEqual([
      "QUBIT_CORE_SHUTDOWN_UNWRITTEN",
      "QUBIT_CORE_SHUTDOWN_UNWRITTEN",
    ]);
    expect(deadLetters.letters[0]?.raw_encoding).toBe("json");
    expect(JSON.parse(deadLetters.letters[0]!.raw)).toMatchObject({
      metric: "p",
      value: 1,
    });
    expect(deadLetters.letters[0]?.connector).toBe("test-1");
  });

  it("refuses messages after close", async () => {
    const pipeline = new Pipeline({ outputs: [new MemoryOutput()] });
    await pipeline.close();
    await expect(submit(pipeline, [reading("p", 1)])).rejects.toThrow(/closed/);
  });
});
