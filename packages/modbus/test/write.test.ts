import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModbusWriteError } from "../src/index.js";
import { type Harness, harness } from "./helpers/harness.js";
import { hasPymodbus, PymodbusPeer } from "./helpers/peer.js";

describe.skipIf(!hasPymodbus())("typed writes", () => {
  let peer: PymodbusPeer;
  let run: Harness;

  beforeAll(async () => {
    peer = await PymodbusPeer.start({
      units: {
        1: { hr: { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 }, co: { 0: 0 } },
      },
    });
    run = harness({
      host: "127.0.0.1",
      port: peer.port,
      timeout: 2,
      polling_interval: 3600,
      devices: [
        {
          name: "bat",
          registers: {
            power_limit: {
              address: 40001,
              type: "uint16",
              scale: 10,
              unit: "kW",
              writable: true,
            },
            setpoint: {
              address: 40002,
              type: "float32",
              byte_order: "CDAB",
              unit: "W",
              writable: true,
            },
            mode_flags: {
              address: 40004,
              type: "bool",
              bit: 3,
              writable: true,
            },
            reserve: { address: 40005, type: "int16", writable: false },
            enable: { address: 1, writable: true },
          },
        },
      ],
    });
    await run.connector.write("bat", "power_limit", 4.5);
    await run.connector.write("bat", "setpoint", -1500.5);
    await run.connector.write("bat", "mode_flags", true);
    await run.connector.write("bat", "enable", true);
    await run.connector.poll();
    await run.pipeline.flush();
  });

  afterAll(async () => {
    await run?.close();
    await peer?.stop();
  });

  it("writes a scaled register with function 6", async () => {
    expect(run.of("power_limit")[0]?.value).toBe(4500);
    const requests = await peer.requests();
    expect(requests).toContainEqual({ unit: 1, fc: 6, address: 0, count: 1 });
  });

  it("writes a float in the point's word order with function 16", async () => {
    expect(run.of("setpoint")[0]?.value).toBe(-1500.5);
    const requests = await peer.requests();
    expect(requests).toContainEqual({ unit: 1, fc: 16, address: 1, count: 2 });
  });

  it("sets one bit of a register", () => {
    expect(run.of("mode_flags")[0]?.value).toBe(true);
  });

  it("writes a coil with function 5", async () => {
    expect(run.of("enable")[0]?.value).toBe(true);
    const requests = await peer.requests();
    expect(requests).toContainEqual({ unit: 1, fc: 5, address: 0, count: 1 });
  });

  it("refuses a point that is not writable", async () => {
    await expect(
      run.connector.write("bat", "reserve", 1),
    ).rejects.toBeInstanceOf(ModbusWriteError);
  });

  it("refuses a value out of range", async () => {
    await expect(
      run.connector.write("bat", "power_limit", 7000),
    ).rejects.toThrow("outside 0 to 65535");
  });
});
