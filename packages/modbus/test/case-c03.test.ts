import { ConfigError } from "@qubit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ModbusConfig,
  ModbusConnector,
  type PointConfig,
} from "../src/index.js";
import { type Harness, harness, waitFor } from "./helpers/harness.js";
import { hasPymodbus, PymodbusPeer } from "./helpers/peer.js";

// Case C03: 3xxxx/4xxxx references, a 0-based address above 49999, and a
// reference that is no reference at all. The requests the device receives
// must be exactly the documented ones, never one register off.
const points: Record<string, PointConfig> = {
  current_l1: {
    address: "30001",
    type: "float32",
    byte_order: "ABCD",
    unit: "A",
  },
  current_l2: {
    address: "30003",
    type: "float32",
    byte_order: "ABCD",
    unit: "A",
  },
  voltage_l1: { address: "40108", type: "uint16", scale: 10, unit: "V" },
  batt_rated_energy: {
    address: 57600,
    addressing: "pdu",
    function: 3,
    type: "uint16",
    unit: "Wh",
  },
};

function config(
  port: number,
  extra: Record<string, PointConfig> = {},
): ModbusConfig {
  return {
    host: "127.0.0.1",
    port,
    timeout: 2,
    polling_interval: 3600,
    devices: [{ name: "pm-2", unit_id: 1, registers: { ...points, ...extra } }],
  };
}

describe("case C03 bad reference", () => {
  it("rejects 57600 as a Modicon reference when the map loads", () => {
    const create = () =>
      new ModbusConnector(
        config(502, {
          bad_ref: { address: "57600", type: "uint16", unit: "Wh" },
        }),
        { name: "c03" },
      );
    expect(create).toThrow(ConfigError);
    try {
      create();
    } catch (error) {
      const issues = (error as ConfigError).issues;
      expect(issues).toHaveLength(1);
      expect(issues[0]!.path).toBe("/devices/0/registers/bad_ref/address");
      expect(issues[0]!.message).toContain('point "bad_ref"');
      expect(issues[0]!.message).toContain(
        "57600 is not a valid 0xxxx/1xxxx/3xxxx/4xxxx reference",
      );
      expect(issues[0]!.fix).toContain('addressing: "pdu"');
    }
  });
});

describe.skipIf(!hasPymodbus())("case C03 register numbering", () => {
  let peer: PymodbusPeer;
  let run: Harness;

  beforeAll(async () => {
    peer = await PymodbusPeer.start({
      units: {
        1: {
          ir: { 0: 0x4125, 1: 0xeb85, 2: 0x4138, 3: 0x51ec },
          hr: { 107: 0x0903, 108: 0x0000, 57600: 0x2710 },
        },
      },
    });
    run = harness(config(peer.port), "c03");
    await run.connector.connect();
    await waitFor(() => run.output.readings.length >= 4, 15_000, "poll");
    await run.pipeline.flush();
  });

  afterAll(async () => {
    await run?.close();
    await peer?.stop();
  });

  it("sends exactly the documented requests", async () => {
    const requests = await peer.requests();
    expect(requests).toEqual(
      expect.arrayContaining([
        { unit: 1, fc: 4, address: 0, count: 4 },
        { unit: 1, fc: 3, address: 107, count: 1 },
        { unit: 1, fc: 3, address: 57600, count: 1 },
      ]),
    );
    expect(requests).toHaveLength(3);
  });

  it("reads nothing one register off", async () => {
    const requests = await peer.requests();
    expect(requests.some((r) => r.fc === 4 && r.address === 1)).toBe(false);
    expect(requests.some((r) => r.fc === 3 && r.address === 108)).toBe(false);
  });

  it("decodes the expected values", () => {
    const value = (metric: string) => run.of(metric)[0]!.value as number;
    expect(value("current_l1")).toBeCloseTo(10.369999885559082, 6);
    expect(value("current_l2")).toBeCloseTo(11.520000457763672, 6);
    expect(value("voltage_l1")).toBe(230.7);
    expect(value("batt_rated_energy")).toBe(10000);
  });

  it("labels readings with device, unit and time", () => {
    for (const reading of run.output.readings) {
      expect(reading.asset_id).toBe("pm-2");
      expect(reading.timestamp).toBe("2025-01-15T10:00:00.000Z");
      expect(reading.quality).toBe("measured");
    }
    expect(run.of("voltage_l1")[0]!.unit).toBe("V");
    expect(run.of("batt_rated_energy")[0]!.unit).toBe("Wh");
  });
});
