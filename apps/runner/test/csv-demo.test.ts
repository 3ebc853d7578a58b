import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { allPlugins, loadConfig, Service } from "../src/index.js";
import { csvModule } from "../src/protocols/csv/index.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-csv-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("csv part of qubit demo", () => {
  it("writes a portal export and imports it with one dead letter", async () => {
    const run = await csvModule.demo!.start({
      dir,
      logger: undefined as never,
      durationMs: 5000,
    });
    const file = (run.config as { file_path: string }).file_path;
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines[0]).toBe("DateTime,InverterID,Generation_kWh");
    expect(lines.length - 1).toBe(3 * 3 * 24);
    expect(lines.filter((line) => line.endsWith(",ERR"))).toHaveLength(1);

    const { config } = loadConfig(
      {
        data_dir: join(dir, "data"),
        server: { enabled: false },
        csv: run.config,
      },
      allPlugins(),
      { env: {} },
    );
    const service = new Service(config, { plugins: allPlugins() });
    await service.start();
    await service.finiteDone();
    await service.stop();
    await run.stop();

    const db = new Database(join(dir, "data", "qubit.db"), { readonly: true });
    try {
      const readings = db
        .prepare("SELECT COUNT(*) AS n FROM readings WHERE protocol = 'csv'")
        .get() as { n: number };
      expect(readings.n).toBe(3 * 3 * 24 - 1);
      const letters = db
        .prepare(
          "SELECT code, location FROM dead_letters WHERE protocol = 'csv'",
        )
        .all() as { code: string; location: string }[];
      expect(letters).toHaveLength(1);
      expect(letters[0]?.code).toBe("QUBIT_CSV_VALUE_INVALID");
      expect(JSON.parse(letters[0]!.location).line).toBe(
        lines.findIndex((line) => line.endsWith(",ERR")) + 1,
      );
      const units = db
        .prepare("SELECT DISTINCT unit FROM readings WHERE protocol = 'csv'")
        .all() as { unit: string }[];
      expect(units).toEqual([{ unit: "Wh" }]);
    } finally {
      db.close();
    }
  });
});
