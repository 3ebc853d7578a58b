import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { ModbusConfig } from "../src/index.js";
import { registersPdu, startBrokenDevice } from "./helpers/broken-device.js";
import { harness, waitFor } from "./helpers/harness.js";
import {
  hasPymodbus,
  PYTHON,
  PymodbusPeer,
  startPtyPair,
} from "./helpers/peer.js";

const BAD_CRC_DEVICE = fileURLToPath(
  new URL("./peers/bad_crc_device.py", import.meta.url),
);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tcp(port: number, extra: Partial<ModbusConfig> = {}): ModbusConfig {
  return {
    host: "127.0.0.1",
    port,
    timeout: 0.5,
    retries: 0,
    polling_interval: 3600,
    ...extra,
  };
}

describe.skipIf(!hasPymodbus())("faults against pymodbus", () => {
  it("splits a block that gets exception 02 and remembers it", async () => {
    const peer = await PymodbusPeer.start({
      units: { 1: { hr: { 100: 11, 101: 12, 105: 15 } } },
    });
    cleanups.push(() => peer.stop());
    const run = harness(
      tcp(peer.port, {
        devices: [
          {
            name: "inv",
            registers: {
              a: { address: "holding:100" },
              b: { address: "holding:101" },
              ghost: { address: "holding:103" },
              c: { address: "holding:105" },
            },
          },
        ],
      }),
    );
    cleanups.push(() => run.close());
    await run.connector.poll();
    const first = await peer.requests();
    expect(first.map((r) => [r.address, r.count])).toEqual([
      [100, 6],
      [100, 2],
      [103, 1],
      [105, 1],
    ]);
    await peer.clear();
    await run.connector.poll();
    await run.pipeline.flush();
    const second = await peer.requests();
    expect(second.map((r) => [r.address, r.count])).toEqual([
      [100, 2],
      [103, 1],
      [105, 1],
    ]);
    expect(run.of("a").map((r) => r.value)).toEqual([11, 11]);
    expect(run.of("c").map((r) => r.value)).toEqual([15, 15]);
    expect(run.of("ghost")).toEqual([]);
    // The second poll's failure repeats the first, so it is counted in
    // health instead of sent again.
    const letters = run.deadLetters.letters;
    expect(letters).toHaveLength(1);
    expect(letters[0]!.code).toBe(
      "QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS",
    );
    expect(letters[0]!.reason).toContain("exception 02 ILLEGAL DATA ADDRESS");
    expect(letters[0]!.location).toMatchObject({
      device: "inv",
      unit_id: 1,
      register: 103,
    });
  });

  it("recovers when the device restarts mid-poll", async () => {
    let peer = await PymodbusPeer.start({ units: { 1: { hr: { 0: 42 } } } });
    const port = peer.port;
    cleanups.push(() => peer.stop());
    const run = harness(
      tcp(port, {
        reconnect_max_delay_ms: 200,
        devices: [
          { name: "inv", registers: { power: { address: 40001, unit: "W" } } },
        ],
      }),
    );
    cleanups.push(() => run.close());
    await run.connector.poll();
    await peer.stop();
    await run.connector.poll();
    await run.pipeline.flush();
    const down = run.of("power")[1]!;
    expect(down.value).toBeNull();
    expect(down.quality).toBe("error");
    expect(down.flags).toEqual(["communication_error"]);
    peer = await PymodbusPeer.start({ port, units: { 1: { hr: { 0: 43 } } } });
    await waitFor(
      async () => {
        await run.connector.poll();
        await run.pipeline.flush();
        return run.of("power").at(-1)!.value === 43;
      },
      20_000,
      "a good reading after the restart",
    );
    expect(run.of("power").at(-1)!.quality).toBe("measured");
  });

  it("keeps healthy devices on schedule beside a dead one", async () => {
    const pty = await startPtyPair();
    cleanups.push(() => pty.stop());
    const peer = await PymodbusPeer.start({
      transport: "rtu",
      serial_port: pty.a,
      units: { 1: { hr: { 0: 101 } }, 2: { hr: { 0: 202 } } },
    });
    cleanups.push(() => peer.stop());
    const run = harness({
      protocol: "rtu",
      port: pty.b,
      baudrate: 19200,
      timeout: 0.4,
      retries: 0,
      polling_interval: 0.5,
      reconnect_max_delay_ms: 5000,
      devices: [
        { name: "m1", unit_id: 1, registers: { p: { address: 40001 } } },
        { name: "dead", unit_id: 3, registers: { p: { address: 40001 } } },
        { name: "m2", unit_id: 2, registers: { p: { address: 40001 } } },
      ],
    });
    cleanups.push(() => run.close());
    const startedAt = Date.now();
    await run.connector.connect();
    await waitFor(
      () => run.output.readings.filter((r) => r.asset_id === "m2").length >= 8,
      20_000,
      "eight polls of m2",
    );
    const elapsedS = (Date.now() - startedAt) / 1000;
    const good = (asset: string) =>
      run.output.readings.filter(
        (r) => r.asset_id === asset && r.value !== null,
      );
    expect(good("m1").length).toBeGreaterThanOrEqual(7);
    expect(good("m2").every((r) => r.value === 202)).toBe(true);
    // Eight polls at 0.5 s take about 3.5 s. The dead device's probes back
    // off, so its 0.4 s timeouts do not stretch the healthy schedule.
    expect(elapsedS).toBeLessThan(8);
    const dead = run.output.readings.filter((r) => r.asset_id === "dead");
    expect(dead.length).toBeGreaterThan(0);
    expect(
      dead.every(
        (r) => r.value === null && r.flags?.includes("communication_error"),
      ),
    ).toBe(true);
    const health = run.connector.health();
    expect(run.connector.status).toBe("degraded");
    const devices = health.details.devices as { name: string; state: string }[];
    expect(devices.find((d) => d.name === "dead")!.state).toBe("unreachable");
    expect(devices.find((d) => d.name === "m1")!.state).toBe("ok");
  });
});

// The responders below stand in for broken devices, because no real peer
// can be configured to respond late, short or with a bad CRC.
describe("faults of broken devices", () => {
  it("drops a late response instead of pairing it with the next request", async () => {
    const device = await startBrokenDevice((_request, index) =>
      index === 0
        ? { pdu: registersPdu(3, [111]), delayMs: 900 }
        : { pdu: registersPdu(3, [222]) },
    );
    cleanups.push(() => device.stop());
    const run = harness(
      tcp(device.port, {
        timeout: 0.3,
        devices: [{ name: "slow", registers: { v: { address: 40001 } } }],
      }),
    );
    cleanups.push(() => run.close());
    await run.connector.poll();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await run.connector.poll();
    await run.pipeline.flush();
    const values = run.of("v").map((r) => r.value);
    expect(values).toEqual([null, 222]);
    expect(device.requests[0]!.transactionId).not.toBe(
      device.requests[1]!.transactionId,
    );
  });

  it("reports a response of the wrong length", async () => {
    const device = await startBrokenDevice(() => ({
      pdu: registersPdu(3, [1]),
    }));
    cleanups.push(() => device.stop());
    const run = harness(
      tcp(device.port, {
        devices: [
          {
            name: "short",
            registers: { v: { address: 40001, type: "uint32" } },
          },
        ],
      }),
    );
    cleanups.push(() => run.close());
    await run.connector.poll();
    await run.pipeline.flush();
    const reading = run.of("v")[0]!;
    expect(reading.value).toBeNull();
    expect(reading.flags).toEqual(["communication_error"]);
    const diagnostic = run.diagnostics.find(
      (d) => d.code === "QUBIT_MODBUS_FRAME_INVALID",
    );
    expect(diagnostic?.message).toContain("Data length error");
    expect(diagnostic?.location).toMatchObject({
      device: "short",
      unit_id: 1,
      register: 0,
    });
  });

  it("reports a response with a bad CRC on RTU", async () => {
    const pty = await startPtyPair();
    cleanups.push(() => pty.stop());
    const device = spawn(PYTHON, [BAD_CRC_DEVICE, pty.a]);
    cleanups.push(async () => {
      device.kill("SIGTERM");
    });
    await new Promise((resolve) => device.stdout.once("data", resolve));
    const run = harness({
      protocol: "rtu",
      port: pty.b,
      baudrate: 19200,
      timeout: 0.5,
      retries: 0,
      polling_interval: 3600,
      devices: [
        { name: "noisy", unit_id: 5, registers: { v: { address: 40001 } } },
      ],
    });
    cleanups.push(() => run.close());
    await run.connector.poll();
    await run.connector.poll();
    await run.pipeline.flush();
    expect(run.of("v").map((r) => r.value)).toEqual([null, 0x1234]);
    const diagnostic = run.diagnostics.find(
      (d) => d.code === "QUBIT_MODBUS_FRAME_INVALID",
    );
    expect(diagnostic?.message).toContain("CRC error");
  });
});
