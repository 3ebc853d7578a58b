import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CsvConfigInput } from "../src/index.js";
import { importFile, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

function write(name: string, lines: string[]): string {
  const path = join(temp.dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const mapping = {
  timestamp: "time",
  asset_id: "meter",
  metric: { const: "energy" },
  value: "kwh",
  unit: "kWh",
};

function config(
  file: string,
  extra: Partial<CsvConfigInput> = {},
): CsvConfigInput {
  return {
    file_path: file,
    timestamp_format: "%Y-%m-%d %H:%M:%S",
    timezone: "UTC",
    mapping,
    ...extra,
  };
}

describe("repeated readings in one file", () => {
  it("rejects a conflicting value with both lines and values", async () => {
    const file = write("conflict.csv", [
      "time,meter,kwh",
      "2024-06-01 00:00:00,m1,1.0", // 2
      "2024-06-01 00:00:00,m1,2.0", // 3 conflicts with line 2
      "2024-06-01 00:15:00,m1,3.0", // 4
    ]);
    const result = await importFile(config(file));
    expect(result.readings.map((item) => item.value)).toEqual([1000, 3000]);
    expect(result.deadLetters).toHaveLength(1);
    const letter = result.deadLetters[0]!;
    expect(letter.code).toBe("QUBIT_CSV_VALUE_CONFLICT");
    expect(letter.reason).toBe(
      "Conflicting values for m1 energy at 2024-06-01T00:00:00.000Z: line 3 has 2 kWh, but line 2 has 1 kWh; the reading of line 2 is kept",
    );
    expect(letter.location).toMatchObject({
      address: file,
      line: 3,
      column: "kwh",
      column_number: 3,
    });
    expect(letter.raw).toBe("2024-06-01 00:00:00,m1,2.0");
    expect(result.summary).toMatchObject({
      status: "completed",
      readings: 2,
      conflicts: 1,
      duplicates: 0,
      bad_rows: 1,
    });
  });

  it("drops an identical repeat and counts it", async () => {
    const file = write("duplicate.csv", [
      "time,meter,kwh",
      "2024-06-01 00:00:00,m1,1.0",
      "2024-06-01 00:00:00,m1,1.00",
      "2024-06-01 00:00:00,m2,1.0",
    ]);
    const result = await importFile(config(file));
    expect(result.readings.map((item) => item.asset_id)).toEqual(["m1", "m2"]);
    expect(result.deadLetters).toEqual([]);
    expect(result.diagnostics).toEqual([]);
    expect(result.summary).toMatchObject({
      readings: 2,
      duplicates: 1,
      conflicts: 0,
      bad_rows: 0,
    });
  });

  it("takes 1 kWh and 1000 Wh as one value", async () => {
    const file = write("units.csv", [
      "time,meter,value,unit",
      "2024-06-01 00:00:00,m1,1,kWh",
      "2024-06-01 00:00:00,m1,1000,Wh",
      "2024-06-01 00:00:00,m1,1001,Wh",
    ]);
    const result = await importFile(
      config(file, {
        mapping: { ...mapping, value: "value", unit: "unit" },
      }),
    );
    expect(result.readings).toHaveLength(1);
    expect(result.summary?.duplicates).toBe(1);
    expect(result.deadLetters.map((letter) => letter.location.line)).toEqual([
      4,
    ]);
    expect(result.deadLetters[0]?.reason).toContain(
      "line 4 has 1001 Wh, but line 2 has 1 kWh",
    );
  });

  it("finds a repeat behind rows of other series", async () => {
    const lines = ["time,meter,kwh"];
    for (let minute = 0; minute < 30; minute += 1) {
      const time = `2024-06-01 00:${String(minute).padStart(2, "0")}:00`;
      for (const meter of ["m1", "m2", "m3"]) lines.push(`${time},${meter},1`);
    }
    lines.push("2024-06-01 00:05:00,m2,7"); // line 92
    const result = await importFile(config(write("behind.csv", lines)));
    expect(result.readings).toHaveLength(90);
    expect(result.deadLetters).toHaveLength(1);
    expect(result.deadLetters[0]?.reason).toContain(
      "line 92 has 7 kWh, but line 18 has 1 kWh",
    );
  });

  it("checks each value column of a wide file", async () => {
    const file = write("wide.csv", [
      "time,meter,import_kwh,export_kwh",
      "2024-06-01 00:00:00,m1,1,5",
      "2024-06-01 00:00:00,m1,1,6",
    ]);
    const result = await importFile(
      config(file, {
        mapping: {
          timestamp: "time",
          asset_id: "meter",
          values: "*",
        },
      }),
    );
    expect(result.readings.map((item) => [item.metric, item.value])).toEqual([
      ["import", 1000],
      ["export", 5000],
    ]);
    expect(result.summary).toMatchObject({ duplicates: 1, conflicts: 1 });
    expect(result.deadLetters[0]?.location).toMatchObject({
      line: 3,
      column: "export_kwh",
    });
  });

  it("reports the repeated hour as conflicts under policy earlier", async () => {
    const lines = [
      "time,meter,kwh",
      "2024-11-03 01:00:00,m1,1", // first pass
      "2024-11-03 01:30:00,m1,2",
      "2024-11-03 01:00:00,m1,3", // second pass, same wall-clock times
      "2024-11-03 01:30:00,m1,4",
    ];
    const file = write("la-fall.csv", lines);
    const earlier = await importFile(
      config(file, {
        timezone: "America/Los_Angeles",
        ambiguous_time: "earlier",
      }),
    );
    expect(earlier.readings.map((item) => item.value)).toEqual([1000, 2000]);
    expect(
      earlier.deadLetters.map((letter) => [letter.code, letter.location.line]),
    ).toEqual([
      ["QUBIT_CSV_VALUE_CONFLICT", 4],
      ["QUBIT_CSV_VALUE_CONFLICT", 5],
    ]);
    const sequence = await importFile(
      config(file, { timezone: "America/Los_Angeles" }),
    );
    expect(sequence.readings).toHaveLength(4);
    expect(sequence.deadLetters).toEqual([]);
  });
});

describe("series that go back in time", () => {
  // The hostile case: the second pass of 01:30 (PST), then 01:15, which
  // the sequence policy can only place in the first pass (PDT).
  const lines = [
    "time,meter,kwh",
    "2024-11-03 01:30:00,m1,1", // 08:30Z
    "2024-11-03 01:30:00,m1,2", // 09:30Z, the second pass
    "2024-11-03 01:15:00,m1,3", // 08:15Z: back in time
    "2024-11-03 01:00:00,m1,4", // 09:00Z, still before 09:30Z
  ];

  it("warns once with file and line under policy sequence", async () => {
    const file = write("backwards.csv", lines);
    const result = await importFile(
      config(file, { timezone: "America/Los_Angeles" }),
    );
    expect(result.readings.map((item) => item.timestamp)).toEqual([
      "2024-11-03T08:30:00.000Z",
      "2024-11-03T09:30:00.000Z",
      "2024-11-03T08:15:00.000Z",
      "2024-11-03T09:00:00.000Z",
    ]);
    const warnings = result.diagnostics.filter(
      (item) => item.code === "QUBIT_CSV_TIMESTAMP_OUT_OF_ORDER",
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.location).toMatchObject({ address: file, line: 4 });
    expect(warnings[0]?.message).toContain(
      "Series m1 energy goes back in time: line 4 has 2024-11-03T08:15:00.000Z, after 2024-11-03T09:30:00.000Z on line 3",
    );
    expect(warnings[0]?.fix).toContain("ambiguous_time");
  });

  it("stays quiet under a fixed policy or zone", async () => {
    const file = write("backwards-fixed.csv", lines);
    const earlier = await importFile(
      config(file, {
        timezone: "America/Los_Angeles",
        ambiguous_time: "earlier",
      }),
    );
    const utc = await importFile(config(file));
    for (const result of [earlier, utc]) {
      expect(
        result.diagnostics.filter(
          (item) => item.code === "QUBIT_CSV_TIMESTAMP_OUT_OF_ORDER",
        ),
      ).toEqual([]);
    }
  });

  it("stays quiet when each series is in order", async () => {
    const file = write("by-meter.csv", [
      "time,meter,kwh",
      "2024-11-03 00:30:00,m1,1",
      "2024-11-03 01:30:00,m1,2",
      "2024-11-03 00:30:00,m2,1",
      "2024-11-03 01:30:00,m2,2",
    ]);
    const result = await importFile(
      config(file, { timezone: "America/Los_Angeles" }),
    );
    expect(result.readings).toHaveLength(4);
    expect(result.diagnostics).toEqual([]);
  });
});

describe("common sentinels", () => {
  const lines = [
    "time,meter,import_kwh,export_kwh",
    "2024-06-01 00:00:00,m1,-9999,1",
    "2024-06-01 00:15:00,m1,-9999,-999",
    "2024-06-01 00:30:00,m1,-99999,9999",
  ];
  const wide = {
    timestamp: "time",
    asset_id: "meter",
    values: "*" as const,
  };

  it("keeps -9999 and warns once per column", async () => {
    const file = write("sentinels.csv", lines);
    const result = await importFile(config(file, { mapping: wide }));
    const imported = result.readings.filter((item) => item.metric === "import");
    expect(imported.map((item) => [item.value, item.quality])).toEqual([
      [-9_999_000, "measured"],
      [-9_999_000, "measured"],
      [-99_999_000, "measured"],
    ]);
    const warnings = result.diagnostics.filter(
      (item) => item.code === "QUBIT_CSV_VALUE_SENTINEL",
    );
    expect(
      warnings.map((item) => [item.location?.column, item.location?.line]),
    ).toEqual([
      ["import_kwh", 2],
      ["export_kwh", 3],
    ]);
    expect(warnings[0]?.message).toContain(
      'Value -9999 in column "import_kwh" is a common missing-value sentinel, but sentinel_values is empty',
    );
    expect(warnings[0]?.fix).toContain('"sentinel_values": [-9999]');
    expect(warnings[0]?.location?.address).toBe(file);
  });

  it("stays quiet once sentinel_values is set", async () => {
    const file = write("sentinels-set.csv", lines);
    const result = await importFile(
      config(file, { mapping: wide, sentinel_values: [-9999] }),
    );
    expect(
      result.diagnostics.filter(
        (item) => item.code === "QUBIT_CSV_VALUE_SENTINEL",
      ),
    ).toEqual([]);
    const imported = result.readings.filter((item) => item.metric === "import");
    expect(imported.map((item) => [item.value, item.quality])).toEqual([
      [null, "missing"],
      [null, "missing"],
      [-99_999_000, "measured"],
    ]);
  });
});
