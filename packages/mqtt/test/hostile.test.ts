import {
  MemoryDeadLetterOutput,
  MemoryOutput,
  MetricsRegistry,
  type Output,
  Pipeline,
} from "@qubit/core";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MqttConnector } from "../src/index.js";
import {
  freePort,
  type MosquittoInstance,
  startMosquitto,
  waitFor,
} from "./helpers/brokers.js";
import { logText, recordingLogger } from "./helpers/log.js";

let broker: MosquittoInstance;
let url: string;
let publisher: MqttClient;
const connectors: MqttConnector[] = [];

function track(connector: MqttConnector): MqttConnector {
  connectors.push(connector);
  return connector;
}

function pipelineFor(connector: MqttConnector, outputs: Output[]) {
  const deadLetters = new MemoryDeadLetterOutput();
  const pipeline = new Pipeline({
    outputs,
    deadLetters: [deadLetters],
    batchIntervalMs: 10,
  });
  connector.attach(pipeline);
  return { pipeline, deadLetters };
}

beforeAll(async () => {
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

describe("deeply nested payloads", () => {
  it("dead-letters them and keeps reading", async () => {
    const connector = track(
      new MqttConnector({ broker: url, topics: ["deep/#"], qos: 1 }),
    );
    const output = new MemoryOutput();
    const { deadLetters } = pipelineFor(connector, [output]);
    await connector.connect();
    const depth = 20_000;
    const payloads = [
      "[".repeat(depth) + "]".repeat(depth),
      `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
      `{"value":${"[".repeat(depth)}${"]".repeat(depth)}}`,
    ];
    for (const payload of payloads)
      await publisher.publishAsync("deep/s/a/d/power", payload, { qos: 1 });
    await publisher.publishAsync("deep/s/a/d/power", "42", { qos: 1 });
    await waitFor(() => output.readings.length === 1, 10_000, "reading");
    await waitFor(
      () => deadLetters.letters.length === 3,
      10_000,
      "dead letters",
    );
    expect(output.readings[0]!.value).toBe(42);
    for (const letter of deadLetters.letters) {
      expect(letter.code).toBe("QUBIT_MQTT_PAYLOAD_TOO_DEEP");
      expect(letter.reason).toContain("maximum of 64 levels");
      expect(letter.reason).toContain("deep/s/a/d/power");
      expect(letter.fix).toMatch(/at most 64 levels/);
    }
    // Every message was acknowledged: nothing waits for the output.
    expect(connector.health().details).toMatchObject({ unacknowledged: 0 });
  });
});

describe("disconnect with a hung output", () => {
  it("returns within the shutdown time and logs what is left", async () => {
    const clientId = `hung-output-${process.pid}`;
    const log = recordingLogger();
    const connector = track(
      new MqttConnector(
        {
          broker: url,
          topics: ["hung/#"],
          client_id: clientId,
          clean_session: false,
          qos: 1,
          shutdown_timeout_ms: 300,
        },
        { logger: log },
      ),
    );
    // An output whose write never settles, as a database that stopped
    // responding: a test double, because a real one cannot be made to hang
    // reliably.
    const hung: Output = {
      name: "hung",
      write: () => new Promise<void>(() => {}),
      close: async () => {},
    };
    const { pipeline } = pipelineFor(connector, [hung]);
    await connector.connect();
    for (let index = 0; index < 3; index += 1) {
      await publisher.publishAsync(
        "hung/s/a/d/power",
        `{"value":${index},"ts":${1736935200000 + index}}`,
        { qos: 1 },
      );
    }
    await waitFor(() => pipeline.pendingReadings === 3, 10_000, "pending");

    const started = Date.now();
    await connector.disconnect();
    const took = Date.now() - started;
    expect(took).toBeLessThan(2_500);
    expect(connector.status).toBe("stopped");
    const warning = log.entries.find(
      (entry) => entry.context.unacknowledged !== undefined,
    );
    expect(warning?.level).toBe("warn");
    expect(warning?.context.unacknowledged).toBe(3);
    expect(warning?.message).toMatch(/stay with the broker/);
    await pipeline.close(100);

    // The broker kept them: the next connection of the session gets them.
    const next = track(
      new MqttConnector({
        broker: url,
        topics: ["hung/#"],
        client_id: clientId,
        clean_session: false,
        qos: 1,
      }),
    );
    const output = new MemoryOutput();
    pipelineFor(next, [output]);
    await next.connect();
    await waitFor(() => output.readings.length === 3, 10_000, "redelivery");
    expect(output.readings.map((reading) => reading.value).sort()).toEqual([
      0, 1, 2,
    ]);
    await next.disconnect();
  });
});

describe("receive time", () => {
  it("keeps every value of a burst to one topic", async () => {
    const connector = track(
      new MqttConnector({ broker: url, topics: ["burst/#"], qos: 1 }),
    );
    const output = new MemoryOutput();
    const { deadLetters } = pipelineFor(connector, [output]);
    await connector.connect();
    const count = 300;
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        publisher.publishAsync("burst/s/a/d/power", String(index), {
          qos: 1,
        }),
      ),
    );
    await waitFor(() => output.readings.length === count, 10_000, "readings");
    expect(deadLetters.letters).toEqual([]);
    const values = output.readings.map((reading) => reading.value);
    expect(values).toEqual(Array.from({ length: count }, (_, index) => index));
    const times = output.readings.map((reading) =>
      Date.parse(reading.timestamp),
    );
    for (let index = 1; index < times.length; index += 1)
      expect(times[index]!).toBeGreaterThan(times[index - 1]!);
    expect(new Set(output.readings.map((reading) => reading.id)).size).toBe(
      count,
    );
  });
});

describe("broker credentials", () => {
  const secret = "s3cr3t-Pa55";

  it("never reach logs, health, errors or metrics", async () => {
    const log = recordingLogger();
    const registry = new MetricsRegistry();
    // Mosquitto with allow_anonymous accepts any user name and password.
    const connector = track(
      new MqttConnector(
        {
          broker: `mqtt://meter:${secret}@127.0.0.1:${broker.port}`,
          topics: ["cred/#"],
        },
        { logger: log, registry },
      ),
    );
    await connector.connect();
    await publisher.publishAsync("cred/s/a/d/power", "1", { qos: 1 });
    await waitFor(() => connector.health().messages_received === 1);
    const health = JSON.stringify(connector.health());
    expect(health).toContain(`mqtt://***@127.0.0.1:${broker.port}`);
    await connector.disconnect();

    // A broker that is down: the connect error and its logs.
    const port = await freePort();
    const down = track(
      new MqttConnector(
        {
          broker: `mqtt://meter:${secret}@127.0.0.1:${port}`,
          topics: ["cred/#"],
          connect_timeout_ms: 300,
          reconnect_initial_delay_ms: 50,
        },
        { logger: log, registry },
      ),
    );
    const error = await down.connect().then(
      () => undefined,
      (failure: unknown) => failure as Error,
    );
    expect(error).toBeInstanceOf(Error);
    const errorText = JSON.stringify({ ...error, message: error!.message });
    expect(errorText).toContain("***@127.0.0.1");

    const everything = [
      logText(log.entries),
      health,
      JSON.stringify(down.health()),
      errorText,
      registry.toPrometheus(),
    ].join("\n");
    expect(log.entries.length).toBeGreaterThan(0);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain("meter:");
  });

  it("registers only metrics named qubit_", async () => {
    const registry = new MetricsRegistry();
    const connector = track(
      new MqttConnector(
        { broker: url, topics: ["names/#"], qos: 1 },
        { registry },
      ),
    );
    pipelineFor(connector, [new MemoryOutput()]);
    await connector.connect();
    await publisher.publishAsync("names/s/a/d/power", "nope{", { qos: 1 });
    await publisher.publishAsync("names/s/a/d/power", "1", { qos: 1 });
    await waitFor(() => connector.health().messages_received === 2);
    await connector.disconnect();
    const names = new Set(registry.snapshot().map((sample) => sample.name));
    expect(names.size).toBeGreaterThan(3);
    for (const name of names) expect(name).toMatch(/^qubit_/);
  });
});
