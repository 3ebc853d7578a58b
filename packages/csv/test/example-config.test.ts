import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ColumnNotFoundError, CsvConnector } from "../src/index.js";
import { importFile, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

const file = join(temp.dir, "historical_generation.csv");
writeFileSync(
  file,
  [
    "DateTime,InverterID,Generation_kWh",
    "2024-07-01 12:00:00,INV-001,3.25",
    "2024-07-01 12:00:00,INV-002,2.5",
    "2024-07-01 13:00:00,INV-001,3.5",
    "",
  ].join("\n"),
);

const exampleConfig = {
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

describe("example configuration", () => {
  it("streams batches through process()", async () => {
    const connector = new CsvConnector(exampleConfig);
    const batches: number[] = [];
    const readings = [];
    for await (const batch of connector.process()) {
      batches.push(batch.length);
      readings.push(...batch);
    }
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(3);
    expect(connector.status).toBe("completed");
    const first = readings.find(
      (item) =>
        item.asset_id === "INV-001" &&
        item.timestamp === "2024-07-01T19:00:00.000Z",
    );
    expect(first?.value).toBe(3250);
    expect(first?.unit).toBe("Wh");
    expect(first?.metric).toBe("generation");
    expect(first?.quality).toBe("measured");
    expect(first?.source).toMatchObject({
      protocol: "csv",
      address: file,
      line: 2,
    });
  });

  it("reads a known unit that is no column as a constant", async () => {
    const result = await importFile(exampleConfig);
    expect(result.readings.map((item) => item.unit)).toEqual([
      "Wh",
      "Wh",
      "Wh",
    ]);
    expect(result.deadLetters).toHaveLength(0);
  });

  it("marks constants with const", async () => {
    const result = await importFile({
      ...exampleConfig,
      mapping: {
        ...exampleConfig.mapping,
        asset_id: { const: "plant-7" },
        metric: { const: "ac_energy" },
      },
    });
    expect(new Set(result.readings.map((item) => item.asset_id))).toEqual(
      new Set(["plant-7"]),
    );
    expect(result.readings[0]?.metric).toBe("ac_energy");
  });

  it("rejects a column that is missing, listing the columns", async () => {
    const connector = new CsvConnector({
      ...exampleConfig,
      mapping: { ...exampleConfig.mapping, value: "Generation_kwh" },
    });
    const error = await connector.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ColumnNotFoundError);
    expect((error as ColumnNotFoundError).code).toBe(
      "QUBIT_CSV_COLUMN_NOT_FOUND",
    );
    expect((error as Error).message).toContain(
      '"DateTime", "InverterID", "Generation_kWh"',
    );
    expect((error as ColumnNotFoundError).columns).toEqual([
      "DateTime",
      "InverterID",
      "Generation_kWh",
    ]);
    expect(connector.status).toBe("failed");
    await expect(connector.finished).rejects.toThrow(/Generation_kwh/);
  });

  it("rejects a unit that is neither column nor known unit", async () => {
    const connector = new CsvConnector({
      ...exampleConfig,
      mapping: { ...exampleConfig.mapping, unit: "Unit" },
    });
    await expect(connector.connect()).rejects.toThrow(
      /column "Unit" is not in the header/,
    );
  });
});
