// Integration tests of the mqtt republish output against the system
// Mosquitto (127.0.0.1:1883) and, for the outage case, a private broker
// that the test stops and starts again.
import { randomBytes } from "node:crypto";
import { createReading, Pipeline, type TimeSeries } from "@qubit/core";
import { connectAsync, type IPublishPacket, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type MqttOutputConfig,
  MqttOutputConfigSchema,
} from "../src/outputs/config.js";
import { MqttOutput } from "../src/outputs/mqtt.js";
import {
  CaptureLogger,
  configOf,
  freePort,
  makeReadings,
  PrivateMosquitto,
  waitFor,
} from "./output-helpers.js";

const LOCAL = "mqtt://127.0.0.1:1883";
const suffix = randomBytes(4).toString("hex");
const clients: MqttClient[] = [];

function mqttConfig(overrides: Record<string, unknown> = {}) {
  return configOf<MqttOutputConfig>(MqttOutputConfigSchema, {
    type: "mqtt",
    broker: LOCAL,
    topic: `qubit_test_${suffix}/{site_id}/{asset_id}/{metric}`,
    timeout_ms: 3_000,
    ...overrides,
  });
}

/** Subscribes to `filter` and collects the publish packets it receives. */
async function subscriber(
  url: string,
  filter: string,
  options: { clientId?: string; clean?: boolean } = {},
): Promise<{ client: MqttClient; packets: IPublishPacket[] }> {
  const client = await connectAsync(url, {
    reconnectPeriod: 200,
    ...options,
  });
  clients.push(client);
  const packets: IPublishPacket[] = [];
  client.on("message", (_topic, _payload, packet) => packets.push(packet));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, packets };
}

afterEach(async () => {
  for (const client of clients.splice(0)) await client.endAsync(true);
});

describe("mqtt output", () => {
  it("publishes each reading with QoS 1, retain off", async () => {
    const { packets } = await subscriber(LOCAL, `qubit_test_${suffix}/#`);
    const output = new MqttOutput(mqttConfig());
    await output.open();
    const readings = makeReadings(50).map((reading) => ({
      ...reading,
      site_id: "sit_1",
    }));
    await output.write(readings);
    await waitFor(() => packets.length >= 50, 10_000, "50 messages");
    await output.close();

    const first = packets[0]!;
    expect(first.topic).toBe(`qubit_test_${suffix}/sit_1/inv-1/active_power`);
    expect(first.qos).toBe(1);
    expect(first.retain).toBe(false);
    const received = packets.map(
      (packet) => JSON.parse(packet.payload.toString()) as TimeSeries,
    );
    expect(received).toEqual(readings);
  });

  it("sanitises topic levels from reading fields", async () => {
    const { packets } = await subscriber(LOCAL, `qubit_test_${suffix}/#`);
    const output = new MqttOutput(mqttConfig());
    const reading = createReading({
      asset_id: "a/b+c#",
      metric: "$power",
      value: 1,
      unit: "W",
      timestamp: Date.UTC(2024, 0, 1),
      source: { protocol: "modbus", address: "x" },
    });
    await output.write([reading]);
    await waitFor(() => packets.length >= 1, 10_000, "one message");
    await output.close();
    expect(packets[0]!.topic).toBe(`qubit_test_${suffix}/_/a_b_c_/_power`);
  });

  it("fails a write while the broker is unreachable", async () => {
    const port = await freePort();
    const logger = new CaptureLogger();
    const output = new MqttOutput(
      mqttConfig({
        broker: `mqtt://127.0.0.1:${port}`,
        auth: { username: "meter", password: "mq-secret" },
        timeout_ms: 300,
      }),
      { logger },
    );
    await output.open();
    const error = await output.write(makeReadings(1)).catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_UNAVAILABLE");
    expect(logger.lines.some((line) => line.level === "error")).toBe(true);
    expect(logger.text()).not.toContain("mq-secret");
    await output.close();
  });
});

describe("mqtt output and an outage", () => {
  const broker = new PrivateMosquitto();

  beforeAll(async () => {
    await broker.start();
  });

  afterAll(async () => {
    await broker.dispose();
  });

  it("loses nothing while the broker is down", async () => {
    const { packets } = await subscriber(broker.url, "out/#", {
      clientId: `qubit-test-sub-${suffix}`,
      clean: false,
    });
    const output = new MqttOutput(
      mqttConfig({
        broker: broker.url,
        topic: "out/{asset_id}/{metric}",
        timeout_ms: 1_000,
      }),
    );
    const pipeline = new Pipeline({
      outputs: [output],
      batchSize: 50,
      batchIntervalMs: 5,
      retryInitialDelayMs: 50,
      retryMaxDelayMs: 500,
    });
    await pipeline.open();
    const readings = makeReadings(300);
    await pipeline.writeReadings(readings.slice(0, 100));

    await broker.stop();
    const during = pipeline.writeReadings(readings.slice(100, 200));
    await waitFor(
      () => pipeline.stats().pending_readings > 0,
      10_000,
      "readings to wait for the broker",
    );
    await broker.start();
    await during;
    await pipeline.writeReadings(readings.slice(200));
    await pipeline.close();

    const ids = () =>
      new Set(
        packets.map(
          (packet) => (JSON.parse(packet.payload.toString()) as TimeSeries).id,
        ),
      );
    await waitFor(() => ids().size >= 300, 15_000, "300 distinct readings");
    expect([...ids()].sort()).toEqual(
      readings.map((reading) => reading.id).sort(),
    );
  });
});
