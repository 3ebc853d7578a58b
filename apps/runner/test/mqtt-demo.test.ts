import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noopLogger } from "@qubit/core";
import { mqttPlugin } from "@qubit/mqtt";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, Service } from "../src/index.js";
import { mqttModule } from "../src/protocols/mqtt/index.js";
import { waitFor } from "./output-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-mqtt-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("qubit demo, MQTT part", () => {
  it("stores meter readings and dead-letters the malformed payload", async () => {
    const run = await mqttModule.demo!.start({
      dir,
      logger: noopLogger,
      durationMs: 8_000,
    });
    const { config } = loadConfig(
      {
        data_dir: dir,
        outputs: [{ type: "sqlite" }],
        server: { enabled: false },
        mqtt: run.config,
      },
      [mqttPlugin],
      { env: {} },
    );
    const service = new Service(config, { plugins: [mqttPlugin] });
    try {
      await service.start();
      await waitFor(
        () => {
          const stats = service.pipeline.stats().by_connector.mqtt;
          return (
            (stats?.readings ?? 0) >= 40 && (stats?.dead_letters ?? 0) >= 1
          );
        },
        20_000,
        "readings and a dead letter",
      );
    } finally {
      await service.stop();
      await run.stop();
    }
    const db = new Database(join(dir, "qubit.db"), { readonly: true });
    try {
      const series = db
        .prepare(
          "SELECT asset_id, metric, unit FROM readings WHERE protocol = 'mqtt' GROUP BY asset_id, metric ORDER BY asset_id, metric",
        )
        .all() as { asset_id: string; metric: string; unit: string }[];
      const names = series.map(
        (row) => `${row.asset_id} ${row.metric} ${row.unit}`,
      );
      expect(names).toContain("meter_01 active_power W");
      expect(names).toContain("meter_02 energy Wh");
      expect(names).toContain("shellypro3em-demo01 em:0.a_act_power W");
      const power = db
        .prepare(
          "SELECT value FROM readings WHERE asset_id = 'meter_02' AND metric = 'active_power' LIMIT 1",
        )
        .get() as { value: number };
      // 3 kW plus or minus 1.5 kW, stored in W.
      expect(power.value).toBeGreaterThan(1_000);
      expect(power.value).toBeLessThan(5_000);
      const letters = db
        .prepare(
          "SELECT code, location FROM dead_letters WHERE protocol = 'mqtt'",
        )
        .all() as { code: string; location: string }[];
      expect(letters.length).toBeGreaterThanOrEqual(1);
      expect(letters[0]!.code).toBe("QUBIT_MQTT_PAYLOAD_NOT_JSON");
      expect(JSON.parse(letters[0]!.location)).toMatchObject({
        address: "org_demo/site_demo/meter_01/em_1/telemetry",
      });
    } finally {
      db.close();
    }
  }, 60_000);
});
