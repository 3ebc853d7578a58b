import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "@qubit/core";
import { afterAll, describe, expect, it } from "vitest";
import { importFile, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

interface LogLine {
  level: string;
  message: string | undefined;
  /** Keys of the child loggers' bindings, outermost first. */
  bound: string[];
  context: Record<string, unknown>;
}

/**
 * Creates a logger that records each line with the keys its child
 * bindings add. pino writes the keys of the bindings and of the context
 * object, so a key in both appears twice in the JSON line.
 */
function recordingLogger(lines: LogLine[], bound: string[] = []): Logger {
  const entry = (level: string) => (context: object, message?: string) => {
    lines.push({
      level,
      message,
      bound,
      context: context as Record<string, unknown>,
    });
  };
  return {
    trace: entry("trace"),
    debug: entry("debug"),
    info: entry("info"),
    warn: entry("warn"),
    error: entry("error"),
    fatal: entry("fatal"),
    child: (bindings) =>
      recordingLogger(lines, [...bound, ...Object.keys(bindings)]),
  };
}

function repeatedKeys(line: LogLine): string[] {
  const keys = [...line.bound, ...Object.keys(line.context)];
  return keys.filter((key, index) => keys.indexOf(key) !== index);
}

const mapping = {
  timestamp: "time",
  asset_id: "meter",
  metric: { const: "energy" },
  value: "kwh",
  unit: "kWh",
};

describe("import log lines", () => {
  const lines = ["time,meter,kwh"];
  for (let index = 0; index < 20_000; index += 1) {
    const time = new Date(Date.UTC(2024, 0, 1) + index * 60_000).toISOString();
    lines.push(`${time},m1,${index % 7 === 0 ? "x" : index}`);
  }
  const file = join(temp.dir, "logged.csv");
  writeFileSync(file, `${lines.join("\n")}\n`);

  it("writes no key twice in a line", async () => {
    const logged: LogLine[] = [];
    await importFile(
      {
        file_path: file,
        mapping,
        progress_log_interval_ms: 10,
        max_errors: null,
      },
      { logger: recordingLogger(logged) },
    );
    const finished = logged.find(
      (line) => line.message === "File import finished",
    );
    expect(finished?.bound).toContain("file");
    expect(finished?.context).toMatchObject({ status: "completed" });
    expect(
      logged.some((line) => line.message?.includes("rows/s")),
      "a progress line",
    ).toBe(true);
    for (const line of logged) {
      expect(repeatedKeys(line), line.message).toEqual([]);
    }
  });

  it("writes no key twice when an import fails", async () => {
    const header = join(temp.dir, "header-only.csv");
    writeFileSync(header, "time,meter,kwh\n");
    const logged: LogLine[] = [];
    await importFile(
      { file_path: header, mapping },
      { logger: recordingLogger(logged) },
    );
    const failed = logged.find((line) => line.message === "File import failed");
    expect(failed?.context).toMatchObject({
      status: "failed",
      error: { code: "QUBIT_CSV_NO_DATA_ROWS" },
    });
    for (const line of logged) {
      expect(repeatedKeys(line), line.message).toEqual([]);
    }
  });
});
