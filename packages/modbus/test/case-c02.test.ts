import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModbusConfig } from "../src/index.js";
import { type Harness, harness, waitFor } from "./helpers/harness.js";
import { hasPymodbus, PymodbusPeer } from "./helpers/peer.js";

// Case C02: a uint32 sent low word first, an energy counter that must not
// be read as signed, and an int16 export power that must not be read as
// unsigned. pymodbus serves the register images of both polls.
describe.skipIf(!hasPymodbus())("case C02 word order and signedness", () => {
  let peer: PymodbusPeer;
  let run: Harness;

  beforeAll(async () => {
    peer = await PymodbusPeer.start({
      units: {
        1: {
          hr: {
            5016: 0x019c,
            5017: 0x0000,
            200: 0x7ff0,
            201: 0x0000,
            210: 0xfb1e,
          },
        },
      },
    });
    const config: ModbusConfig = {
      protocol: "tcp",
      host: "127.0.0.1",
      port: peer.port,
      timeout: 2,
      polling_interval: 3600,
      max_gap: 0,
      devices: [
        {
          name: "inv-1",
          unit_id: 1,
          registers: {
            dc_power: {
              address: 5017,
              addressing: "one_based",
              table: "holding_register",
              type: "uint32",
              byte_order: "CDAB",
              unit: "W",
            },
            energy_total: {
              address: 200,
              addressing: "pdu",
              function: 3,
              type: "uint32",
              byte_order: "CDAB",
              unit: "Wh",
              kind: "counter",
            },
            grid_power: {
              address: 210,
              addressing: "pdu",
              table: "holding_register",
              type: "int16",
              unit: "W",
            },
          },
        },
      ],
    };
    run = harness(config);
    await run.connector.connect();
    await waitFor(() => run.output.readings.length >= 3, 15_000, "poll 1");
    await peer.set(1, "hr", 200, [0x8010, 0x0000]);
    await peer.set(1, "hr", 210, [0x0064]);
    run.clock.now += 60_000;
    await run.connector.poll();
    // Poll 3: the counter goes back to its first value.
    await peer.set(1, "hr", 200, [0x7ff0, 0x0000]);
    run.clock.now += 60_000;
    await run.connector.poll();
    await run.pipeline.flush();
  });

  afterAll(async () => {
    await run?.close();
    await peer?.stop();
  });

  it("reads dc_power low word first", () => {
    const readings = run.of("dc_power");
    expect(readings.map((r) => r.value)).toEqual([412, 412, 412]);
    expect(readings[0]!.unit).toBe("W");
    expect(readings[0]!.asset_id).toBe("inv-1");
    expect(readings[0]!.quality).toBe("measured");
  });

  it("reads energy_total as unsigned counter", () => {
    const readings = run.of("energy_total");
    expect(readings.map((r) => r.value)).toEqual([32752, 32784, 32752]);
    expect(readings.map((r) => r.quality)).toEqual([
      "measured",
      "measured",
      "estimated",
    ]);
    expect(readings.map((r) => r.unit)).toEqual(["Wh", "Wh", "Wh"]);
  });

  it("flags the counter that decreased", () => {
    const third = run.of("energy_total")[2]!;
    expect(third.metadata?.quality_reason).toContain(
      "counter decreased from 32784 to 32752",
    );
    const diagnostics = run.diagnostics.filter(
      (d) => d.code === "QUBIT_MODBUS_COUNTER_DECREASED",
    );
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toContain(
      "inv-1 (unit 1) point energy_total",
    );
    expect(diagnostics[0]!.location).toMatchObject({
      device: "inv-1",
      unit_id: 1,
      register: 200,
    });
  });

  it("reads grid_power as signed int16", () => {
    expect(run.of("grid_power").map((r) => r.value)).toEqual([-1250, 100, 100]);
  });

  it("stamps readings with the poll time", () => {
    expect(run.of("dc_power").map((r) => r.timestamp)).toEqual([
      "2025-01-15T10:00:00.000Z",
      "2025-01-15T10:01:00.000Z",
      "2025-01-15T10:02:00.000Z",
    ]);
  });

  it("sends FC03 start 5016 quantity 2 for dc_power", async () => {
    const requests = await peer.requests();
    const dc = requests.filter((r) => r.address === 5016);
    expect(dc).toHaveLength(3);
    for (const request of dc) {
      expect(request).toEqual({ unit: 1, fc: 3, address: 5016, count: 2 });
    }
    expect(requests.some((r) => r.address === 5017)).toBe(false);
  });

  it("sends nothing to the dead-letter output", () => {
    expect(run.deadLetters.letters).toEqual([]);
  });
});
