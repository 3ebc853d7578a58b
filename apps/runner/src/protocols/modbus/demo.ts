import type { DemoPart, DemoRun } from "../types.js";
import { type RegisterSource, startSimulator } from "./simulator.js";

// Holding registers of the simulated inverter (0-based).
const AC_POWER = 0; // float32 W, big-endian
const ENERGY = 2; // uint32 Wh, low word first
const VOLTAGE = 4; // uint16 V x10
const FREQUENCY = 5; // uint16 Hz x100
const TEMPERATURE = 6; // int16 celsius x10
const STATUS = 7; // bit 0 producing, bit 3 grid fault
const RATED_POWER_W = 8000;

/**
 * Computes the inverter's state now: AC power follows a daylight curve
 * compressed to a few minutes with cloud dips, energy integrates it, and
 * voltage, frequency and temperature wander like a real grid's.
 */
function inverterState(startedAt: number, energy: { wh: number; at: number }) {
  const now = Date.now();
  const t = (now - startedAt) / 1000;
  const daylight = Math.max(0, Math.sin((t / 240) * Math.PI + 0.3));
  const clouds = 0.85 + 0.15 * Math.sin(t / 7) * Math.sin(t / 3.1);
  const power = Math.round(RATED_POWER_W * daylight * clouds * 10) / 10;
  energy.wh += (power * (now - energy.at)) / 3_600_000;
  energy.at = now;
  return {
    power,
    energy: Math.floor(energy.wh),
    voltage: Math.round(2300 + 25 * Math.sin(t / 11) + 5 * Math.sin(t * 1.7)),
    frequency: Math.round(5000 + 4 * Math.sin(t / 5)),
    temperature: Math.round(250 + (power / RATED_POWER_W) * 180),
    status: power > 0 ? 1 : 0,
  };
}

function registers(startedAt: number): RegisterSource {
  const energy = { wh: 1_254_300, at: Date.now() };
  let state = inverterState(startedAt, energy);
  let stateAt = Date.now();
  const view = new DataView(new ArrayBuffer(4));
  return (functionCode, address) => {
    if (functionCode !== 3) return undefined;
    if (Date.now() - stateAt > 200) {
      state = inverterState(startedAt, energy);
      stateAt = Date.now();
    }
    switch (address) {
      case AC_POWER:
      case AC_POWER + 1:
        view.setFloat32(0, state.power);
        return view.getUint16((address - AC_POWER) * 2);
      case ENERGY:
        return state.energy & 0xffff;
      case ENERGY + 1:
        return Math.floor(state.energy / 65536) & 0xffff;
      case VOLTAGE:
        return state.voltage;
      case FREQUENCY:
        return state.frequency;
      case TEMPERATURE:
        return state.temperature & 0xffff;
      case STATUS:
        return state.status;
      default:
        return undefined;
    }
  };
}

/**
 * `qubit demo`, Modbus part: a lean Modbus TCP inverter simulator in
 * this process on a free port, read once a second with a register map
 * that also reads a register the inverter does not have (the demo's
 * dead letter: exception 02 ILLEGAL DATA ADDRESS).
 */
export const modbusDemo: DemoPart = {
  async start(): Promise<DemoRun> {
    const simulator = await startSimulator(registers(Date.now()));
    const config = {
      name: "modbus-inverter",
      protocol: "tcp",
      host: "127.0.0.1",
      port: simulator.port,
      timeout: 1,
      polling_interval: 1,
      devices: [
        {
          name: "inverter-1",
          unit_id: 1,
          site_id: "site_demo",
          registers: {
            ac_power: { address: 40001, type: "float32", unit: "W" },
            energy_total: {
              address: 40003,
              type: "uint32",
              byte_order: "CDAB",
              unit: "Wh",
              kind: "counter",
            },
            grid_voltage: { address: 40005, scale: 10, unit: "V" },
            grid_frequency: { address: 40006, scale: 100, unit: "Hz" },
            heatsink_temperature: {
              address: 40007,
              type: "int16",
              scale: 10,
              unit: "celsius",
            },
            status: {
              address: 40008,
              type: "bitfield16",
              bits: { producing: 0, grid_fault: 3 },
            },
            // The simulated inverter has no register 40021.
            reactive_power: { address: 40021, type: "int16", unit: "var" },
          },
        },
      ],
    };
    return {
      config,
      description: `Modbus TCP inverter simulator on 127.0.0.1:${simulator.port} (one register of the map is missing on purpose)`,
      stop: () => simulator.stop(),
    };
  },
};
