import { MemoryStateStore } from "@qubit/core";
import { describe, expect, it } from "vitest";
import { convertFrames } from "../src/convert.js";
import { TransactionStore } from "../src/state/transactions.js";
import { pick, runThroughPipeline } from "./helpers/pipeline.js";

// The OCPP cases of the real-world failure set, each with its input frames
// and the values expected after the pipeline's unit conversion.

const C07_FRAMES = [
  '[2,"1001","MeterValues",{"connectorId":1,"transactionId":52,"meterValue":[{"timestamp":"2025-04-03T20:00:00Z","sampledValue":[{"value":"7380","measurand":"Power.Active.Import","unit":"W"},{"value":"512","measurand":"Energy.Active.Import.Register","unit":"Wh"}]}]}]',
  '[2,"1002","MeterValues",{"connectorId":1,"transactionId":52,"meterValue":[{"timestamp":"2025-04-03T20:01:00Z","sampledValue":[{"value":"7380","measurand":"Power.Active.Import","unit":"W"},{"value":"512","measurand":"Energy.Active.Import.Register","unit":"Wh"}]}]}]',
  '[2,"1003","MeterValues",{"connectorId":1,"transactionId":52,"meterValue":[{"timestamp":"2025-04-03T20:08:00Z","sampledValue":[{"value":"7365","measurand":"Power.Active.Import","unit":"W"},{"value":"513","measurand":"Energy.Active.Import.Register","unit":"Wh"}]}]}]',
].join("\n");

function withTransaction(
  identity: string,
  transactionId: string,
  connectorId: number,
): MemoryStateStore {
  const state = new MemoryStateStore();
  new TransactionStore("ocpp", state).start({
    identity,
    transaction_id: transactionId,
    connector_id: connectorId,
    version: "1.6",
    status: "active",
    started_at: "2025-01-01T00:00:00.000Z",
    signed_data: [],
  });
  return state;
}

describe("C07 energy register labelled Wh but in kWh", () => {
  const energy = "Energy.Active.Import.Register";
  const power = "Power.Active.Import";

  it("override energy_unit kWh gives Wh values", async () => {
    const run = await runThroughPipeline(
      convertFrames(C07_FRAMES, {
        version: "1.6",
        identity: "EVSE-OE-01",
        state: withTransaction("EVSE-OE-01", "52", 1),
        stationOptions: { energy_unit: "kWh" },
      }),
    );
    const expected = [
      ["2025-04-03T20:00:00.000Z", 512000, 7380],
      ["2025-04-03T20:01:00.000Z", 512000, 7380],
      ["2025-04-03T20:08:00.000Z", 513000, 7365],
    ] as const;
    for (const [time, wh, watts] of expected) {
      const register = pick(run.readings, "EVSE-OE-01:1", energy, time);
      expect(register.value).toBe(wh);
      expect(register.unit).toBe("Wh");
      expect(register.quality).toBe("measured");
      const powerReading = pick(run.readings, "EVSE-OE-01:1", power, time);
      expect(powerReading.value).toBe(watts);
      expect(powerReading.quality).toBe("measured");
    }
    const suspect = run.diagnostics.filter(
      (d) => d.code === "QUBIT_OCPP_ENERGY_UNIT_SUSPECT",
    );
    expect(suspect).toHaveLength(0);
  });

  it("without override marks the register from 20:08", async () => {
    const run = await runThroughPipeline(
      convertFrames(C07_FRAMES, {
        version: "1.6",
        identity: "EVSE-OE-01",
        state: withTransaction("EVSE-OE-01", "52", 1),
      }),
    );
    const first = pick(
      run.readings,
      "EVSE-OE-01:1",
      energy,
      "2025-04-03T20:00:00.000Z",
    );
    const second = pick(
      run.readings,
      "EVSE-OE-01:1",
      energy,
      "2025-04-03T20:01:00.000Z",
    );
    const third = pick(
      run.readings,
      "EVSE-OE-01:1",
      energy,
      "2025-04-03T20:08:00.000Z",
    );
    expect([first.value, second.value, third.value]).toEqual([512, 512, 513]);
    expect(first.quality).toBe("measured");
    expect(second.quality).toBe("measured");
    expect(third.quality).toBe("estimated");
    for (const reading of run.readings.filter((r) => r.metric === power)) {
      expect(reading.quality).toBe("measured");
    }
    const suspect = run.diagnostics.filter(
      (d) => d.code === "QUBIT_OCPP_ENERGY_UNIT_SUSPECT",
    );
    expect(suspect).toHaveLength(1);
    expect(suspect[0]?.message).toMatch(/rose 1 Wh in 480 s/);
    expect(suspect[0]?.message).toMatch(/about 98\d Wh/);
    expect(suspect[0]?.message).toMatch(/unit label probably wrong/);
    expect(suspect[0]?.location?.address).toBe("EVSE-OE-01");
  });

  it("later register readings stay marked", async () => {
    const later =
      '[2,"1004","MeterValues",{"connectorId":1,"transactionId":52,"meterValue":[{"timestamp":"2025-04-03T20:09:00Z","sampledValue":[{"value":"7365","measurand":"Power.Active.Import","unit":"W"},{"value":"513","measurand":"Energy.Active.Import.Register","unit":"Wh"}]}]}]';
    const run = await runThroughPipeline(
      convertFrames(`${C07_FRAMES}\n${later}`, {
        version: "1.6",
        identity: "EVSE-OE-01",
        state: withTransaction("EVSE-OE-01", "52", 1),
      }),
    );
    const fourth = pick(
      run.readings,
      "EVSE-OE-01:1",
      energy,
      "2025-04-03T20:09:00.000Z",
    );
    expect(fourth.quality).toBe("estimated");
  });
});

describe("C09 2.0.1 values without unitOfMeasure", () => {
  const frame =
    `[2,"m-55","MeterValues",{"evseId":1,"meterValue":[{"timestamp":"2026-07-14T09:12:30.000Z","sampledValue":[
    {"value":498.25,"context":"Sample.Periodic","measurand":"Power.Active.Import"},
    {"value":2.17,"context":"Sample.Periodic","measurand":"Current.Import","phase":"L1"},
    {"value":12.345,"context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"Wh","multiplier":3}},
    {"value":50.01,"context":"Sample.Periodic","measurand":"Frequency"}]}]}]`.replace(
      /\n\s*/g,
      "",
    );
  const time = "2026-07-14T09:12:30.000Z";

  it("assumes units from the measurand and applies the multiplier", async () => {
    const run = await runThroughPipeline(
      convertFrames(frame, { version: "2.0.1", identity: "AUT-3" }),
    );
    expect(run.readings).toHaveLength(4);
    const powerReading = pick(
      run.readings,
      "AUT-3:1",
      "Power.Active.Import",
      time,
    );
    expect(powerReading.value).toBe(498.25);
    expect(powerReading.unit).toBe("W");
    expect(powerReading.quality).toBe("estimated");
    const current = pick(run.readings, "AUT-3:1", "Current.Import.L1", time);
    expect(current.value).toBe(2.17);
    expect(current.unit).toBe("A");
    expect(current.quality).toBe("estimated");
    const energy = pick(
      run.readings,
      "AUT-3:1",
      "Energy.Active.Import.Register",
      time,
    );
    expect(energy.value).toBeCloseTo(12345, 9);
    expect(energy.unit).toBe("Wh");
    expect(energy.quality).toBe("measured");
    const frequency = pick(run.readings, "AUT-3:1", "Frequency", time);
    expect(frequency.value).toBe(50.01);
    expect(frequency.unit).toBe("Hz");
    expect(frequency.quality).toBe("estimated");
  });

  it("reports one diagnostic per station and measurand", async () => {
    const twice = `${frame}\n${frame.replace('"m-55"', '"m-56"')}`;
    const run = await runThroughPipeline(
      convertFrames(twice, { version: "2.0.1", identity: "AUT-3" }),
    );
    const assumed = run.diagnostics.filter(
      (d) => d.code === "QUBIT_OCPP_UNIT_ASSUMED",
    );
    expect(assumed.map((d) => d.message).sort()).toEqual([
      "unitOfMeasure missing for Current.Import, assumed A",
      "unitOfMeasure missing for Frequency, assumed Hz",
      "unitOfMeasure missing for Power.Active.Import, assumed W",
    ]);
    expect(assumed[0]?.location?.address).toBe("AUT-3");
  });
});

describe("C10 omitted measurand, unknown measurands, signed values", () => {
  const frames = [
    '[2,"d1","MeterValues",{"connectorId":2,"meterValue":[{"timestamp":"2025-05-06T08:00:00Z","sampledValue":[{"value":"10840"}]}]}]',
    '[2,"d2","MeterValues",{"connectorId":2,"meterValue":[{"timestamp":"2025-05-06T08:00:00Z","sampledValue":[{"value":"1200","measurand":"RPM"},{"value":"6.5","measurand":"Power.Offered","unit":"kW"}]}]}]',
    '[2,"d3","StopTransaction",{"transactionId":310,"meterStop":11020,"timestamp":"2025-05-06T08:30:00Z","reason":"EVDisconnected","transactionData":[{"timestamp":"2025-05-06T08:30:00Z","sampledValue":[{"value":"T0NNRnx7IkZWIjoiMS4wIn18e30=","format":"SignedData","context":"Transaction.End"}]}]}]',
  ].join("\n");

  it("maps each sample to the right metric", async () => {
    const messages = [
      ...convertFrames(frames, {
        version: "1.6",
        identity: "CP-110",
        state: withTransaction("CP-110", "310", 2),
      }),
    ];
    const run = await runThroughPipeline(messages);
    const energy = "Energy.Active.Import.Register";
    const start = pick(
      run.readings,
      "CP-110:2",
      energy,
      "2025-05-06T08:00:00.000Z",
    );
    expect(start.value).toBe(10840);
    expect(start.unit).toBe("Wh");
    expect(start.quality).toBe("measured");
    const offered = pick(run.readings, "CP-110:2", "Power.Offered");
    expect(offered.value).toBe(6500);
    expect(offered.unit).toBe("W");
    const stop = pick(
      run.readings,
      "CP-110:2",
      energy,
      "2025-05-06T08:30:00.000Z",
    );
    expect(stop.value).toBe(11020);
    expect(stop.quality).toBe("measured");
    const rpm = pick(run.readings, "CP-110:2", "RPM");
    expect(rpm.value).toBe(1200);
    const registers = run.readings.filter((r) => r.metric === energy);
    expect(registers.map((r) => r.value).sort()).toEqual([10840, 11020]);
  });

  it("keeps SignedData raw, never as a number", async () => {
    const run = await runThroughPipeline(
      convertFrames(frames, {
        version: "1.6",
        identity: "CP-110",
        state: withTransaction("CP-110", "310", 2),
      }),
    );
    for (const reading of run.readings) {
      expect(reading.value).not.toBe(0);
      expect(Number.isNaN(reading.value)).toBe(false);
    }
    const stop = pick(
      run.readings,
      "CP-110:2",
      "Energy.Active.Import.Register",
      "2025-05-06T08:30:00.000Z",
    );
    const signed = stop.metadata?.signed_data as { value: unknown }[];
    expect(signed[0]?.value).toBe("T0NNRnx7IkZWIjoiMS4wIn18e30=");
  });

  it("answers StopTransaction with a CALLRESULT", async () => {
    const messages = [
      ...convertFrames(frames, {
        version: "1.6",
        identity: "CP-110",
        state: withTransaction("CP-110", "310", 2),
      }),
    ];
    const stop = messages[2];
    expect(stop?.kind).toBe("StopTransaction");
    expect(stop?.convert().rejects).toEqual([]);
  });
});

describe("C16 per-phase samples and L1-N on current and power", () => {
  const frame =
    `[2,"p1","MeterValues",{"connectorId":1,"transactionId":431,"meterValue":[{"timestamp":"2024-10-29T20:50:14Z","sampledValue":[
    {"value":"229.80","context":"Trigger","measurand":"Voltage","phase":"L1-N","location":"Body","unit":"V"},
    {"value":"15.40","context":"Trigger","measurand":"Current.Import","phase":"L1-N","location":"Body","unit":"A"},
    {"value":"3.54","context":"Trigger","measurand":"Power.Active.Import","phase":"L1-N","location":"Body","unit":"kW"},
    {"value":"0.00","context":"Trigger","measurand":"Current.Import","phase":"L2-N","location":"Body","unit":"A"},
    {"value":"0.00","context":"Trigger","measurand":"Current.Import","phase":"L3-N","location":"Body","unit":"A"},
    {"value":"1804417","context":"Trigger","measurand":"Energy.Active.Import.Register","location":"Body","unit":"Wh"},
    {"value":"16.00","context":"Trigger","measurand":"Current.Offered","location":"Body","unit":"A"}]}]}]`.replace(
      /\n\s*/g,
      "",
    );

  it("normalises phases and converts kW", async () => {
    const run = await runThroughPipeline(
      convertFrames(frame, {
        version: "1.6",
        identity: "JV-4",
        state: withTransaction("JV-4", "431", 1),
      }),
    );
    const expected: [string, number, string][] = [
      ["Voltage.L1-N", 229.8, "V"],
      ["Current.Import.L1", 15.4, "A"],
      ["Current.Import.L2", 0, "A"],
      ["Current.Import.L3", 0, "A"],
      ["Power.Active.Import.L1", 3540, "W"],
      ["Energy.Active.Import.Register", 1804417, "Wh"],
      ["Current.Offered", 16, "A"],
    ];
    expect(run.readings).toHaveLength(expected.length);
    for (const [metric, value, unit] of expected) {
      const reading = pick(
        run.readings,
        "JV-4:1",
        metric,
        "2024-10-29T20:50:14.000Z",
      );
      expect(reading.value).toBeCloseTo(value, 9);
      expect(reading.unit).toBe(unit);
      expect(reading.quality).toBe("measured");
      expect(reading.metadata?.transaction_id).toBe("431");
    }
    expect(
      run.readings.some(
        (r) => r.metric.endsWith("-N") && r.metric.startsWith("Current"),
      ),
    ).toBe(false);
  });
});
