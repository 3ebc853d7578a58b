import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  FileStateStore,
  MemoryDeadLetterOutput,
  MemoryStateStore,
  type Output,
  Pipeline,
  type StateStore,
  type TimeSeries,
} from "@qubit/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  CHECKPOINT_NAMESPACE,
  type Checkpoint,
  type CsvConfigInput,
  CsvConnector,
} from "../src/index.js";
import { importFile, type PlacedReading, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

const ROWS = 20_000;

function csvText(from: number, to: number, header = true): string {
  const lines = header ? ["time,meter,kwh"] : [];
  for (let index = from; index < to; index += 1) {
    lines.push(
      `${new Date(Date.UTC(2024, 0, 1) + index * 60_000).toISOString()},m${index % 3},${index}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

const mapping = {
  timestamp: "time",
  asset_id: "meter",
  metric: { const: "energy" },
  value: "kwh",
  unit: "Wh",
};

/** Collects readings and stops the connector after `stopAfter` of them. */
class StoppingOutput implements Output {
  readonly name = "stopping";
  readonly readings: PlacedReading[] = [];
  connector: CsvConnector | undefined;

  constructor(private readonly stopAfter: number) {}

  async write(readings: readonly TimeSeries[]): Promise<void> {
    this.readings.push(...(readings as PlacedReading[]));
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (this.readings.length >= this.stopAfter)
      void this.connector?.disconnect();
  }

  async close(): Promise<void> {}
}

async function run(
  config: CsvConfigInput,
  state: StateStore,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<{ readings: PlacedReading[]; connector: CsvConnector }> {
  const output = new StoppingOutput(stopAfter);
  const pipeline = new Pipeline({
    outputs: [output],
    deadLetters: [new MemoryDeadLetterOutput()],
    batchSize: 250,
    batchIntervalMs: 5,
    maxPendingReadings: 1000,
    dedupWindow: 0,
  });
  const connector = new CsvConnector(
    { checkpoint_interval_ms: 10, ...config },
    { name: "history", state },
  );
  output.connector = connector;
  connector.attach(pipeline);
  const stopped = new Promise<void>((resolve) =>
    connector.on("status", (status) => status === "stopped" && resolve()),
  );
  await connector.connect();
  await Promise.race([connector.finished, stopped]);
  await connector.disconnect();
  await pipeline.close();
  return { readings: output.readings, connector };
}

function expectEveryRowOnce(first: TimeSeries[], second: TimeSeries[]): void {
  const ids = [...first, ...second].map((item) => item.id);
  expect(new Set(ids).size).toBe(ids.length);
  const values = new Set([...first, ...second].map((item) => item.value));
  expect(values.size).toBe(ROWS);
}

describe("resume", () => {
  for (const kind of ["plain", "gzip", "utf16"] as const) {
    it(`continues a stopped ${kind} import without duplicates`, async () => {
      const text = csvText(0, ROWS);
      const name = `resume-${kind}.csv${kind === "gzip" ? ".gz" : ""}`;
      const bytes =
        kind === "gzip"
          ? gzipSync(text)
          : kind === "utf16"
            ? Buffer.concat([
                Buffer.from([0xff, 0xfe]),
                Buffer.from(text, "utf16le"),
              ])
            : Buffer.from(text);
      const file = join(temp.dir, name);
      writeFileSync(file, bytes);
      const state = new MemoryStateStore();
      const first = await run({ file_path: file, mapping }, state, 3000);
      expect(first.connector.summary?.status).toBe("stopped");
      expect(first.readings.length).toBeGreaterThanOrEqual(3000);
      expect(first.readings.length).toBeLessThan(ROWS);
      const saved = state.entries<Checkpoint>(CHECKPOINT_NAMESPACE);
      expect(saved).toHaveLength(1);
      expect(saved[0]![1].completed).toBe(false);
      expect(saved[0]![1].rows).toBe(first.readings.length);

      const second = await run({ file_path: file, mapping }, state);
      expect(second.connector.summary?.status).toBe("completed");
      expect(second.connector.summary?.resumed_after_line).toBe(
        first.readings.length + 1,
      );
      expect(second.readings[0]?.source.line).toBe(first.readings.length + 2);
      expectEveryRowOnce(first.readings, second.readings);
    });
  }

  it("skips a file imported unchanged", async () => {
    const file = join(temp.dir, "done.csv");
    writeFileSync(file, csvText(0, 100));
    const state = new MemoryStateStore();
    const first = await importFile(
      { file_path: file, mapping },
      { state, name: "history" },
    );
    expect(first.readings).toHaveLength(100);
    const again = await importFile(
      { file_path: file, mapping },
      { state, name: "history" },
    );
    expect(again.summary?.status).toBe("skipped");
    expect(again.status).toBe("completed");
    expect(again.readings).toHaveLength(0);
  });

  it("reads it all again with resume off, with the same ids", async () => {
    const file = join(temp.dir, "again.csv");
    writeFileSync(file, csvText(0, 100));
    const state = new MemoryStateStore();
    const first = await importFile(
      { file_path: file, mapping },
      { state, name: "history" },
    );
    const again = await importFile(
      { file_path: file, mapping, resume: false },
      { state, name: "history" },
    );
    expect(again.readings.map((item) => item.id)).toEqual(
      first.readings.map((item) => item.id),
    );
  });

  it("imports only the rows appended since the last import", async () => {
    const file = join(temp.dir, "append.csv");
    writeFileSync(file, csvText(0, 100));
    const state = new MemoryStateStore();
    await importFile({ file_path: file, mapping }, { state, name: "history" });
    appendFileSync(file, csvText(100, 150, false));
    const more = await importFile(
      { file_path: file, mapping },
      { state, name: "history" },
    );
    expect(more.summary?.status).toBe("completed");
    expect(more.readings.map((item) => item.value)).toEqual(
      Array.from({ length: 50 }, (_, index) => 100 + index),
    );
  });

  it("starts over when the file was replaced", async () => {
    const file = join(temp.dir, "replaced.csv");
    writeFileSync(file, csvText(0, 100));
    const state = new MemoryStateStore();
    await importFile({ file_path: file, mapping }, { state, name: "history" });
    writeFileSync(file, csvText(500, 560));
    const replaced = await importFile(
      { file_path: file, mapping },
      { state, name: "history" },
    );
    expect(replaced.readings).toHaveLength(60);
    expect(replaced.readings[0]?.value).toBe(500);
  });

  it("keeps checkpoints in a file state store across restarts", async () => {
    const file = join(temp.dir, "restart.csv");
    writeFileSync(file, csvText(0, ROWS));
    const statePath = join(temp.dir, "state", "state.ndjson");
    const firstState = new FileStateStore(statePath);
    const first = await run({ file_path: file, mapping }, firstState, 2000);
    firstState.close();
    const secondState = new FileStateStore(statePath);
    const second = await run({ file_path: file, mapping }, secondState);
    expect(second.connector.summary?.resumed_after_line).toBeGreaterThan(1);
    expectEveryRowOnce(first.readings, second.readings);
  });
});
