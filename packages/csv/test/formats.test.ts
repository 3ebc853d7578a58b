import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { importFile, reading, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

function write(name: string, content: string | Buffer): string {
  const path = join(temp.dir, name);
  writeFileSync(path, content);
  return path;
}

const mapping = {
  timestamp: "time",
  asset_id: "meter",
  metric: { const: "power" },
  value: "power",
  unit: "kW",
};
const rows = (delimiter: string) =>
  [
    `time${delimiter}meter${delimiter}power`,
    `2024-06-01T00:00:00Z${delimiter}m1${delimiter}1.5`,
    `2024-06-01T00:15:00Z${delimiter}m1${delimiter}2.5`,
    "",
  ].join("\n");

describe("formats", () => {
  for (const [label, delimiter] of [
    ["comma", ","],
    ["semicolon", ";"],
    ["tab", "\t"],
    ["pipe", "|"],
  ] as const) {
    it(`detects the ${label} delimiter`, async () => {
      const result = await importFile({
        file_path: write(`d-${label}.csv`, rows(delimiter)),
        mapping,
      });
      expect(result.deadLetters).toHaveLength(0);
      expect(result.readings.map((item) => item.value)).toEqual([1500, 2500]);
    });
  }

  it("reads grouped numbers with a decimal point", async () => {
    const file = write(
      "thousands.csv",
      'time,meter,power\n2024-06-01T00:00:00Z,m1,"1,234.5"\n2024-06-01T00:15:00Z,m1,2.25\n',
    );
    const result = await importFile({ file_path: file, mapping });
    expect(result.readings.map((item) => item.value)).toEqual([1234500, 2250]);
  });

  it("reads space-grouped numbers with a decimal comma", async () => {
    const file = write(
      "spaces.csv",
      "time;meter;power\n2024-06-01T00:00:00Z;m1;1 234,5\n2024-06-01T00:15:00Z;m1;0,25\n",
    );
    const result = await importFile({
      file_path: file,
      thousands_separator: " ",
      mapping,
    });

    expect(result.readings.map((item) => item.value)).toEqual([1234500, 250]);
  });

  it("keeps line numbers after quoted newlines", async () => {
    const file = write(
      "multiline.csv",
      'time,meter,power,note\n2024-06-01T00:00:00Z,m1,1,"two\nlines"\n2024-06-01T00:15:00Z,m1,x,plain\n',
    );
    const result = await importFile({ file_path: file, mapping });
    expect(result.readings).toHaveLength(1);
    expect(result.readings[0]?.source.line).toBe(2);
    expect(result.deadLetters[0]?.location.line).toBe(4);
  });

  it("reads UTF-16 LE and BE with a byte-order mark", async () => {
    const text = "time,Zähler,power\n2024-06-01T00:00:00Z,m1,1.5\n";
    const config = { ...mapping, asset_id: "Zähler" };
    const le = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(text, "utf16le"),
    ]);
    const be = Buffer.from(le);
    be.swap16();
    for (const [name, bytes] of [
      ["le.csv", le],
      ["be.csv", be],
    ] as const) {
      const result = await importFile({
        file_path: write(name, bytes),
        mapping: config,
      });
      expect(result.deadLetters, name).toHaveLength(0);
      expect(result.readings[0]?.value, name).toBe(1500);
    }
  });

  it("reads UTF-16 LE without a byte-order mark", async () => {
    const file = write("le-nobom.csv", Buffer.from(rows(","), "utf16le"));
    const result = await importFile({ file_path: file, mapping });
    expect(result.readings.map((item) => item.value)).toEqual([1500, 2500]);
  });

  it("reads Latin-1 (Windows-1252)", async () => {
    const text = "time;Zähler;Temperatur (°C)\n2024-06-01T00:00:00Z;Süd;21,5\n";
    const file = write("latin1.csv", Buffer.from(text, "latin1"));
    const result = await importFile({
      file_path: file,
      mapping: { timestamp: "time", asset_id: "Zähler", values: "*" },
    });

    expect(result.deadLetters).toHaveLength(0);
    const temperature = reading(
      result.readings,
      "temperatur",
      "2024-06-01T00:00:00.000Z",
    );
    expect(temperature.asset_id).toBe("Süd");
    expect(temperature.value).toBe(21.5);
    expect(temperature.unit).toBe("celsius");
  });

  it("skips banner lines above the header", async () => {
    const file = write(
      "banner.csv",
      `Export of plant A\nGenerated 2024-06-02\n\n${rows(",")}`,
    );
    const result = await importFile({ file_path: file, mapping });
    expect(result.readings).toHaveLength(2);
    expect(result.readings[0]?.source.line).toBe(5);
  });

  it("reads a units line under the header", async () => {
    const file = write(
      "units.csv",
      "time,meter,P_AC,E_day\n,,[kW],[kWh]\n2024-06-01T00:00:00Z,m1,1.5,12\n",
    );
    const result = await importFile({
      file_path: file,
      mapping: { timestamp: "time", asset_id: "meter", values: "*" },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(
      reading(result.readings, "p_ac", "2024-06-01T00:00:00.000Z").value,
    ).toBe(1500);
    expect(
      reading(result.readings, "e_day", "2024-06-01T00:00:00.000Z").value,
    ).toBe(12000);
  });

  it("takes metric and unit from headers like P_AC (kW)", async () => {
    const file = write(
      "wide.csv",
      "time,meter,P_AC (kW),U_DC [V],Temp_C\n2024-06-01T00:00:00Z,m1,1.5,640,31\n",
    );
    const result = await importFile({
      file_path: file,
      mapping: {
        timestamp: "time",
        asset_id: "meter",
        values: {
          "P_AC (kW)": {},
          "U_DC [V]": {},
          Temp_C: { metric: "temperature", unit: "celsius" },
        },
      },
    });
    const power = reading(result.readings, "p_ac", "2024-06-01T00:00:00.000Z");
    expect(power.value).toBe(1500);
    expect(power.unit).toBe("W");
    expect(
      reading(result.readings, "u_dc", "2024-06-01T00:00:00.000Z").unit,
    ).toBe("V");
    expect(
      reading(result.readings, "temperature", "2024-06-01T00:00:00.000Z").value,
    ).toBe(31);
  });

  it("skips blank lines and lines with spaces only", async () => {
    const file = write(
      "blank.csv",
      "time,meter,power\n\n2024-06-01T00:00:00Z,m1,1\n   \n\n2024-06-01T00:15:00Z,m1,2\n\n",
    );
    const result = await importFile({ file_path: file, mapping });
    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings.map((item) => item.source.line)).toEqual([3, 6]);
  });

  it("emits missing-value markers as quality missing", async () => {
    const file = write(
      "missing.csv",
      "time,meter,power\n2024-06-01T00:00:00Z,m1,-\n2024-06-01T00:15:00Z,m1,\n2024-06-01T00:30:00Z,m1,NA\n2024-06-01T00:45:00Z,m1,null\n2024-06-01T01:00:00Z,m1,7\n",
    );
    const emitted = await importFile({ file_path: file, mapping });
    expect(emitted.deadLetters).toHaveLength(0);
    expect(emitted.readings.map((item) => item.value)).toEqual([
      null,
      null,
      null,
      null,
      7000,
    ]);
    expect(
      emitted.readings.slice(0, 4).every((item) => item.quality === "missing"),
    ).toBe(true);
    const skipped = await importFile({
      file_path: file,
      on_missing: "skip",
      mapping,
    });
    expect(skipped.readings.map((item) => item.value)).toEqual([7000]);
  });

  it("reads gzip files", async () => {
    const file = write("rows.csv.gz", gzipSync(rows(";")));
    const result = await importFile({ file_path: file, mapping });
    expect(result.readings.map((item) => item.value)).toEqual([1500, 2500]);
  });

  it("reads NDJSON files line by line", async () => {
    const file = write(
      "rows.ndjson",
      '{"t":"2024-06-01T00:00:00Z","m":"m1","p":1.5}\n\n{"t":"2024-06-01T00:15:00Z","m":"m1","p":"2.5"}\nnot json\n',
    );
    const result = await importFile({
      file_path: file,
      mapping: {
        timestamp: "t",
        asset_id: "m",
        metric: { const: "power" },
        value: "p",
        unit: "kW",
      },
    });

    expect(result.readings.map((item) => item.value)).toEqual([1500, 2500]);
    expect(result.deadLetters).toHaveLength(1);
    expect(result.deadLetters[0]?.code).toBe("QUBIT_CSV_JSON_INVALID");
    expect(result.deadLetters[0]?.location.line).toBe(4);
  });

  it("detects a file without header", async () => {
    const file = write(
      "noheader.csv",
      "2024-06-01T00:00:00Z,m1,1.5\n2024-06-01T00:15:00Z,m1,2.5\n",
    );
    const result = await importFile({
      file_path: file,
      mapping: {
        timestamp: "1",
        asset_id: "2",
        metric: { const: "power" },
        value: "3",
        unit: "kW",
      },
    });

    expect(result.readings.map((item) => item.value)).toEqual([1500, 2500]);
    expect(result.readings[0]?.source.line).toBe(1);
  });

  it("builds fields from templates and patterns", async () => {
    const file = write(
      "template.csv",
      "time,site,meter,power\n2024-06-01T00:00:00Z,North,M-001 (main),1\n",
    );
    const result = await importFile({
      file_path: file,
      mapping: {
        timestamp: "time",
        asset_id: { template: "{site}-{meter}" },
        device_id: { column: "meter", pattern: "^(\\S+)" },
        metric: { const: "power" },
        value: "power",
        unit: "kW",
      },
    });

    expect(result.readings[0]?.asset_id).toBe("North-M-001 (main)");
    expect(result.readings[0]?.device_id).toBe("M-001");
  });
});
