import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { ConfigError } from "@qubit/core";
import { afterAll, describe, expect, it } from "vitest";
import { allPlugins, main } from "../src/cli.js";
import { configFromEnv, loadConfig } from "../src/index.js";

const work = mkdtempSync(join(tmpdir(), "qubit-mqtt-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The basic configuration example of the product documentation. */
const BASIC = {
  mqtt: {
    broker: "mqtt://broker.example.com:1883",
    client_id: "qubit_connector_01",
    topics: [
      "org_001/sit_solar_01/+/+/telemetry",
      "org_001/sit_storage_01/+/+/telemetry",
    ],
    qos: 1,
    keepalive: 60,
  },
};

/** Returns the TLS configuration example, with certificate files made here. */
function tlsConfig() {
  for (const name of ["ca.pem", "client.crt", "client.key"])
    writeFileSync(join(work, name), "-----BEGIN CERTIFICATE-----\n");
  return {
    mqtt: {
      broker: "mqtts://secure-broker.example.com:8883",
      client_id: "qubit_connector_secure",
      topics: ["+/+/meter/+/readings"],
      qos: 2,
      tls: {
        ca_certs: join(work, "ca.pem"),
        certfile: join(work, "client.crt"),
        keyfile: join(work, "client.key"),
        insecure: false,
      },
      auth: { username: "${MQTT_USERNAME}", password: "${MQTT_PASSWORD}" },
    },
  };
}

function writeConfig(name: string, content: unknown): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

async function run(argv: string[], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => {
    out += String(chunk);
  });
  stderr.on("data", (chunk) => {
    err += String(chunk);
  });
  const code = await main(argv, {
    stdout,
    stderr,
    env: { QUBIT_LOG_LEVEL: "silent", ...env },
  });
  return {
    code,
    out,
    err,
    lines: out
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line)),
  };
}

describe("documented configs", () => {
  const plugins = allPlugins();

  it("validates the basic example", () => {
    const { config } = loadConfig(BASIC, plugins, { env: {} });
    expect(config.mqtt).toMatchObject({
      qos: 1,
      keepalive: 60,
      clean_session: true,
    });
  });

  it("validates the TLS example", () => {
    const { config } = loadConfig(tlsConfig(), plugins, {
      env: { MQTT_USERNAME: "meter", MQTT_PASSWORD: "secret" },
    });
    expect(config.mqtt).toMatchObject({
      qos: 2,
      auth: { username: "meter", password: "secret" },
    });
  });

  it("names a missing credential variable", () => {
    expect(() => loadConfig(tlsConfig(), plugins, { env: {} })).toThrow(
      /MQTT_USERNAME is not set/,
    );
  });

  it("builds a connector from MQTT_BROKER and MQTT_TOPICS", () => {
    const input = configFromEnv({
      MQTT_BROKER: "mqtt://127.0.0.1:1883",
      MQTT_TOPICS: "+/+/meter/+/readings",
    });
    const { config } = loadConfig(input, plugins, { env: {} });
    expect(config.mqtt).toMatchObject({
      broker: "mqtt://127.0.0.1:1883",
      topics: ["+/+/meter/+/readings"],
    });
  });

  it("rejects a shared client id", () => {
    const connector = (topic: string) => ({
      broker: "mqtt://broker.test:1883",
      client_id: "ingest-mqtt",
      topics: [topic],
    });
    const input = {
      mqtt: [
        { name: "connectorA", ...connector("site-1/#") },
        { name: "connectorB", ...connector("site-2/#") },
      ],
    };
    let error: unknown;
    try {
      loadConfig(input, plugins, { env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(
      'client_id "ingest-mqtt" is used by connectorA and connectorB',
    );
    expect((error as ConfigError).issues[0]!.path).toBe("/mqtt/1/client_id");
  });

  it("validates with qubit validate-config", async () => {
    const result = await run([
      "validate-config",
      writeConfig("basic.json", BASIC),
    ]);
    expect(result.code).toBe(0);
    const bad = await run([
      "validate-config",
      writeConfig("bad.json", {
        mqtt: { broker: "http://x", topics: ["a/#/b"], qos: 3 },
      }),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/\/mqtt\/broker/);
    expect(bad.err).toMatch(/\/mqtt\/qos/);
  });
});

describe("qubit convert mqtt", () => {
  const basic = writeConfig("convert-basic.json", BASIC);

  it("prints the readings of a multi-value payload", async () => {
    const result = await run([
      "convert",
      "mqtt",
      "--config",
      basic,
      "--topic",
      "org_001/sit_solar_01/inv_01/dev_01/telemetry",
      "--payload",
      '{"timestamp":"2025-01-15T10:00:00Z","power":{"value":5.2,"unit":"kW"},"energy":{"value":12.5,"unit":"kWh"}}',
    ]);
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(2);
    expect(result.lines[0]).toMatchObject({
      org_id: "org_001",
      site_id: "sit_solar_01",
      asset_id: "inv_01",
      device_id: "dev_01",
      metric: "power",
      value: 5200,
      unit: "W",
      timestamp: "2025-01-15T10:00:00.000Z",
    });
    expect(result.lines[1]).toMatchObject({
      metric: "energy",
      value: 12500,
      unit: "Wh",
    });
  });

  it("reads a payload file and MQTT 5 properties", async () => {
    const config = writeConfig("convert-file.json", {
      mqtt: {
        broker: "mqtt://127.0.0.1:1883",
        topics: ["#"],
        rules: [
          {
            filter: "pack/+",
            format: "json",
            asset_id: "{1}",
            timestamp: "{property.ts}",
            fields: { p: { unit: "kW" } },
          },
        ],
      },
    });
    const file = join(work, "payload.json");
    writeFileSync(file, '{"p": 1.5}');
    const result = await run([
      "convert",
      "mqtt",
      "-c",
      config,
      "-t",
      "pack/m7",
      "--payload-file",
      file,
      "--user-property",
      "ts=2025-01-15T10:00:00Z",
    ]);
    expect(result.code).toBe(0);
    expect(result.lines[0]).toMatchObject({
      asset_id: "m7",
      metric: "p",
      value: 1500,
      unit: "W",
      timestamp: "2025-01-15T10:00:00.000Z",
    });
  });

  it("prints the valid fields, then the bad one, and exits 1", async () => {
    const result = await run([
      "convert",
      "mqtt",
      "--topic",
      "o/s/disp-3/d/stats",
      "--received-at",
      "2025-02-10T08:00:00Z",
      "--payload",
      '{"battery":61,"temperature":nan}',
    ]);
    expect(result.code).toBe(1);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatchObject({
      metric: "battery",
      value: 61,
      timestamp: "2025-02-10T08:00:00.000Z",
    });
    expect(result.err).toMatch(/error: Field temperature on topic \S+ is nan/);
    expect(result.err).toMatch(/QUBIT_MQTT_VALUE_NOT_FINITE/);
    expect(result.err).toMatch(/topic=o\/s\/disp-3\/d\/stats/);
    expect(result.err).toMatch(/offset=28/);
  });

  it("reports a topic outside the template", async () => {
    const result = await run([
      "convert",
      "mqtt",
      "--topic",
      "a/b",
      "--payload",
      "1",
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/QUBIT_MQTT_TOPIC_MISMATCH/);
  });

  it("says when a preset skips a topic", async () => {
    const config = writeConfig("convert-shelly.json", {
      mqtt: {
        broker: "mqtt://127.0.0.1:1883",
        topics: ["#"],
        presets: ["shelly"],
      },
    });
    const result = await run([
      "convert",
      "mqtt",
      "-c",
      config,
      "-t",
      "shellies/x/announce",
      "-p",
      "{}",
    ]);
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/skipped on purpose/);
  });

  it("exits 2 on bad usage and bad config", async () => {
    expect((await run(["convert", "mqtt", "--payload", "1"])).code).toBe(2);
    expect((await run(["convert", "mqtt", "--topic", "a/b/c/d/e"])).code).toBe(
      2,
    );
    expect(
      (await run(["convert", "mqtt", "--topic", "a/+/c", "--payload", "1"]))
        .code,
    ).toBe(2);
    expect(
      (
        await run([
          "convert",
          "mqtt",
          "--topic",
          "t",
          "--payload",
          "1",
          "--received-at",
          "soon",
        ])
      ).code,
    ).toBe(2);
    const bad = writeConfig("convert-bad.json", {
      mqtt: { broker: "mqtt://x", topics: [], qos: 5 },
    });
    const result = await run([
      "convert",
      "mqtt",
      "-c",
      bad,
      "-t",
      "a/b/c/d/e",
      "-p",
      "1",
    ]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/\/mqtt\/qos/);
  });
});
