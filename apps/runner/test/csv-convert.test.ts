import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./cli-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-csv-convert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCli;

const file = join(dir, "historical_generation.csv");
writeFileSync(
  file,
  "DateTime,InverterID,Generation_kWh\n2024-11-03 01:30:00,INV-1,1.5\n2024-11-03 01:30:00,INV-1,2.5\n2024-11-03 02:00:00,INV-1,n.a.\n",
);
const example = {
  file_path: file,
  mapping: {
    timestamp: "DateTime",
    asset_id: "InverterID",
    value: "Generation_kWh",
    unit: "kWh",
  },
  timestamp_format: "%Y-%m-%d %H:%M:%S",
  timezone: "America/Los_Angeles",
};
const runnerConfig = join(dir, "config.json");
writeFileSync(runnerConfig, JSON.stringify({ csv: example }));
const sectionConfig = join(dir, "section.json");
writeFileSync(
  sectionConfig,
  JSON.stringify({ ...example, file_path: undefined }),
);

describe("qubit convert csv", () => {
  it("prints readings as NDJSON and bad rows on stderr", async () => {
    const result = await run(["convert", "csv", "--config", runnerConfig]);
    expect(result.code).toBe(1);
    const readings = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(
      readings.map((reading) => [
        reading.timestamp,
        reading.value,
        reading.unit,
      ]),
    ).toEqual([
      ["2024-11-03T08:30:00.000Z", 1500, "Wh"],
      ["2024-11-03T09:30:00.000Z", 2500, "Wh"],
    ]);
    expect(result.stderr).toContain(
      'Invalid value "n.a." in column "Generation_kWh"',
    );
    expect(result.stderr).toContain("line=4");
    expect(result.stderr).toContain("column=Generation_kWh");
    expect(result.stderr).toContain("[QUBIT_CSV_VALUE_INVALID]");
  });

  it("prints 20 errors of one code, then a count", async () => {
    const many = join(dir, "many-bad.csv");
    const rows = Array.from(
      { length: 30 },
      (_, index) =>
        `2024-07-01 12:${String(index).padStart(2, "0")}:00,INV-1,n.a.`,
    );
    writeFileSync(
      many,
      `DateTime,InverterID,Generation_kWh\n${rows.join("\n")}\n`,
    );
    const result = await run([
      "convert",
      "csv",
      "--config",
      sectionConfig,
      many,
    ]);
    expect(result.code).toBe(1);
    const errors = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("error: "));
    expect(errors).toHaveLength(20);
    expect(result.stderr.match(/ {2}fix: /g)).toHaveLength(1);
    expect(result.stderr).toContain(
      "... 10 more errors [QUBIT_CSV_VALUE_INVALID] not printed",
    );
  });

  it("warns that a file that is not UTF-8 is read as Windows-1252", async () => {
    const latin = join(dir, "latin.csv");
    const text =
      "DateTime,InverterID,Generation_kWh\n2024-07-01 12:00:00,INV-\u00ff,3\n";
    writeFileSync(latin, Buffer.from(text, "latin1"));
    const result = await run([
      "convert",
      "csv",
      "--config",
      sectionConfig,
      latin,
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).asset_id).toBe("INV-\u00ff");
    const offset = text.indexOf("\u00ff");
    expect(result.stderr).toContain(
      `is not valid UTF-8 at byte offset ${offset}, so it is read as Windows-1252`,
    );
    expect(result.stderr).toContain("[QUBIT_CSV_ENCODING_GUESSED]");
  });

  it("takes the input file from the command line", async () => {
    const other = join(dir, "other.csv");
    writeFileSync(
      other,
      "DateTime,InverterID,Generation_kWh\n2024-07-01 12:00:00,INV-9,3\n",
    );
    const result = await run([
      "convert",
      "csv",
      "--config",
      sectionConfig,
      other,
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      asset_id: "INV-9",
      value: 3000,
      timestamp: "2024-07-01T19:00:00.000Z",
    });
  });

  it("exits 2 for a mapping column the file lacks", async () => {
    const config = join(dir, "wrong.json");
    writeFileSync(
      config,
      JSON.stringify({
        csv: {
          ...example,
          mapping: { ...example.mapping, asset_id: "Inverter" },
        },
      }),
    );
    const result = await run(["convert", "csv", "--config", config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('column "Inverter" is not in the header');
    expect(result.stderr).toContain(
      '"DateTime", "InverterID", "Generation_kWh"',
    );
    expect(result.stderr).toContain("/csv/mapping/asset_id");
  });

  it("names an empty or header-only file, not a column", async () => {
    const empty = join(dir, "empty.csv");
    writeFileSync(empty, "");
    const emptyResult = await run([
      "convert",
      "csv",
      "--config",
      sectionConfig,
      empty,
    ]);
    expect(emptyResult.code).toBe(1);
    expect(emptyResult.stdout).toBe("");
    expect(emptyResult.stderr).toContain(
      `error: File ${empty} is empty (0 bytes): it has no header and no data rows [QUBIT_CSV_FILE_EMPTY]`,
    );
    expect(emptyResult.stderr).not.toContain("column");
    const header = join(dir, "header.csv");
    writeFileSync(header, "DateTime,InverterID,Generation_kWh\n");
    const headerResult = await run([
      "convert",
      "csv",
      "--config",
      sectionConfig,
      header,
    ]);
    expect(headerResult.code).toBe(1);
    expect(headerResult.stderr).toContain(
      `error: File ${header} has no data rows: nothing follows its header [QUBIT_CSV_NO_DATA_ROWS]`,
    );
  });

  it("prints a conflicting row and a sentinel warning", async () => {
    const file = join(dir, "hostile.csv");
    writeFileSync(
      file,
      "DateTime,InverterID,Generation_kWh\n2024-07-01 12:00:00,INV-1,1.0\n2024-07-01 12:00:00,INV-1,2.0\n2024-07-01 13:00:00,INV-1,-9999\n",
    );
    const result = await run([
      "convert",
      "csv",
      "--config",
      sectionConfig,
      file,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split("\n")).toHaveLength(2);
    expect(result.stderr).toContain(
      "error: Conflicting values for INV-1 generation at 2024-07-01T19:00:00.000Z: line 3 has 2 kWh, but line 2 has 1 kWh; the reading of line 2 is kept [QUBIT_CSV_VALUE_CONFLICT]",
    );
    expect(result.stderr).toMatch(
      /warning: Value -9999 in column "Generation_kWh" is a common missing-value sentinel.*\[QUBIT_CSV_VALUE_SENTINEL\].*line=4/,
    );
  });

  it("exits 2 for bad usage and a bad config", async () => {
    expect((await run(["convert", "csv"])).code).toBe(2);
    expect(
      (
        await run([
          "convert",
          "csv",
          "--config",
          runnerConfig,
          join(dir, "missing.csv"),
        ])
      ).code,
    ).toBe(2);
    const config = join(dir, "invalid.json");
    writeFileSync(
      config,
      JSON.stringify({ csv: { ...example, delimiter: "#" } }),
    );
    const invalid = await run(["convert", "csv", "--config", config]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("/csv/delimiter");
  });
});
