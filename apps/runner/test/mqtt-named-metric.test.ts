import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mqttPlugin } from "@qubit/mqtt";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, Service } from "../src/index.js";
import { waitFor } from "./output-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-mqtt-named-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("single-value JSON on a telemetry topic", () => {
  it("stores one reading per named metric", async () => {
    // A site id of its own keeps other tests on the shared broker apart.
    const site = `site_${randomUUID().slice(0, 8)}`;
    const topic = `org_001/${site}/inv_01/dev_01/telemetry`;
    const { config } = loadConfig(
      {
        data_dir: dir,
        outputs: [{ type: "sqlite" }],
        server: { enabled: false },
        mqtt: {
          broker: "mqtt://127.0.0.1:1883",
          client_id: `qubit-named-${site}`,
          topics: [`org_001/${site}/+/+/telemetry`],
          qos: 1,
        },
      },
      [mqttPlugin],
      { env: { QUBIT_LOG_LEVEL: "silent" } },
    );
    const service = new Service(config, { plugins: [mqttPlugin] });
    const publisher = await mqtt.connectAsync("mqtt://127.0.0.1:1883");
    const timestamp = new Date(Date.now() - 60_000).toISOString();
    try {
      await service.start();
      await waitFor(
        () => service.health().connectors[0]?.status === "running",
        10_000,
        "the connector to subscribe",
      );
      const sent = [
        { metric: "power", value: 5.2, unit: "kW" },
        { metric: "voltage", value: 231, unit: "V" },
        { metric: "current", value: 22.5, unit: "A" },
      ];
      for (const payload of sent) {
        await publisher.publishAsync(
          topic,
          JSON.stringify({ ...payload, timestamp }),
          { qos: 1 },
        );
      }
      await waitFor(
        () => (service.pipeline.stats().by_connector.mqtt?.readings ?? 0) >= 3,
        10_000,
        "three readings",
      );
    } finally {
      await publisher.endAsync();
      await service.stop();
    }
    const db = new Database(join(dir, "qubit.db"), { readonly: true });
    try {
      const rows = db
        .prepare(
          "SELECT asset_id, metric, value, unit FROM readings WHERE site_id = ? ORDER BY metric",
        )
        .all(site) as {
        asset_id: string;
        metric: string;
        value: number;
        unit: string;
      }[];
      expect(rows).toEqual([
        { asset_id: "inv_01", metric: "current", value: 22.5, unit: "A" },
        { asset_id: "inv_01", metric: "power", value: 5200, unit: "W" },
        { asset_id: "inv_01", metric: "voltage", value: 231, unit: "V" },
      ]);
      const letters = db
        .prepare("SELECT code FROM dead_letters WHERE protocol = 'mqtt'")
        .all();
      expect(letters).toEqual([]);
    } finally {
      db.close();
    }
  }, 30_000);
});
