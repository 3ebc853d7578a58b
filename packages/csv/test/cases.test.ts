import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importFile, reading, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

function write(name: string, bytes: Buffer | string): string {
  const path = join(temp.dir, name);
  writeFileSync(path, bytes);
  return path;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe("C24: UTF-8 BOM glued to the first header", () => {
  const mapping = {
    timestamp: "timestamp",
    asset_id: "meter_id",
    value: "energy_kwh",
    metric: { const: "energy" },
    unit: "kWh",
  };

  it("reads file A with an unquoted first header", async () => {
    const file = write(
      "a.csv",
      Buffer.concat([
        BOM,
        Buffer.from(
          "timestamp,meter_id,energy_kwh\r\n2024-05-01T00:00:00Z,M-17,12.5\r\n2024-05-01T00:15:00Z,M-17,12.75\r\n",
        ),
      ]),
    );
    const result = await importFile({ file_path: file, mapping });
    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(2);
    const first = reading(
      result.readings,
      "energy",
      "2024-05-01T00:00:00.000Z",
    );
    expect(first.asset_id).toBe("M-17");
    expect(first.value).toBe(12500);
    expect(first.unit).toBe("Wh");
    expect(first.quality).toBe("measured");
    expect(
      reading(result.readings, "energy", "2024-05-01T00:15:00.000Z").value,
    ).toBe(12750);
  });

  it("reads file B with a quoted first header", async () => {
    const file = write(
      "b.csv",
      Buffer.concat([
        BOM,
        Buffer.from(
          '"timestamp","meter_id","energy_kwh"\r\n"2024-05-01T00:00:00Z","M-17","12.5"\r\n',
        ),
      ]),
    );
    const result = await importFile({ file_path: file, mapping });
    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(1);
    expect(
      reading(result.readings, "energy", "2024-05-01T00:00:00.000Z").value,
    ).toBe(12500);
  });

  it("trims header names", async () => {
    const file = write(
      "c.csv",
      Buffer.concat([
        BOM,
        Buffer.from(
          " timestamp , meter_id ,energy_kwh \n2024-05-01T00:00:00Z,M-17,12.5\n",
        ),
      ]),
    );
    const result = await importFile({ file_path: file, mapping });
    expect(result.readings).toHaveLength(1);
  });
});

describe("C25: semicolons, decimal comma, flags, sentinel", () => {
  const config = (file: string) => ({
    file_path: file,
    delimiter: ";" as const,
    decimal_separator: "," as const,
    thousands_separator: "." as const,
    timezone: "Europe/Madrid",
    timestamp_format: "DD-MM-YYYY HH:mm",
    value_flags: { valid: ["V"] },
    sentinel_values: [-9999],
    mapping: {
      timestamp: "FECHA HORA",
      asset_id: { const: "site-a" },
      values: {
        "Site A/PV power Flag": { metric: "pv_power", unit: "kW" },
        "Site A/Grid power Flag": { metric: "grid_power", unit: "kW" },
      },
    },
  });
  const text = [
    "FECHA HORA;Site A/PV power Flag;Site A/Grid power Flag;",
    "01-03-2024 00:15;2,6 V;-1,4 V",
    "01-03-2024 00:30;-9999 N;1.234,5 V",
    "",
  ].join("\n");

  it("converts values, units and the time zone", async () => {
    const result = await importFile(config(write("c25.csv", text)));
    expect(result.deadLetters).toHaveLength(0);
    const pv = reading(result.readings, "pv_power", "2024-02-29T23:15:00.000Z");
    expect(pv.asset_id).toBe("site-a");
    expect(pv.value).toBe(2600);
    expect(pv.unit).toBe("W");
    expect(pv.quality).toBe("measured");
    expect(
      reading(result.readings, "grid_power", "2024-02-29T23:15:00.000Z").value,
    ).toBe(-1400);
    expect(
      reading(result.readings, "grid_power", "2024-02-29T23:30:00.000Z").value,
    ).toBe(1234500);
  });

  it("stores no number for the sentinel", async () => {
    const result = await importFile(config(write("c25.csv", text)));
    const sentinel = reading(
      result.readings,
      "pv_power",
      "2024-02-29T23:30:00.000Z",
    );
    expect(sentinel.value).toBeNull();
    expect(sentinel.quality).toBe("missing");
    const numbers = result.readings.map((item) => item.value);
    expect(numbers).not.toContain(-9999);
    expect(numbers).not.toContain(-9999000);
  });

  it("reports the trailing header column once", async () => {
    const result = await importFile(config(write("c25.csv", text)));
    const trailing = result.diagnostics.filter(
      (item) => item.code === "QUBIT_CSV_HEADER_EMPTY_COLUMN",
    );
    expect(trailing).toHaveLength(1);
    expect(
      result.deadLetters.filter((letter) =>
        letter.code.includes("FIELD_COUNT"),
      ),
    ).toHaveLength(0);
  });

  it("gives a value with an invalid flag quality error", async () => {
    const file = write(
      "c25-flag.csv",
      "FECHA HORA;Site A/PV power Flag;Site A/Grid power Flag;\n01-03-2024 00:45;5,2 N;1,0 V\n",
    );
    const result = await importFile(config(file));
    const flagged = reading(
      result.readings,
      "pv_power",
      "2024-02-29T23:45:00.000Z",
    );
    expect(flagged.value).toBeNull();
    expect(flagged.quality).toBe("error");
    expect(flagged.metadata?.flagged_value).toBe(5.2);
    expect(result.diagnostics.map((item) => item.code)).toContain(
      "QUBIT_CSV_VALUE_FLAGGED",
    );
  });

  it("detects the delimiter and decimal comma by itself", async () => {
    const {
      delimiter: _d,
      decimal_separator: _s,
      ...rest
    } = config(write("c25.csv", text));
    const result = await importFile(rest);
    expect(
      reading(result.readings, "pv_power", "2024-02-29T23:15:00.000Z").value,
    ).toBe(2600);
    expect(
      reading(result.readings, "grid_power", "2024-02-29T23:30:00.000Z").value,
    ).toBe(1234500);
  });
});
