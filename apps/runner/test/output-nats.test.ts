// Integration tests of the nats output against the local NATS server with
// JetStream (127.0.0.1:4222) and, for the outage case, a private
// nats-server that the test stops and starts again.
import { randomBytes } from "node:crypto";
import { createReading, Pipeline } from "@qubit/core";
import { connect, type JetStreamManager, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type NatsOutputConfig,
  NatsOutputConfigSchema,
} from "../src/outputs/config.js";
import { NatsOutput } from "../src/outputs/nats.js";
import {
  CaptureLogger,
  configOf,
  makeReadings,
  PrivateNats,
  waitFor,
} from "./output-helpers.js";

const LOCAL = "nats://127.0.0.1:4222";
const suffix = randomBytes(4).toString("hex").toUpperCase();
const streams: string[] = [];
let nc: NatsConnection;
let jsm: JetStreamManager;

function natsConfig(label: string, overrides: Record<string, unknown> = {}) {
  const stream = `QUBIT_TEST_${label}_${suffix}`;
  streams.push(stream);
  return configOf<NatsOutputConfig>(NatsOutputConfigSchema, {
    type: "nats",
    servers: LOCAL,
    stream,
    subject: `qubit_test_${label}_${suffix}.{asset_id}.{metric}`,
    timeout_ms: 3_000,
    ...overrides,
  });
}

beforeAll(async () => {
  nc = await connect({ servers: LOCAL });
  jsm = await nc.jetstreamManager();
});

afterAll(async () => {
  for (const stream of streams)
    await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

describe("nats output", () => {
  it("stores a batch published twice once", async () => {
    const config = natsConfig("TWICE");
    const output = new NatsOutput(config);
    const readings = makeReadings(200);
    await output.open();
    await output.write(readings);
    expect(output.lastDuplicates).toBe(0);
    await output.write(readings);
    expect(output.lastDuplicates).toBe(200);
    const info = await jsm.streams.info(config.stream);
    expect(info.state.messages).toBe(200);
    expect(info.config.subjects).toEqual([`qubit_test_TWICE_${suffix}.*.*`]);
    await output.close();
  });

  it("sanitises subject tokens from reading fields", async () => {
    const config = natsConfig("TOKENS");
    const output = new NatsOutput(config);
    const reading = createReading({
      asset_id: "site.7 meter*>",
      metric: "",
      value: 1,
      unit: "W",
      timestamp: Date.UTC(2024, 0, 1),
      source: { protocol: "mqtt", address: "a/b" },
    });
    await output.write([reading]);
    const message = await jsm.streams.getMessage(config.stream, { seq: 1 });
    expect(message.subject).toBe(
      `qubit_test_TOKENS_${suffix}.site_7_meter__._`,
    );
    expect(message.header.get("Nats-Msg-Id")).toBe(reading.id);
    expect(JSON.parse(new TextDecoder().decode(message.data))).toEqual(reading);
    await output.close();
  });

  it("rejects a missing stream when create_stream is off", async () => {
    const output = new NatsOutput(
      natsConfig("MISSING", { create_stream: false }),
    );
    const error = await output.write(makeReadings(1)).catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_STREAM_MISSING");
    expect(error.fix).toContain("create_stream");
    await output.close();
  });

  it("keeps the password out of the log", async () => {
    const logger = new CaptureLogger();
    const output = new NatsOutput(
      natsConfig("SECRET", {
        servers: "nats://qubit:n4ts-secret@127.0.0.1:1",
        timeout_ms: 500,
      }),
      { logger },
    );
    await output.open();
    expect(logger.lines.some((line) => line.level === "error")).toBe(true);
    expect(logger.text()).not.toContain("n4ts-secret");
    await output.close();
  });
});

describe("nats output and an outage", () => {
  const server = new PrivateNats();

  beforeAll(async () => {
    await server.start();
  });

  afterAll(async () => {
    await server.dispose();
  });

  it("loses nothing while the server is down", async () => {
    const config = natsConfig("OUTAGE", {
      servers: server.url,
      timeout_ms: 1_000,
    });
    const output = new NatsOutput(config);
    const pipeline = new Pipeline({
      outputs: [output],
      batchSize: 100,
      batchIntervalMs: 5,
      retryInitialDelayMs: 50,
      retryMaxDelayMs: 500,
    });
    await pipeline.open();
    const readings = makeReadings(900);
    await pipeline.writeReadings(readings.slice(0, 300));

    await server.stop();
    const during = pipeline.writeReadings(readings.slice(300, 600));
    await waitFor(
      () => pipeline.stats().pending_readings > 0,
      10_000,
      "readings to wait for NATS",
    );
    await server.start();
    await during;
    await pipeline.writeReadings(readings.slice(600));
    await pipeline.close();

    const check = await connect({ servers: server.url });
    const info = await (await check.jetstreamManager()).streams.info(
      config.stream,
    );
    expect(info.state.messages).toBe(900);
    await check.close();
  });
});
