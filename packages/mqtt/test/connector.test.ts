import { execFileSync } from "node:child_process";
import {
  MemoryDeadLetterOutput,
  type Output,
  Pipeline,
  type TimeSeries,
} from "@qubit/core";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MqttConnector, type MqttMessage } from "../src/index.js";
import {
  type MosquittoInstance,
  startMosquitto,
  waitFor,
} from "./helpers/brokers.js";
import { attachPipeline, metric } from "./helpers/pipeline.js";

let broker: MosquittoInstance;
let url: string;
let publisher: MqttClient;
const connectors: MqttConnector[] = [];

function track(connector: MqttConnector): MqttConnector {
  connectors.push(connector);
  return connector;
}

beforeAll(async () => {
  // Mosquitto drops QoS 1 messages above 1,000 queued per client by
  // default; the slow-output test queues more.
  broker = await startMosquitto({ global: ["max_queued_messages 100000"] });
  url = `mqtt://127.0.0.1:${broker.port}`;
  publisher = await mqtt.connectAsync(url, { protocolVersion: 5 });
});

afterAll(async () => {
  for (const connector of connectors)
    await connector.disconnect().catch(() => {});
  await publisher?.endAsync();
  await broker?.dispose();
});

describe("connector API", () => {
  it("connects, subscribes with a handler and reads value and unit", async () => {
    const connector = track(
      new MqttConnector({
        broker: url,
        topics: ["org_001/sit_solar_01/+/+/telemetry"],
        username: "user",
        password: "pass",
      }),
    );
    const seen: { value: unknown; unit: unknown; series: TimeSeries[] }[] = [];
    await connector.connect();
    await connector.subscribe(
      "org_001/sit_solar_01/+/+/telemetry",
      (message: MqttMessage) => {
        seen.push({
          value: message.value,
          unit: message.unit,
          series: message.toTimeSeries(),
        });
        return undefined;
      },
    );
    // Interop: the stock mosquitto_pub client publishes.
    execFileSync("mosquitto_pub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(broker.port),
      "-q",
      "1",
      "-t",
      "org_001/sit_solar_01/inv_01/dev_01/telemetry",
      "-m",
      '{"value": 5.2, "unit": "kW", "timestamp": "2025-01-15T10:00:00Z"}',
    ]);
    await waitFor(() => seen.length === 1, 10_000, "handler call");
    expect(seen[0]!.value).toBe(5.2);
    expect(seen[0]!.unit).toBe("kW");
    expect(seen[0]!.series[0]).toMatchObject({
      asset_id: "inv_01",
      metric: "telemetry",
      site_id: "sit_solar_01",
      timestamp: "2025-01-15T10:00:00.000Z",
    });
    expect(connector.health().status).toBe("running");
    expect(connector.health().details).toMatchObject({ connected: true });
    await connector.disconnect();
    expect(connector.status).toBe("stopped");
  });

  it("yields batches from process()", async () => {
    const connector = track(
      new MqttConnector({ broker: url, topics: ["proc/#"], qos: 1 }),
    );
    const iterator = connector.process({ batchSize: 10, batchIntervalMs: 20 });
    const first = iterator.next();
    await waitFor(() => connector.status === "running", 10_000, "running");
    for (let index = 0; index < 10; index += 1) {
      await publisher.publishAsync(`proc/s/a${index}/d/power`, String(index), {
        qos: 1,
      });
    }
    const readings: TimeSeries[] = [];
    readings.push(...((await first).value as TimeSeries[]));
    while (readings.length < 10) {
      const next = await iterator.next();
      readings.push(...(next.value as TimeSeries[]));
    }
    await iterator.return?.();
    expect(readings.map((r) => r.value).sort()).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(connector.status).toBe("stopped");
  });
});

describe("MQTT 5 client interop", () => {
  it("takes user properties and content type from a raw MQTT 5 client", async () => {
    const connector = track(
      new MqttConnector({
        broker: url,
        topics: ["v5/#"],
        protocol_version: "5.0",
        rules: [
          {
            filter: "v5/+/p",
            asset_id: "{1}",
            timestamp: "{property.ts}",
            unit: "W",
          },
        ],
      }),
    );
    const { output } = attachPipeline(connector);
    await connector.connect();
    await publisher.publishAsync("v5/m1/p", "812", {
      qos: 1,
      properties: {
        userProperties: { ts: "2025-01-15T09:59:00Z" },
        contentType: "text/plain",
      },
    });
    await waitFor(() => output.readings.length === 1, 10_000, "reading");
    expect(output.readings[0]).toMatchObject({
      asset_id: "m1",
      metric: "p",
      value: 812,
      unit: "W",
      timestamp: "2025-01-15T09:59:00.000Z",
    });
    await connector.disconnect();
  });
});

describe("stream with bad input", () => {
  it("dead-letters each bad message and keeps the valid ones", async () => {
    const connector = track(
      new MqttConnector({
        broker: url,
        topics: ["mix/#"],
        max_payload_bytes: 100,
      }),
    );
    const { output, deadLetters } = attachPipeline(connector);
    await connector.connect();
    const bad: [string, string | Buffer][] = [
      ["mix/s/a/d/p", '{"value": 1,'],
      ["mix/s/a/d/p", '{"unit":"kW"}'],
      ["mix/s/a/d/p", "NaN"],
      ["mix/s/a/d/p", '{"value":[1,2]}'],
      ["mix/s/a/d/p", Buffer.from([0xff, 0xfe, 0x31])],
      ["mix/s/a/d/p", `{"value":${"9".repeat(120)}}`],
      ["mix/bad", "1"],
    ];
    await publisher.publishAsync(
      "mix/s/a/d/p",
      '{"value":1,"ts":1736935200000}',
      { qos: 1 },
    );
    for (const [topic, payload] of bad)
      await publisher.publishAsync(topic, payload, { qos: 1 });
    await publisher.publishAsync(
      "mix/s/a/d/p",
      '{"value":2,"ts":1736935260000}',
      { qos: 1 },
    );
    await waitFor(
      () =>
        output.readings.length === 2 &&
        deadLetters.letters.length === bad.length,
      10_000,
      "readings and dead letters",
    );
    expect(output.readings.map((r) => r.value)).toEqual([1, 2]);
    expect(deadLetters.letters.map((l) => l.code)).toEqual([
      "QUBIT_MQTT_PAYLOAD_NOT_JSON",
      "QUBIT_MQTT_VALUE_MISSING",
      "QUBIT_MQTT_VALUE_NOT_FINITE",
      "QUBIT_MQTT_VALUE_TYPE",
      "QUBIT_MQTT_PAYLOAD_NOT_UTF8",
      "QUBIT_MQTT_PAYLOAD_TOO_LARGE",
      "QUBIT_MQTT_TOPIC_MISMATCH",
    ]);
    const binary = deadLetters.letters[4]!;
    expect(binary.raw_encoding).toBe("base64");
    expect(binary.location).toMatchObject({
      protocol: "mqtt",
      address: "mix/s/a/d/p",
    });
    await connector.disconnect();
  });
});

describe("nan fields through a broker", () => {
  it("ingests the finite fields with the receive times of the test clock", async () => {
    let clock = Date.parse("2025-02-10T08:00:00Z");
    const connector = track(
      new MqttConnector(
        {
          broker: url,
          topics: ["disp-3/stats"],
          rules: [
            {
              filter: "+/stats",
              asset_id: "{1}",
              fields: {
                battery: { unit: "%" },
                humidity: { unit: "%" },
                temperature: { unit: "°C" },
              },
              ignore_fields: ["uptime"],
            },
          ],
        },
        { now: () => clock },
      ),
    );
    const { output, deadLetters } = attachPipeline(connector);
    await connector.connect();
    const payloads = [
      '{"uptime":74001,"battery":61,"temperature":nan,"humidity":48.2}',
      '{"uptime":74061,"battery":61,"temperature":-nan,"humidity":NaN}',
      '{"uptime":74121,"battery":60,"temperature":21.7,"humidity":47.9}',
    ];
    for (const [index, payload] of payloads.entries()) {
      clock = Date.parse("2025-02-10T08:00:00Z") + index * 60_000;
      await publisher.publishAsync("disp-3/stats", payload, { qos: 1 });
      await waitFor(
        () => output.readings.length === [2, 3, 6][index],
        10_000,
        `message ${index + 1}`,
      );
    }
    expect(
      output.readings.map(
        (r) => `${r.metric}=${r.value} ${r.unit} ${r.timestamp}`,
      ),
    ).toEqual([
      "battery=61 percent 2025-02-10T08:00:00.000Z",
      "humidity=48.2 percent 2025-02-10T08:00:00.000Z",
      "battery=61 percent 2025-02-10T08:01:00.000Z",
      "battery=60 percent 2025-02-10T08:02:00.000Z",
      "temperature=21.7 celsius 2025-02-10T08:02:00.000Z",
      "humidity=47.9 percent 2025-02-10T08:02:00.000Z",
    ]);
    expect(deadLetters.letters.map((l) => l.location.field)).toEqual([
      "temperature",
      "temperature",
      "humidity",
    ]);
    expect(deadLetters.letters[0]!.location).toMatchObject({
      address: "disp-3/stats",
      offset: 43,
    });
    await connector.disconnect();
  });
});

describe("retained messages and discovery", () => {
  it("takes or skips retained messages by rule", async () => {
    await publisher.publishAsync("ret/s/kept/d/p", "1", {
      qos: 1,
      retain: true,
    });
    await publisher.publishAsync("ret/s/dropped/d/p", "2", {
      qos: 1,
      retain: true,
    });
    const connector = track(
      new MqttConnector({
        broker: url,
        topics: ["ret/#"],
        rules: [
          { filter: "ret/+/dropped/#", retained: "skip", asset_id: "dropped" },
        ],
      }),
    );
    const { output } = attachPipeline(connector);
    await connector.connect();
    await waitFor(
      () => output.readings.length === 1,
      10_000,
      "retained reading",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(output.readings).toHaveLength(1);
    expect(output.readings[0]).toMatchObject({
      asset_id: "kept",
      value: 1,
      metadata: { retained: true },
    });
    await publisher.publishAsync("ret/s/kept/d/p", "", {
      qos: 1,
      retain: true,
    });
    await publisher.publishAsync("ret/s/dropped/d/p", "", {
      qos: 1,
      retain: true,
    });
    await connector.disconnect();
  });

  it("announces and lists new topics and series", async () => {
    const connector = track(
      new MqttConnector({ broker: url, topics: ["disc/#"] }),
    );
    const { output } = attachPipeline(connector);
    const events: { kind: string; id: string }[] = [];
    connector.on("discovered", (info) => events.push(info));
    await connector.connect();
    const payload = (value: number) =>
      `{"value":${value},"unit":"W","ts":${1736935200000 + value}}`;
    await publisher.publishAsync("disc/s/a1/d/power", payload(1), { qos: 1 });
    await publisher.publishAsync("disc/s/a1/d/power", payload(2), { qos: 1 });
    await publisher.publishAsync("disc/s/a2/d/power", payload(3), { qos: 1 });
    await waitFor(() => output.readings.length === 3, 10_000, "readings");
    expect(events).toEqual([
      {
        kind: "topic",
        id: "disc/s/a1/d/power",
        details: { route: "topic_template" },
      },
      expect.objectContaining({ kind: "series", id: "a1/power" }),
      {
        kind: "topic",
        id: "disc/s/a2/d/power",
        details: { route: "topic_template" },
      },
      expect.objectContaining({ kind: "series", id: "a2/power" }),
    ]);
    expect(connector.topics().map((t) => [t.topic, t.messages])).toEqual([
      ["disc/s/a1/d/power", 2],
      ["disc/s/a2/d/power", 1],
    ]);
    expect(connector.series().map((s) => `${s.asset_id}/${s.metric}`)).toEqual([
      "a1/power",
      "a2/power",
    ]);
    await connector.disconnect();
  });
});

describe("acknowledgement after the output", () => {
  it("gets an unwritten QoS 1 message again after a crash", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const blocked: Output = {
      name: "blocked",
      write: () => gate,
      close: async () => {},
    };
    const clientId = `ack-test-${process.pid}`;
    const first = track(
      new MqttConnector({
        broker: url,
        topics: ["ack/#"],
        client_id: clientId,
        clean_session: false,
        qos: 1,
      }),
    );
    const pipeline = new Pipeline({
      outputs: [blocked],
      deadLetters: [new MemoryDeadLetterOutput()],
      batchIntervalMs: 10,
    });
    first.attach(pipeline);
    await first.connect();
    await publisher.publishAsync(
      "ack/s/a/d/p",
      '{"value":7,"ts":1736935200000}',
      { qos: 1 },
    );
    await waitFor(
      () => pipeline.pendingReadings === 1,
      10_000,
      "pending reading",
    );
    // Simulate a crash: the socket closes without the PUBACK.
    first.client!.end(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();

    const second = track(
      new MqttConnector({
        broker: url,
        topics: ["ack/#"],
        client_id: clientId,
        clean_session: false,
        qos: 1,
      }),
    );
    const { output } = attachPipeline(second);
    await second.connect();
    await waitFor(() => output.readings.length === 1, 10_000, "redelivery");
    expect(output.readings[0]).toMatchObject({
      value: 7,
      timestamp: "2025-01-15T10:00:00.000Z",
    });
    await second.disconnect();
    await first.disconnect().catch(() => {});
  });

  it("delivers QoS 2 once", async () => {
    const connector = track(
      new MqttConnector({ broker: url, topics: ["q2/#"], qos: 2 }),
    );
    const { output } = attachPipeline(connector);
    await connector.connect();
    for (let index = 0; index < 50; index += 1)
      await publisher.publishAsync(
        `q2/s/a/d/p`,
        `{"value":${index},"ts":${1736935200000 + index}}`,
        { qos: 2 },
      );
    await waitFor(
      () => output.readings.length === 50,
      10_000,
      "QoS 2 readings",
    );
    expect(new Set(output.readings.map((r) => r.value)).size).toBe(50);
    await connector.disconnect();
  });

  it("slows down for a slow output and keeps memory bounded", async () => {
    const written: number[] = [];
    let maxPending = 0;
    const connector = track(
      new MqttConnector({
        broker: url,
        topics: ["slow/#"],
        qos: 1,
        max_inflight: 100,
      }),
    );
    const slow: Output = {
      name: "slow",
      write: async (readings) => {
        maxPending = Math.max(maxPending, pipeline.pendingReadings);
        await new Promise((resolve) => setTimeout(resolve, 5));
        for (const reading of readings) written.push(reading.value as number);
      },
      close: async () => {},
    };
    const pipeline = new Pipeline({
      outputs: [slow],
      deadLetters: [new MemoryDeadLetterOutput()],
      batchSize: 50,
      batchIntervalMs: 10,
      maxPendingReadings: 200,
    });
    connector.attach(pipeline);
    await connector.connect();
    const total = 3000;
    const sends: Promise<unknown>[] = [];
    for (let index = 0; index < total; index += 1)
      sends.push(
        publisher.publishAsync(
          `slow/s/a${index % 10}/d/p`,
          `{"value":${index},"ts":${1736935200000 + index}}`,
          { qos: 1 },
        ),
      );
    await Promise.all(sends);
    await waitFor(() => written.length === total, 60_000, "all readings");
    expect(new Set(written).size).toBe(total);
    // Pending readings stay near the limit: the limit plus what the
    // messages already in flight carry.
    expect(maxPending).toBeLessThanOrEqual(200 + 100 + 50);
    await connector.disconnect();
  });
});

describe("per-series order", () => {
  it("keeps the order of each series through batching", async () => {
    const connector = track(
      new MqttConnector({ broker: url, topics: ["order/#"], qos: 1 }),
    );
    const { output } = attachPipeline(connector, { batchIntervalMs: 5 });
    await connector.connect();
    const sends: Promise<unknown>[] = [];
    for (let index = 0; index < 600; index += 1)
      sends.push(
        publisher.publishAsync(
          `order/s/a${index % 3}/d/p`,
          `{"value":${index},"ts":${1736935200000 + index}}`,
          { qos: 1 },
        ),
      );
    await Promise.all(sends);
    await waitFor(() => output.readings.length === 600, 20_000, "readings");
    for (const asset of ["a0", "a1", "a2"]) {
      const values = output.readings
        .filter((r) => r.asset_id === asset)
        .map((r) => r.value as number);
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    expect(metric(output.readings, "p")).toBeDefined();
    await connector.disconnect();
  });
});
