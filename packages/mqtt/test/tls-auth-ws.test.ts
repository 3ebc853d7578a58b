import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Logger, substituteEnv } from "@qubit/core";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MqttConnector,
  type MqttConnectorInput,
  MqttError,
} from "../src/index.js";
import {
  type AedesInstance,
  type Certificates,
  type MosquittoInstance,
  makeCertificates,
  startAedes,
  startMosquitto,
  temporaryDir,
  waitFor,
} from "./helpers/brokers.js";
import { attachPipeline } from "./helpers/pipeline.js";

const work = temporaryDir("qubit-mqtt-tls-");
let certs: Certificates;
let broker: MosquittoInstance;
const connectors: MqttConnector[] = [];
let tlsPort: number;
let mtlsPort: number;
let authPort: number;
let plainPort: number;
const passwordFile = join(work.dir, "passwd");

function connector(config: MqttConnectorInput, logger?: Logger): MqttConnector {
  const created = new MqttConnector(
    { connect_timeout_ms: 5_000, ...config },
    logger ? { logger } : {},
  );
  connectors.push(created);
  return created;
}

/** Returns a logger that keeps warn and error lines for assertions. */
function recordingLogger(lines: { level: string; message: string }[]): Logger {
  const make = (): Logger => ({
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (_context, message) =>
      lines.push({ level: "warn", message: message ?? "" }),
    error: (_context, message) =>
      lines.push({ level: "error", message: message ?? "" }),
    fatal: () => {},
    child: () => make(),
  });
  return make();
}

async function roundTrip(
  target: MqttConnector,
  port: number,
  options: mqtt.IClientOptions = {},
) {
  const { output } = attachPipeline(target);
  await target.connect();
  const publisher: MqttClient = await mqtt.connectAsync(
    `mqtt://127.0.0.1:${port}`,
    options,
  );
  await publisher.publishAsync(
    "secure/s/a/d/p",
    '{"value":1,"ts":1736935200000}',
    { qos: 1 },
  );
  await waitFor(
    () => output.readings.length === 1,
    10_000,
    "reading over the connection",
  );
  await publisher.endAsync();
  return output.readings[0]!;
}

beforeAll(async () => {
  certs = makeCertificates(work.dir);
  execFileSync("mosquitto_passwd", [
    "-b",
    "-c",
    passwordFile,
    "meter",
    "s3cret",
  ]);
  const tls = [
    `cafile ${certs.ca}`,
    `certfile ${certs.serverCert}`,
    `keyfile ${certs.serverKey}`,
  ];
  broker = await startMosquitto({
    dir: join(work.dir, "broker"),
    listeners: [
      ["allow_anonymous true"],
      [...tls, "allow_anonymous true"],
      [...tls, "require_certificate true", "allow_anonymous true"],
      ["allow_anonymous false", `password_file ${passwordFile}`],
    ],
  });
  [plainPort, tlsPort, mtlsPort, authPort] = broker.ports as [
    number,
    number,
    number,
    number,
  ];
}, 60_000);

afterAll(async () => {
  for (const created of connectors) await created.disconnect().catch(() => {});
  await broker?.dispose();
  work.remove();
});

describe("TLS", () => {
  it("connects with the right CA", async () => {
    const target = connector({
      broker: `mqtts://localhost:${tlsPort}`,
      topics: ["secure/#"],
      tls: { ca_certs: certs.ca },
    });
    const reading = await roundTrip(target, plainPort);
    expect(reading.value).toBe(1);
  });

  it("rejects a broker certificate from an unknown CA", async () => {
    const target = connector({
      broker: `mqtts://localhost:${tlsPort}`,
      topics: ["secure/#"],
      tls: { ca_certs: certs.otherCa },
    });
    const started = Date.now();
    const error = await target.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MqttError);
    expect((error as MqttError).code).toBe("QUBIT_MQTT_TLS_FAILED");
    expect((error as MqttError).message).toMatch(
      /TLS handshake with mqtts:\/\/localhost:\d+ failed/,
    );
    expect((error as MqttError).fix).toMatch(/ca_certs/);
    // A bad certificate fails at once instead of retrying until the timeout.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(target.status).toBe("failed");
  });

  it("rejects a wrong host name", async () => {
    const target = connector({
      broker: `mqtts://127.0.0.1:${tlsPort}`,
      topics: ["secure/#"],
      tls: { ca_certs: certs.ca, servername: "broker.example.com" },
    });
    const error = (await target
      .connect()
      .catch((caught: unknown) => caught)) as MqttError;
    expect(error.code).toBe("QUBIT_MQTT_TLS_FAILED");
    expect(error.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/i);
    expect(error.fix).toMatch(/host name/);
  });

  it("connects with insecure and warns", async () => {
    const lines: { level: string; message: string }[] = [];
    const target = connector(
      {
        broker: `mqtts://localhost:${tlsPort}`,
        topics: ["secure/#"],
        tls: { ca_certs: certs.otherCa, insecure: true },
      },
      recordingLogger(lines),
    );
    const reading = await roundTrip(target, plainPort);
    expect(reading.value).toBe(1);
    expect(
      lines.some(
        (line) => line.level === "warn" && /tls\.insecure/.test(line.message),
      ),
    ).toBe(true);
  });

  it("presents a client certificate", async () => {
    const withCert = connector({
      broker: `mqtts://localhost:${mtlsPort}`,
      topics: ["secure/#"],
      tls: {
        ca_certs: certs.ca,
        certfile: certs.clientCert,
        keyfile: certs.clientKey,
      },
    });
    await withCert.connect();
    expect(withCert.health().details).toMatchObject({ connected: true });
    const without = connector({
      broker: `mqtts://localhost:${mtlsPort}`,
      topics: ["secure/#"],
      tls: { ca_certs: certs.ca },
      connect_timeout_ms: 1_500,
    });
    await expect(without.connect()).rejects.toBeInstanceOf(MqttError);
  });

  it("names a missing certificate file", async () => {
    const target = connector({
      broker: `mqtts://localhost:${tlsPort}`,
      topics: ["secure/#"],
      tls: { ca_certs: join(work.dir, "missing.pem") },
    });
    const error = (await target
      .connect()
      .catch((caught: unknown) => caught)) as MqttError;
    expect(error.code).toBe("QUBIT_MQTT_TLS_FILE");
    expect(error.message).toContain("missing.pem");
  });
});

describe("authentication", () => {
  it("logs in with ${VAR} credentials", async () => {
    const section = substituteEnv(
      {
        broker: `mqtt://127.0.0.1:${authPort}`,
        topics: ["secure/#"],
        auth: { username: "${MQTT_USERNAME}", password: "${MQTT_PASSWORD}" },
      },
      { MQTT_USERNAME: "meter", MQTT_PASSWORD: "s3cret" },
    );
    expect(section.issues).toEqual([]);
    const target = connector(section.value as MqttConnectorInput);
    const reading = await roundTrip(target, authPort, {
      username: "meter",
      password: "s3cret",
    });
    expect(reading.value).toBe(1);
  });

  it("fails at once with a wrong password", async () => {
    const target = connector({
      broker: `mqtt://127.0.0.1:${authPort}`,
      topics: ["secure/#"],
      username: "meter",
      password: "wrong",
    });
    const started = Date.now();
    const error = (await target
      .connect()
      .catch((caught: unknown) => caught)) as MqttError;
    expect(error.code).toBe("QUBIT_MQTT_AUTH_FAILED");
    expect(error.message).toMatch(/refused client/);
    expect(error.message).not.toContain("wrong");
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("does not retry a refused login in a hot loop", async () => {
    const lines: { level: string; message: string }[] = [];
    const target = connector(
      {
        broker: `mqtt://127.0.0.1:${authPort}`,
        topics: ["secure/#"],
        username: "meter",
        password: "s3cret",
        reconnect_initial_delay_ms: 50,
        reconnect_max_delay_ms: 2_000,
      },
      recordingLogger(lines),
    );
    await target.connect();
    // The password changes and the broker restarts: reconnects are refused.
    execFileSync("mosquitto_passwd", ["-b", passwordFile, "meter", "changed"]);
    await broker.stop();
    await broker.start();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const details = target.health().details as { reconnects: number };
    expect(target.status).toBe("degraded");
    expect(target.health().last_error?.code).toBe("QUBIT_MQTT_AUTH_FAILED");
    // 50 ms doubling would try about 6 times in 3 s; a refused login waits
    // the 2 s maximum between tries.
    expect(details.reconnects).toBeLessThanOrEqual(3);
    expect(
      lines.some(
        (line) => line.level === "error" && /refused client/.test(line.message),
      ),
    ).toBe(true);
    execFileSync("mosquitto_passwd", ["-b", passwordFile, "meter", "s3cret"]);
    await target.disconnect();
  });
});

describe("WebSocket transport", () => {
  let aedes: AedesInstance;
  let secure: AedesInstance;

  beforeAll(async () => {
    aedes = await startAedes({ websocket: { path: "/custom/mqtt" } });
    secure = await startAedes({
      websocket: {
        path: "/mqtt",
        tls: { cert: certs.serverCert, key: certs.serverKey },
      },
    });
  });

  afterAll(async () => {
    await aedes?.close();
    await secure?.close();
  });

  async function publishOver(url: string, options: mqtt.IClientOptions = {}) {
    const client = await mqtt.connectAsync(url, options);
    await client.publishAsync("ws/s/a/d/p", '{"value":3,"ts":1736935200000}', {
      qos: 1,
    });
    await client.endAsync();
  }

  it("reads over ws:// with a custom path", async () => {
    const url = `ws://127.0.0.1:${aedes.port}/custom/mqtt`;
    const target = connector({ broker: url, topics: ["ws/#"] });
    const { output } = attachPipeline(target);
    await target.connect();
    await publishOver(url);
    await waitFor(
      () => output.readings.length === 1,
      10_000,
      "reading over ws",
    );
    expect(output.readings[0]!.value).toBe(3);
  });

  it("reads over wss:// with the CA", async () => {
    const url = `wss://localhost:${secure.port}/mqtt`;
    const target = connector({
      broker: url,
      topics: ["ws/#"],
      tls: { ca_certs: certs.ca },
    });
    const { output } = attachPipeline(target);
    await target.connect();
    await publishOver(url, { ca: [readFileSync(certs.ca)] });
    await waitFor(
      () => output.readings.length === 1,
      10_000,
      "reading over wss",
    );
    expect(output.readings[0]!.value).toBe(3);
  });

  it("fails on a wrong path", async () => {
    const target = connector({
      broker: `ws://127.0.0.1:${aedes.port}/wrong`,
      topics: ["ws/#"],
      connect_timeout_ms: 1_500,
    });
    await expect(target.connect()).rejects.toBeInstanceOf(MqttError);
  });
});
