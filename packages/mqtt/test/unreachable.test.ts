import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MqttConnector } from "../src/index.js";
import {
  type MosquittoInstance,
  startMosquitto,
  temporaryDir,
  waitFor,
} from "./helpers/brokers.js";
import { type LogEntry, recordingLogger } from "./helpers/log.js";

const work = temporaryDir("qubit-mqtt-unreachable-");
const brokers: MosquittoInstance[] = [];
const connectors: MqttConnector[] = [];

afterAll(async () => {
  for (const connector of connectors) await connector.disconnect();
  for (const broker of brokers) await broker.dispose();
  work.remove();
});

/** Starts Mosquitto on a free port and stops it, so the port is closed. */
async function closedPort(name: string): Promise<MosquittoInstance> {
  const broker = await startMosquitto({ dir: join(work.dir, name) });
  brokers.push(broker);
  await broker.stop();
  return broker;
}

function warnings(entries: readonly LogEntry[]): LogEntry[] {
  return entries.filter((entry) => entry.level === "warn");
}

function connectorFor(
  port: number,
  entries: LogEntry[],
  now: () => number = Date.now,
): MqttConnector {
  const connector = new MqttConnector(
    {
      broker: `mqtt://meter:s3cret-pw@127.0.0.1:${port}`,
      topics: ["unreachable/#"],
      connect_timeout_ms: 20_000,
      reconnect_initial_delay_ms: 100,
      reconnect_max_delay_ms: 200,
    },
    { logger: recordingLogger(entries), now },
  );
  connectors.push(connector);
  return connector;
}

describe("unreachable broker", () => {
  it("degrades at start, then recovers", async () => {
    const broker = await closedPort("start");
    const entries: LogEntry[] = [];
    const connector = connectorFor(broker.port, entries);
    const connected = connector.connect();
    await waitFor(
      () => connector.health().status === "degraded",
      2_000,
      "status degraded",
    );
    const health = connector.health();
    expect(health.last_error?.code).toBe("QUBIT_MQTT_CONNECT_FAILED");
    expect(health.last_error?.message).toContain("ECONNREFUSED");
    expect(health.last_error?.message).toContain(
      `mqtt://***@127.0.0.1:${broker.port}`,
    );
    expect(health.last_error?.message).not.toContain("s3cret-pw");

    // Several attempts fail within a second, and they log one warning
    // because the count is logged only every 5 minutes.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const warned = warnings(entries);
    expect(warned).toHaveLength(1);
    const warning = warned[0]!;
    expect(warning.message).toContain(`mqtt://***@127.0.0.1:${broker.port}`);
    expect(warning.message).toContain("ECONNREFUSED");
    expect(warning.message).toMatch(/retrying in \d+ ms/);
    expect(warning.context.cause).toBe("ECONNREFUSED");
    expect(warning.context.retry_in_ms).toBeTypeOf("number");
    expect(warning.context.broker).toBe(`mqtt://***@127.0.0.1:${broker.port}`);
    expect(JSON.stringify(entries)).not.toContain("s3cret-pw");

    await broker.start();
    await connected;
    expect(connector.health().status).toBe("running");
    const recovered = entries.find((entry) =>
      entry.message?.startsWith("Connected to the broker after"),
    );
    expect(recovered?.level).toBe("info");
    expect(recovered?.context.failed_attempts).toBeGreaterThan(1);
  }, 30_000);

  it("counts failed attempts once per interval", async () => {
    const broker = await startMosquitto({ dir: join(work.dir, "lost") });
    brokers.push(broker);
    const entries: LogEntry[] = [];
    // A clock that the test moves forward to pass the log interval.
    let skew = 0;
    const connector = connectorFor(
      broker.port,
      entries,
      () => Date.now() + skew,
    );
    await connector.connect();
    await broker.stop();
    await waitFor(
      () =>
        entries.some((entry) => entry.message?.startsWith("Cannot connect to")),
      5_000,
      "the first unreachable warning",
    );
    expect(connector.health().status).toBe("degraded");
    expect(connector.health().last_error?.code).toBe(
      "QUBIT_MQTT_CONNECT_FAILED",
    );
    skew = 6 * 60_000;
    await waitFor(
      () =>
        entries.some((entry) =>
          entry.message?.startsWith("Broker still unreachable"),
        ),
      5_000,
      "the count of failed attempts",
    );
    const count = entries.find((entry) =>
      entry.message?.startsWith("Broker still unreachable"),
    )!;
    expect(count.level).toBe("warn");
    expect(count.context.failed_attempts).toBeGreaterThan(0);
    expect(count.context.unreachable_ms).toBeGreaterThanOrEqual(6 * 60_000);
    const before = warnings(entries).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(warnings(entries)).toHaveLength(before);

    await broker.start();
    await waitFor(
      () => connector.health().status === "running",
      5_000,
      "status running",
    );
    const recovered = entries.find((entry) =>
      entry.message?.startsWith("Connected to the broker after"),
    );
    expect(recovered?.level).toBe("info");
  }, 30_000);
});
