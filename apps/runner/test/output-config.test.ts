// Tests of the outputs' config schema, of createOutputs and of the output
// error table. No server is contacted: outputs are created, not opened.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, type Output, QubitError } from "@qubit/core";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load.js";
import { BufferedOutput } from "../src/outputs/buffered-output.js";
import { createOutputs } from "../src/outputs/create.js";
import {
  BufferError,
  OutputDeliveryError,
  OutputErrorCodes,
  StreamMissingError,
  TableInvalidError,
  WebhookStatusError,
} from "../src/outputs/errors.js";
import { MqttOutput } from "../src/outputs/mqtt.js";
import { NatsOutput } from "../src/outputs/nats.js";
import { PostgresOutput } from "../src/outputs/postgres.js";
import {
  compileTemplate,
  natsSubjectFilter,
  sanitizeNatsToken,
} from "../src/outputs/template.js";
import { WebhookOutput } from "../src/outputs/webhook.js";
import { Service } from "../src/service.js";
import { freePort, makeReadings, tempDir } from "./output-helpers.js";

const created: Output[] = [];
const folders: string[] = [];

function load(outputs: unknown[], env: Record<string, string> = {}) {
  const dataDir = tempDir("config");
  folders.push(dataDir);
  return loadConfig({ data_dir: dataDir, outputs }, [], { env }).config;
}

afterEach(async () => {
  for (const output of created.splice(0)) await output.close();
  for (const folder of folders.splice(0))
    rmSync(folder, { recursive: true, force: true });
});

describe("output config", () => {
  it("fills the defaults of every output type", () => {
    const config = load([
      { type: "postgres" },
      { type: "nats" },
      { type: "mqtt", broker: "mqtt://127.0.0.1:1883" },
      { type: "webhook", url: "https://example.invalid/ingest" },
    ]);
    expect(config.outputs[0]).toEqual({
      type: "postgres",
      schema: "public",
      table: "readings",
      create_table: true,
      hypertable: true,
      application_name: "qubit-connectors",
      timeout_ms: 30_000,
    });
    expect(config.outputs[1]).toMatchObject({
      servers: "nats://127.0.0.1:4222",
      subject: "qubit.readings.{asset_id}.{metric}",
      stream: "QUBIT_READINGS",
      create_stream: true,
      duplicate_window_ms: 120_000,
    });
    expect(config.outputs[2]).toMatchObject({
      topic: "qubit/readings/{asset_id}/{metric}",
      qos: 1,
      retain: false,
    });
    expect(config.outputs[3]).toMatchObject({
      headers: {},
      timeout_ms: 10_000,
      max_attempts: 3,
    });
  });

  it("fills the buffer defaults", () => {
    const config = load([
      { type: "webhook", url: "http://127.0.0.1:1/", buffer: {} },
    ]);
    expect(config.outputs[0]).toMatchObject({
      buffer: {
        max_bytes: 1_073_741_824,
        fsync: true,
        retry_initial_delay_ms: 1_000,
        retry_max_delay_ms: 30_000,
      },
    });
  });

  it("rejects an unknown template field", () => {
    const error = (() => {
      try {
        load([{ type: "nats", subject: "qubit.{asset}.{metric}" }]);
      } catch (caught) {
        return caught;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues[0]?.path).toBe("/outputs/0/subject");
  });

  it("rejects a buffer on stdout", () => {
    expect(() => load([{ type: "stdout", buffer: {} }])).toThrow(ConfigError);
  });

  it("substitutes ${VAR} in webhook headers", () => {
    const config = load(
      [
        {
          type: "webhook",
          url: "http://127.0.0.1:1/",
          headers: { authorization: "Bearer ${WEBHOOK_TOKEN}" },
        },
      ],
      { WEBHOOK_TOKEN: "abc" },
    );
    expect(config.outputs[0]).toMatchObject({
      headers: { authorization: "Bearer abc" },
    });
  });
});

describe("createOutputs", () => {
  it("creates each output type with its name", () => {
    const config = load([
      { type: "postgres", name: "warehouse" },
      { type: "nats" },
      { type: "mqtt", broker: "mqtt://127.0.0.1:1" },
      { type: "webhook", url: "http://127.0.0.1:1/" },
    ]);
    const outputs = createOutputs(config);
    created.push(
      ...outputs.filter((output) => !(output instanceof MqttOutput)),
    );
    expect(outputs[0]).toBeInstanceOf(PostgresOutput);
    expect(outputs[1]).toBeInstanceOf(NatsOutput);
    expect(outputs[2]).toBeInstanceOf(MqttOutput);
    expect(outputs[3]).toBeInstanceOf(WebhookOutput);
    expect(outputs.map((output) => output.name)).toEqual([
      "warehouse",
      "nats-1",
      "mqtt-2",
      "webhook-3",
    ]);
  });

  it("wraps an output with a buffer section", () => {
    const config = load([
      { type: "webhook", url: "http://127.0.0.1:1/", buffer: {} },
    ]);
    const [output] = createOutputs(config);
    created.push(output!);
    expect(output).toBeInstanceOf(BufferedOutput);
    expect(output!.name).toBe("webhook-0");
    expect(output!.name).toBe((output as BufferedOutput).inner.name);
    expect((output as BufferedOutput).directory).toBe(
      resolve(join(config.data_dir, "buffer", "webhook-0")),
    );
  });

  it("rejects two outputs with one name", () => {
    const config = load([
      { type: "file", path: "a.ndjson", name: "same" },
      { type: "webhook", url: "http://127.0.0.1:1/", name: "same" },
    ]);
    expect(() => createOutputs(config)).toThrow(/already used/);
  });

  it("rejects two outputs with one buffer folder", () => {
    const config = load([
      { type: "nats", buffer: { path: "/tmp/qubit-one-buffer" } },
      {
        type: "webhook",
        url: "http://127.0.0.1:1/",
        buffer: { path: "/tmp/qubit-one-buffer" },
      },
    ]);
    let error: ConfigError | undefined;
    try {
      createOutputs(config);
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error?.issues[0]?.path).toBe("/outputs/1/buffer/path");
  });

  it("names the output whose TLS file is missing", () => {
    const config = load([
      {
        type: "mqtt",
        broker: "mqtts://127.0.0.1:1",
        tls: { ca_certs: "/nonexistent/ca.pem" },
      },
    ]);
    let error: ConfigError | undefined;
    try {
      createOutputs(config);
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues[0]?.path).toBe("/outputs/0");
    expect(error?.message).toContain("/nonexistent/ca.pem");
  });
});

describe("templates", () => {
  it("renders reading fields", () => {
    const [reading] = makeReadings(1);
    const render = compileTemplate(
      "x.{protocol}.{connector}.{site_id}.{unit}",
      sanitizeNatsToken,
    );
    expect(render(reading!)).toBe("x.modbus.test._.W");
  });

  it("rejects an unknown field", () => {
    expect(() => compileTemplate("a.{nope}", sanitizeNatsToken)).toThrow(
      /unknown field \{nope\}/,
    );
  });

  it("derives the stream subject filter", () => {
    expect(natsSubjectFilter("qubit.readings.{asset_id}.{metric}")).toBe(
      "qubit.readings.*.*",
    );
    expect(natsSubjectFilter("a.x{site_id}y.b")).toBe("a.*.b");
  });
});

describe("output error codes", () => {
  it("ties every code to an error class", () => {
    const errors: QubitError[] = [
      new OutputDeliveryError("QUBIT_RUNNER_OUTPUT_UNAVAILABLE", "m"),
      new OutputDeliveryError("QUBIT_RUNNER_OUTPUT_TIMEOUT", "m"),
      new OutputDeliveryError("QUBIT_RUNNER_OUTPUT_REJECTED", "m"),
      new WebhookStatusError(500, ""),
      new TableInvalidError("m"),
      new StreamMissingError("m"),
      new BufferError("QUBIT_RUNNER_OUTPUT_BUFFER_FULL", "m"),
      new BufferError("QUBIT_RUNNER_OUTPUT_BUFFER_BATCH_TOO_LARGE", "m"),
      new BufferError("QUBIT_RUNNER_OUTPUT_BUFFER_LOCKED", "m"),
      new BufferError("QUBIT_RUNNER_OUTPUT_BUFFER_CORRUPT", "m"),
    ];
    expect(errors.map((error) => error.code).sort()).toEqual(
      Object.keys(OutputErrorCodes).sort(),
    );
    for (const error of errors) expect(error).toBeInstanceOf(QubitError);
  });
});

describe("service with a buffered output", () => {
  it("buffers readings while the webhook is down", async () => {
    const port = await freePort();
    const dataDir = tempDir("service");
    folders.push(dataDir);
    const { config } = loadConfig(
      {
        data_dir: dataDir,
        server: { enabled: false },
        outputs: [
          {
            type: "webhook",
            name: "hook",
            url: `http://127.0.0.1:${port}/`,
            max_attempts: 1,
            buffer: { fsync: false },
          },
        ],
      },
      [],
      { env: {} },
    );
    const first = new Service(config, { plugins: [] });
    await first.start();
    await first.pipeline.writeReadings(makeReadings(20));
    await first.stop();
    expect(first.pipeline.stats().readings_written).toBe(20);

    // The next start finds the batch in the buffer and keeps it while the
    // webhook is still down.
    const second = new Service(config, { plugins: [] });
    await second.start();
    await second.stop();
    const folder = join(dataDir, "buffer", "hook");
    const segments = readdirSync(folder).filter((name) =>
      name.endsWith(".seg"),
    );
    expect(segments).toHaveLength(1);
    expect(statSync(join(folder, segments[0]!)).size).toBeGreaterThan(0);
  });
});
