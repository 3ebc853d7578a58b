import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { MetricsRegistry } from "@qubit/core";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceHealth, ModbusConfig } from "../src/index.js";
import { harness, recordingLogger, waitFor } from "./helpers/harness.js";
import { hasPymodbus, PymodbusPeer } from "./helpers/peer.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function config(port: number): ModbusConfig {
  return {
    host: "127.0.0.1",
    port,
    timeout: 0.5,
    retries: 0,
    polling_interval: 3600,
    reconnect_max_delay_ms: 200,
    devices: [
      {
        name: "inv",
        registers: {
          power: { address: "holding:100", unit: "W" },
          ghost: { address: "holding:103", unit: "W" },
        },
      },
    ],
  };
}

const suppressedTotal = (registry: MetricsRegistry) =>
  registry.total("qubit_modbus_faults_suppressed_total", {
    connector: "modbus-test",
  });

describe.skipIf(!hasPymodbus())("repeated faults against pymodbus", () => {
  it("sends a missing register's dead letter once", async () => {
    // The peer has no register 103, so every poll gets exception 02.
    const peer = await PymodbusPeer.start({
      units: { 1: { hr: { 100: 11, 101: 0, 102: 0 } } },
    });
    cleanups.push(() => peer.stop());
    const registry = new MetricsRegistry();
    const logger = recordingLogger();
    const run = harness(config(peer.port), "modbus-test", {
      registry,
      logger,
    });
    cleanups.push(() => run.close());

    for (let poll = 0; poll < 4; poll += 1) {
      await run.connector.poll();
      run.clock.now += 1000;
    }
    await run.pipeline.flush();
    const letters = run.deadLetters.letters;
    expect(letters).toHaveLength(1);
    expect(letters[0]!.code).toBe(
      "QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS",
    );
    expect(run.of("power")).toHaveLength(4);
    expect(suppressedTotal(registry)).toBe(3);
    const health = run.connector.health();
    const device = (health.details.devices as DeviceHealth[])[0]!;
    expect(device.active_faults).toBe(1);
    expect(device.suppressed_faults).toBe(3);
    expect(health.details.faults_suppressed).toBe(3);

    // After the repeat interval (10 minutes by default) it is sent again.
    run.clock.now += 600_000;
    await run.connector.poll();
    await run.pipeline.flush();
    expect(run.deadLetters.letters).toHaveLength(2);

    // The register appears: the fault clears and is logged.
    await peer.set(1, "hr", 103, [42]);
    await run.connector.poll();
    await run.pipeline.flush();
    expect(run.of("ghost").map((r) => r.value)).toEqual([42]);
    const cleared = logger.entries.filter(
      (entry) => entry.message === "Read succeeds again; its fault is cleared",
    );
    expect(cleared).toHaveLength(1);
    expect(cleared[0]!.context).toMatchObject({
      device: "inv",
      code: "QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS",
    });
    const after = run.connector.health().details.devices as DeviceHealth[];
    expect(after[0]!.active_faults).toBe(0);
  });

  it("reports a fault again when its kind changes", async () => {
    let peer = await PymodbusPeer.start({ units: { 1: { hr: { 100: 11 } } } });
    const port = peer.port;
    cleanups.push(() => peer.stop());
    const run = harness({
      ...config(port),
      devices: [
        { name: "inv", registers: { power: { address: "holding:100" } } },
      ],
    });
    cleanups.push(() => run.close());
    await run.connector.poll();
    await peer.stop();
    for (let poll = 0; poll < 3; poll += 1) {
      await run.connector.poll();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await run.pipeline.flush();
    // A device that is down gives one diagnostic, not one per poll.
    const down = run.diagnostics.filter(
      (d) =>
        d.code === "QUBIT_MODBUS_TIMEOUT" ||
        d.code === "QUBIT_MODBUS_CONNECTION_LOST" ||
        d.code === "QUBIT_MODBUS_CONNECTION_FAILED" ||
        d.code === "QUBIT_MODBUS_DEVICE_UNREACHABLE",
    );
    expect(down).toHaveLength(1);
    // Every poll still gives its null reading.
    expect(run.of("power")).toHaveLength(4);

    // The device comes back without register 100: a new kind of fault.
    peer = await PymodbusPeer.start({ port, units: { 1: { hr: { 5: 1 } } } });
    const deadline = Date.now() + 15_000;
    while (run.deadLetters.letters.length === 0 && Date.now() < deadline) {
      await run.connector.poll();
      await run.pipeline.flush();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(run.deadLetters.letters).toHaveLength(1);
    expect(run.deadLetters.letters[0]!.code).toBe(
      "QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS",
    );
  });
});

describe.skipIf(!hasPymodbus())("last_error against pymodbus", () => {
  it("names the device, unit id and address", async () => {
    const peer = await PymodbusPeer.start({
      units: { 7: { hr: { 100: 11 } } },
    });
    cleanups.push(() => peer.stop());
    const run = harness({
      ...config(peer.port),
      devices: [
        {
          name: "meter-7",
          unit_id: 7,
          registers: {
            power: { address: "holding:100" },
            missing: { address: "holding:250" },
          },
        },
      ],
    });
    cleanups.push(() => run.close());
    await run.connector.poll();
    const lastError = run.connector.health().last_error as
      | Record<string, unknown>
      | undefined;
    expect(lastError?.code).toBe("QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS");
    expect(lastError?.device).toBe("meter-7");
    expect(lastError?.unit_id).toBe(7);
    expect(lastError?.address).toBe(250);
    expect(lastError?.function).toBe(3);
    expect(lastError?.endpoint).toBe(`127.0.0.1:${peer.port}`);
  });
});

describe.skipIf(!hasPymodbus())("metrics against pymodbus", () => {
  it("names every metric with qubit_", async () => {
    const peer = await PymodbusPeer.start({
      units: { 1: { hr: { 100: 11 } } },
    });
    cleanups.push(() => peer.stop());
    const registry = new MetricsRegistry();
    const run = harness(
      { ...config(peer.port), polling_interval: 0.1 },
      "modbus-test",
      { registry },
    );
    cleanups.push(() => run.close());
    await run.connector.connect();
    await waitFor(
      () => suppressedTotal(registry) >= 1,
      10_000,
      "a suppressed repeat",
    );
    const names = new Set(registry.snapshot().map((sample) => sample.name));
    expect(names).toContain("qubit_modbus_poll_seconds");
    expect(names).toContain("qubit_modbus_faults_suppressed_total");
    expect(names).toContain("qubit_errors_total");
    for (const name of names) expect(name).toMatch(/^qubit_/);
  });
});

/** Returns a TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!hasPymodbus())("log of a dead device", () => {
  it("logs the first failure, a count, then recovery", async () => {
    const port = await closedPort();
    const logger = recordingLogger();
    const run = harness(
      {
        ...config(port),
        timeout: 0.2,
        reconnect_max_delay_ms: 100,
        fault_repeat_interval: 60,
      },
      "modbus-test",
      { logger },
    );
    cleanups.push(() => run.close());
    const warnings = (message: string) =>
      logger.entries.filter(
        (entry) => entry.level === "warn" && entry.message?.startsWith(message),
      );

    // Six polls within one repeat interval: one line each, not six.
    for (let poll = 0; poll < 6; poll += 1) {
      await run.connector.poll();
      await sleep(150);
    }
    expect(run.connector.client.stats.connect_failures).toBeGreaterThan(3);
    expect(warnings("Modbus connection failed")).toHaveLength(1);
    expect(warnings("Modbus connection still failing")).toHaveLength(0);
    expect(warnings("Device does not respond")).toHaveLength(1);
    expect(warnings("Device still does not respond")).toHaveLength(0);

    // Past the interval, one more failure logs the count.
    run.clock.now += 61_000;
    await run.connector.poll();
    const repeats = warnings("Modbus connection still failing");
    expect(repeats).toHaveLength(1);
    expect(repeats[0]!.context.failed_attempts).toBeGreaterThan(3);
    expect(repeats[0]!.context.failing_since).toBe("2025-01-15T10:00:00.000Z");
    const deviceRepeats = warnings("Device still does not respond");
    expect(deviceRepeats).toHaveLength(1);
    expect(deviceRepeats[0]!.context.device).toBe("inv");
    expect(deviceRepeats[0]!.context.unanswered_polls).toBeGreaterThan(3);

    // The device comes up on the same port: one line for each recovery.
    const peer = await PymodbusPeer.start({
      port,
      units: { 1: { hr: { 100: 11 } } },
    });
    cleanups.push(() => peer.stop());
    const infos = (message: string) =>
      logger.entries.filter(
        (entry) => entry.level === "info" && entry.message === message,
      );
    await waitFor(
      async () => {
        await run.connector.poll();
        return infos("Device responds again").length > 0;
      },
      15_000,
      "the device to respond",
    );
    const opened = infos("Modbus connection open");
    expect(opened).toHaveLength(1);
    expect(opened[0]!.context.failed_attempts).toBeGreaterThan(3);
    expect(opened[0]!.context.down_ms).toBe(61_000);
    const responds = infos("Device responds again");
    expect(responds[0]!.context.unanswered_polls).toBeGreaterThan(3);
  });

  it("sets last_error for a unit that times out", async () => {
    // pymodbus sends nothing for a unit id it does not serve.
    const peer = await PymodbusPeer.start({
      units: { 1: { hr: { 100: 11 } } },
    });
    cleanups.push(() => peer.stop());
    const run = harness({
      ...config(peer.port),
      timeout: 0.3,
      devices: [
        { name: "meter-9", unit_id: 9, registers: { p: { address: 40101 } } },
      ],
    });
    cleanups.push(() => run.close());
    await run.connector.connect();
    await waitFor(
      () => run.connector.health().status === "degraded",
      10_000,
      "status degraded",
    );
    const health = run.connector.health();
    const lastError = health.last_error as Record<string, unknown> | undefined;
    expect(lastError?.code).toBe("QUBIT_MODBUS_TIMEOUT");
    expect(lastError?.device).toBe("meter-9");
    expect(lastError?.unit_id).toBe(9);
  });
});
