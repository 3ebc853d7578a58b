import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noopLogger } from "@qubit/core";
import { modbusPlugin } from "@qubit/modbus";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, Service } from "../src/index.js";
import { modbusModule } from "../src/protocols/modbus/index.js";
import { waitFor } from "./output-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-modbus-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("qubit demo, Modbus part", () => {
  it("stores inverter readings and dead-letters the missing register", async () => {
    const run = await modbusModule.demo!.start({
      dir,
      logger: noopLogger,
      durationMs: 5_000,
    });
    const { config } = loadConfig(
      {
        data_dir: dir,
        outputs: [{ type: "sqlite" }],
        server: { enabled: false },
        modbus: run.config,
      },
      [modbusPlugin],
      { env: {} },
    );
    const service = new Service(config, { plugins: [modbusPlugin] });
    try {
      await service.start();
      await waitFor(
        () => {
          const stats =
            service.pipeline.stats().by_connector["modbus-inverter"];
          return (
            (stats?.readings ?? 0) >= 21 && (stats?.dead_letters ?? 0) >= 1
          );
        },
        20_000,
        "three polls and a dead letter",
      );
    } finally {
      await service.stop();
      await run.stop();
    }
    const db = new Database(join(dir, "qubit.db"), { readonly: true });
    try {
      const rows = db
        .prepare(
          "SELECT metric, unit, value FROM readings WHERE protocol = 'modbus' AND asset_id = 'inverter-1' ORDER BY ts_ms",
        )
        .all() as { metric: string; unit: string; value: unknown }[];
      const metrics = new Set(rows.map((row) => `${row.metric} ${row.unit}`));
      expect(metrics).toContain("ac_power W");
      expect(metrics).toContain("energy_total Wh");
      expect(metrics).toContain("grid_voltage V");
      expect(metrics).toContain("status.producing ");
      const voltages = rows
        .filter((row) => row.metric === "grid_voltage")
        .map((row) => Number(row.value));
      expect(voltages.every((v) => v > 220 && v < 240)).toBe(true);
      const letters = db
        .prepare(
          "SELECT code, reason FROM dead_letters WHERE protocol = 'modbus'",
        )
        .all() as { code: string; reason: string }[];
      // The missing register fails at every poll, but its dead letter is
      // sent once; the repeats are only counted.
      expect(letters).toHaveLength(1);
      expect(letters[0]!.code).toBe(
        "QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS",
      );
      expect(letters[0]!.reason).toContain("reactive_power");
    } finally {
      db.close();
    }
  });
});
