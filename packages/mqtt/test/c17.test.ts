import type { QubitError } from "@qubit/core";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkMqttConfigs,
  type MqttConfig,
  MqttConnector,
} from "../src/index.js";
import { type AedesInstance, startAedes, waitFor } from "./helpers/brokers.js";
import { attachPipeline } from "./helpers/pipeline.js";

// Two clients with one client id take each other's session over
// forever. Tested against aedes in this process, which takes a session
// over like any compliant broker.
let broker: AedesInstance;
let url: string;

beforeAll(async () => {
  broker = await startAedes();
  url = `mqtt://127.0.0.1:${broker.port}`;
});

afterAll(async () => {
  await broker?.close();
});

const rule = (site: string) => ({
  filter: `${site}/+/power`,
  asset_id: "{1}",
  fields: { p: { metric: "power", unit: "W" } },
  ignore_fields: ["ts"],
});

describe("one client id on two connectors", () => {
  it("is refused when the config is checked", () => {
    const config = (site: string) =>
      ({
        broker: "mqtt://broker.test:1883",
        client_id: "ingest-mqtt",
        clean_session: true,
        topics: [`${site}/#`],
      }) as MqttConfig;
    const issues = checkMqttConfigs([
      { name: "connectorA", path: "/mqtt/0", config: config("site-1") },
      { name: "connectorB", path: "/mqtt/1", config: config("site-2") },
    ]);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain(
      'client_id "ingest-mqtt" is used by connectorA and connectorB',
    );
    expect(issues[0]!.path).toBe("/mqtt/1/client_id");
  });

  it("gives each connector its own id from one shared config object", async () => {
    const shared = {
      broker: url,
      topics: ["site-1/#", "site-2/#"],
      clean_session: true,
    };
    const connectorA = new MqttConnector({
      ...shared,
      name: "connectorA",
      topics: ["site-1/#"],
      rules: [rule("site-1")],
    });
    const connectorB = new MqttConnector({
      ...shared,
      name: "connectorB",
      topics: ["site-2/#"],
      rules: [rule("site-2")],
    });
    const a = attachPipeline(connectorA);
    const b = attachPipeline(connectorB);
    const closes = { a: 0, b: 0 };
    await connectorA.connect();
    await connectorB.connect();
    connectorA.client!.on("close", () => (closes.a += 1));
    connectorB.client!.on("close", () => (closes.b += 1));
    expect(connectorA.client!.options.clientId).not.toBe(
      connectorB.client!.options.clientId,
    );

    // Traffic: 30 rounds, both sites. The case uses one round per second;
    // 150 ms keeps the test short and still spans several of the 1 s
    // reconnect cycles that a flapping pair would show.
    const publisher = await mqtt.connectAsync(url);
    for (let round = 0; round < 30; round += 1) {
      const ts = new Date(
        Date.parse("2025-01-15T10:00:00Z") + round * 1000,
      ).toISOString();
      await publisher.publishAsync(
        "site-1/m1/power",
        `{"ts":"${ts}","p":100}`,
        { qos: 1 },
      );
      await publisher.publishAsync(
        "site-2/m2/power",
        `{"ts":"${ts}","p":200}`,
        { qos: 1 },
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await waitFor(
      () => a.output.readings.length === 30 && b.output.readings.length === 30,
      10_000,
      "30 readings per connector",
    );
    expect(
      a.output.readings.every(
        (r) => r.asset_id === "m1" && r.value === 100 && r.unit === "W",
      ),
    ).toBe(true);
    expect(
      b.output.readings.every(
        (r) => r.asset_id === "m2" && r.value === 200 && r.unit === "W",
      ),
    ).toBe(true);
    expect(closes).toEqual({ a: 0, b: 0 });
    expect(
      (connectorA.health().details as { reconnects: number }).reconnects,
    ).toBe(0);
    await publisher.endAsync();
    await connectorA.disconnect();
    await connectorB.disconnect();
  });

  it("detects a foreign client stealing the id and backs off", async () => {
    const connector = new MqttConnector({
      broker: url,
      topics: ["site-1/#"],
      client_id: "ingest-mqtt",
      reconnect_initial_delay_ms: 200,
      reconnect_max_delay_ms: 5_000,
      reconnect_jitter: 0,
    });
    attachPipeline(connector);
    const faults: QubitError[] = [];
    connector.on("fault", (fault) => faults.push(fault));
    await connector.connect();
    // The foreign client reconnects every 300 ms with the same id, as
    // MQTT.js does with its fixed reconnect period.
    const intruder = mqtt.connect(url, {
      clientId: "ingest-mqtt",
      reconnectPeriod: 300,
    });
    try {
      await waitFor(
        () =>
          faults.some(
            (fault) => fault.code === "QUBIT_MQTT_CLIENT_ID_CONFLICT",
          ),
        15_000,
        "the client id conflict",
      );
      const reconnectsAtDetection = (
        connector.health().details as { reconnects: number }
      ).reconnects;
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const conflicts = faults.filter(
        (fault) => fault.code === "QUBIT_MQTT_CLIENT_ID_CONFLICT",
      );
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]!.message).toContain('client id "ingest-mqtt"');
      expect(conflicts[0]!.fix).toMatch(/own client_id/);
      // Backing off: 200 ms doubling gives at most 3 more tries in 4 s,
      // where a 1 s fixed period would give 4 and the intruder's 300 ms 13.
      const reconnects = (connector.health().details as { reconnects: number })
        .reconnects;
      expect(reconnects - reconnectsAtDetection).toBeLessThanOrEqual(3);
    } finally {
      intruder.end(true);
      await connector.disconnect();
    }
  });
});
