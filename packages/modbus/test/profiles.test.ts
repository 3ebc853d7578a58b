import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compileDevices,
  getProfile,
  type ModbusConfig,
  profileNames,
} from "../src/index.js";
import { type Harness, harness, waitFor } from "./helpers/harness.js";
import { float32Words, hasPymodbus, PymodbusPeer } from "./helpers/peer.js";
import { loadSungrowDump } from "./helpers/sungrow-dump.js";

describe("profile data files", () => {
  it("lists the built-in profiles", () => {
    expect(profileNames().sort()).toEqual([
      "eastron-sdm120",
      "eastron-sdm630",
      "sungrow-sh-hybrid",
      "sunspec-inverter",
    ]);
  });

  for (const name of profileNames()) {
    it(`compiles ${name} without issues`, () => {
      const { devices, issues } = compileDevices(
        { host: "h", devices: [{ name: "d", profile: name }] } as ModbusConfig,
        "c",
      );
      expect(issues).toEqual([]);
      expect(devices).toHaveLength(1);
      const profile = getProfile(name)!;
      expect(profile.source.length).toBeGreaterThan(0);
      const expectedPoints = Object.keys(profile.registers ?? {}).length;
      expect(devices[0]!.points).toHaveLength(expectedPoints);
      if (profile.sunspec) expect(devices[0]!.sunspec?.models).toContain(103);
    });
  }

  it("places the SDM630 voltage at input 0", () => {
    const { devices } = compileDevices(
      {
        host: "h",
        devices: [{ name: "d", profile: "eastron-sdm630" }],
      } as ModbusConfig,
      "c",
    );
    const first = devices[0]!.points.find((p) => p.name === "voltage_l1")!;
    expect(first).toMatchObject({
      table: "input_register",
      address: 0,
      type: "float32",
    });
  });
});

function floats(values: Record<number, number>): Record<number, number> {
  const image: Record<number, number> = {};
  for (const [address, value] of Object.entries(values)) {
    const [high, low] = float32Words(value);
    image[Number(address)] = high;
    image[Number(address) + 1] = low;
  }
  return image;
}

describe.skipIf(!hasPymodbus())("meter profiles against pymodbus", () => {
  let peer: PymodbusPeer;
  let run: Harness;

  beforeAll(async () => {
    const sdm630 = floats({
      0: 230.1,
      2: 231.2,
      4: 229.8,
      6: 5.5,
      52: 3795.5,
      70: 50.02,
      72: 1234.5,
      342: 2000.25,
    });
    const sdm120 = floats({
      0: 229.5,
      6: 1.25,
      12: 286.75,
      70: 49.98,
      72: 98.5,
    });
    for (let a = 0; a < 364; a += 2)
      if (sdm630[a] === undefined) Object.assign(sdm630, floats({ [a]: 0 }));
    for (let a = 0; a < 346; a += 2)
      if (sdm120[a] === undefined) Object.assign(sdm120, floats({ [a]: 0 }));
    peer = await PymodbusPeer.start({
      units: { 1: { ir: sdm630 }, 2: { ir: sdm120 } },
    });
    run = harness({
      host: "127.0.0.1",
      port: peer.port,
      timeout: 2,
      polling_interval: 3600,
      devices: [
        { name: "main-meter", unit_id: 1, profile: "eastron-sdm630" },
        { name: "heat-pump", unit_id: 2, profile: "eastron-sdm120" },
      ],
    });
    await run.connector.poll();
    await run.pipeline.flush();
  });

  afterAll(async () => {
    await run?.close();
    await peer?.stop();
  });

  const value = (asset: string, metric: string) =>
    run.output.readings.find(
      (r) => r.asset_id === asset && r.metric === metric,
    );

  it("reads the SDM630 with names and units", () => {
    expect(value("main-meter", "voltage_l1")?.value).toBeCloseTo(230.1, 4);
    expect(value("main-meter", "voltage_l1")?.unit).toBe("V");
    expect(value("main-meter", "current_l1")?.value).toBeCloseTo(5.5, 6);
    expect(value("main-meter", "active_power")?.value).toBeCloseTo(3795.5, 3);
    expect(value("main-meter", "frequency")?.value).toBeCloseTo(50.02, 4);
    expect(value("main-meter", "import_energy")?.value).toBeCloseTo(1234500, 0);
    expect(value("main-meter", "import_energy")?.unit).toBe("Wh");
    expect(value("main-meter", "total_energy")?.value).toBeCloseTo(2000250, 0);
  });

  it("reads the SDM120 with names and units", () => {
    expect(value("heat-pump", "voltage")?.value).toBeCloseTo(229.5, 4);
    expect(value("heat-pump", "current")?.value).toBe(1.25);
    expect(value("heat-pump", "active_power")?.value).toBe(286.75);
    expect(value("heat-pump", "import_energy")?.value).toBeCloseTo(98500, 1);
  });

  it("reads each meter in minimal requests", async () => {
    const requests = await peer.requests();
    // With the default max_gap of 10 the SDM630 map needs 5 reads and
    // the SDM120 map 3.
    expect(requests.filter((r) => r.unit === 1).length).toBe(5);
    expect(requests.filter((r) => r.unit === 2).length).toBe(3);
  });
});

// The real Sungrow dump has no license, so it is read from ../shared at
// test time; the test skips when that folder is absent.
const dump = loadSungrowDump();

describe.skipIf(!hasPymodbus() || !dump)(
  "sungrow profile against a real dump",
  () => {
    let peer: PymodbusPeer;
    let run: Harness;

    beforeAll(async () => {
      const ir: Record<number, number> = {};
      // The dump numbers registers from 1, as Sungrow's documentation does;
      // the device serves them at that number minus one.
      for (const [number, word] of dump!.input) ir[number - 1] = word;
      peer = await PymodbusPeer.start({ units: { 1: { ir } } });
      run = harness({
        host: "127.0.0.1",
        port: peer.port,
        timeout: 2,
        polling_interval: 3600,
        devices: [{ name: "sh8", profile: "sungrow-sh-hybrid" }],
      });
      await run.connector.poll();
      await run.pipeline.flush();
      await waitFor(() => run.output.readings.length > 0, 5000, "readings");
    });

    afterAll(async () => {
      await run?.close();
      await peer?.stop();
    });

    const reading = (metric: string) => run.of(metric)[0]!;
    const signal = (name: string) => Number(dump!.signals.get(name));

    it("matches the dump's decoded signals", () => {
      expect(reading("phase_a_voltage").value).toBe(signal("phase_a_voltage"));
      expect(reading("phase_b_voltage").value).toBe(signal("phase_b_voltage"));
      expect(reading("internal_temperature").value).toBe(
        signal("internal_temperature"),
      );
      expect(reading("grid_frequency").value).toBe(signal("grid_frequency"));
      expect(reading("daily_output_energy").value).toBe(
        signal("daily_output_energy_pv_and_battery") * 1000,
      );
      expect(reading("total_output_energy").value).toBe(
        signal("total_output_energy_pv_and_battery") * 1000,
      );
      expect(reading("total_dc_power").value).toBe(signal("total_dc_power"));
      expect(reading("power_factor").value).toBe(signal("power_factor"));
    });

    it("labels energy in Wh and temperature in celsius", () => {
      expect(reading("total_output_energy").unit).toBe("Wh");
      expect(reading("internal_temperature").unit).toBe("celsius");
    });

    it("reads every profile point without rejects", () => {
      expect(run.deadLetters.letters).toEqual([]);
      expect(
        run.output.readings.every(
          (r) => r.quality === "measured" || r.quality === "missing",
        ),
      ).toBe(true);
    });
  },
);
