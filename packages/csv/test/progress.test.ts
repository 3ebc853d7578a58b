import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Logger, MemoryOutput, Pipeline } from "@qubit/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  CsvConnector,
  formatDuration,
  formatProgressLine,
  type ImportProgress,
  renderProgressBar,
} from "../src/index.js";
import { importFile, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

const file = join(temp.dir, "progress.csv");
const lines = ["time,meter,kwh"];
for (let index = 0; index < 50_000; index += 1) {
  lines.push(
    `${new Date(Date.UTC(2024, 0, 1) + index * 60_000).toISOString()},m1,${index}`,
  );
}
writeFileSync(file, `${lines.join("\n")}\n`);
const mapping = {
  timestamp: "time",
  asset_id: "meter",
  metric: { const: "energy" },
  value: "kwh",
  unit: "Wh",
};

/** Creates a logger that keeps its lines, for assertions. */
function captureLogger(): Logger & {
  lines: { level: string; context: object; message?: string }[];
} {
  const lines: { level: string; context: object; message?: string }[] = [];
  const make = (): Logger => {
    const entry = (level: string) => (context: object, message?: string) => {
      lines.push({
        level,
        context,
        ...(message === undefined ? {} : { message }),
      });
    };
    return {
      trace: entry("trace"),
      debug: entry("debug"),
      info: entry("info"),
      warn: entry("warn"),
      error: entry("error"),
      fatal: entry("fatal"),
      child: () => make(),
    };
  };
  return Object.assign(make(), { lines });
}

describe("progress", () => {
  it("calls onProgress with rows, bytes and rates", async () => {
    const updates: ImportProgress[] = [];
    const result = await importFile(
      { file_path: file, mapping, progress_interval_ms: 10 },
      {},
      { onProgress: (progress) => updates.push(progress) },
    );
    expect(result.readings).toHaveLength(50_000);
    expect(updates.length).toBeGreaterThan(1);
    const last = updates[updates.length - 1]!;
    expect(last.done).toBe(true);
    expect(last.rows).toBe(50_000);
    expect(last.readings).toBe(50_000);
    expect(last.bytes).toBe(statSync(file).size);
    expect(last.total_bytes).toBe(statSync(file).size);
    expect(last.eta_ms).toBe(0);
    for (let index = 1; index < updates.length; index += 1) {
      expect(updates[index]!.rows).toBeGreaterThanOrEqual(
        updates[index - 1]!.rows,
      );
    }
  });

  it("keeps importing when a progress callback throws", async () => {
    const result = await importFile(
      { file_path: file, mapping, progress_interval_ms: 10 },
      {},
      {
        onProgress: () => {
          throw new Error("display gone");
        },
      },
    );
    expect(result.summary?.status).toBe("completed");
  });

  it("logs progress lines and a summary", async () => {
    const logger = captureLogger();
    await importFile(
      { file_path: file, mapping, progress_log_interval_ms: 10 },
      { logger },
    );
    const progress = logger.lines.filter(
      (line) => line.level === "info" && line.message?.includes("rows/s"),
    );
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]?.message).toMatch(
      /progress\.csv: \d+\.\d% \d+ rows, \d+ readings, 0 bad rows/,
    );
    const summary = logger.lines.find(
      (line) => line.message === "File import finished",
    );
    expect(summary?.context).toMatchObject({
      status: "completed",
      rows: 50_000,
      bad_rows: 0,
    });
  });

  it("reports progress in health", async () => {
    const result = await importFile({ file_path: file, mapping });
    const details = result.connector.health().details;
    expect(details.file).toBe(file);
    expect(details.summary).toMatchObject({ rows: 50_000 });
  });

  it("renders a bar with rows, bytes, rate and time left", () => {
    const progress: ImportProgress = {
      file: "a.csv",
      rows: 1_234_567,
      readings: 1_234_567,
      bad_rows: 3,
      bytes: 250_000_000,
      total_bytes: 1_000_000_000,
      elapsed_ms: 4_000,
      rows_per_second: 308_641,
      bytes_per_second: 62_500_000,
      eta_ms: 12_000,
      done: false,
    };
    const bar = renderProgressBar(progress, 20);
    expect(bar).toBe(
      "█████░░░░░░░░░░░░░░░  25% 1,234,567 rows 3 bad 250 MB/1.0 GB 308,641 rows/s 12s left",
    );
    expect(formatProgressLine(progress)).toBe(
      "a.csv: 25.0% 1234567 rows, 1234567 readings, 3 bad rows, 308641 rows/s, 12s left",
    );
    expect(formatDuration(3_725_000)).toBe("1:02:05");
    expect(formatDuration(65_000)).toBe("1:05");
  });
  it("keeps the time left of a stopped import", async () => {
    // A clock that advances 1 ms on every read, so the rates settle
    // within a few thousand rows.
    let clock = Date.UTC(2026, 0, 1);
    const now = () => {
      clock += 1;
      return clock;
    };
    const pipeline = new Pipeline({
      outputs: [new MemoryOutput()],
      dedupWindow: 0,
    });
    const updates: ImportProgress[] = [];
    const connector = new CsvConnector(
      { file_path: file, mapping, progress_interval_ms: 10 },
      { name: "stopped", now },
      {
        onProgress: (progress) => {
          updates.push(progress);
          if (progress.rows >= 10_000 && progress.elapsed_ms >= 500)
            void connector.disconnect();
        },
      },
    );
    connector.attach(pipeline);
    await connector.connect();
    while (connector.status !== "stopped")
      await new Promise((resolve) => setTimeout(resolve, 10));
    await pipeline.close();

    expect(connector.summary?.status).toBe("stopped");
    const last = updates[updates.length - 1]!;
    expect(last.rows).toBeLessThan(50_000);
    expect(last.done).toBe(false);
    expect(last.bytes).toBeLessThan(last.total_bytes);
    const expected =
      ((last.total_bytes - last.bytes) * 1000) / last.bytes_per_second;
    expect(last.eta_ms).toBeGreaterThan(expected * 0.9);
    expect(last.eta_ms).toBeLessThan(expected * 1.1);
    expect(formatProgressLine(last)).not.toContain(" 0s left");
    expect(formatProgressLine({ ...last, done: true, eta_ms: 0 })).toMatch(
      /, done$/,
    );
  });
});
