import { describe, expect, it } from "vitest";
import { convertFrames } from "../src/convert.js";
import { whyNotNumber } from "../src/meter/repeated-samples.js";
import { pick, runThroughPipeline } from "./helpers/pipeline.js";

// One measurand listed more than once in a meter value, and values that
// are not numbers. A readable value is never lost to an unreadable one,
// each unreadable value is reported with its index, and the diagnostics
// say what was stored.

const TIME = "2024-01-01T00:00:00.000Z";

function meterValues(id: string, samples: object[]): string {
  return JSON.stringify([
    2,
    id,
    "MeterValues",
    {
      connectorId: 1,
      meterValue: [
        { timestamp: "2024-01-01T00:00:00Z", sampledValue: samples },
      ],
    },
  ]);
}

async function convert(frames: string[]) {
  const messages = [
    ...convertFrames(frames.join("\n"), {
      version: "1.6",
      identity: "CP-R",
      now: () => Date.parse("2024-01-01T00:00:05Z"),
    }),
  ];
  const run = await runThroughPipeline(messages);
  return { ...run, messages };
}

describe("unreadable values next to a readable one", () => {
  it("keeps the readable 12 and rejects the others with their index", async () => {
    const run = await convert([
      meterValues("m10", [
        { value: "0x10" },
        { value: " 12 " },
        { value: "1,5" },
        { value: "" },
      ]),
    ]);
    const register = pick(
      run.readings,
      "CP-R:1",
      "Energy.Active.Import.Register",
      TIME,
    );
    expect(register.value).toBe(12);
    expect(register.quality).toBe("measured");
    expect(run.readings).toHaveLength(1);

    const fields = run.deadLetters.map((letter) => letter.location.field);
    expect(fields).toEqual([
      "/meterValue/0/sampledValue/0/value",
      "/meterValue/0/sampledValue/2/value",
      "/meterValue/0/sampledValue/3/value",
    ]);
    for (const letter of run.deadLetters) {
      expect(letter.code).toBe("QUBIT_OCPP_VALUE_NOT_NUMBER");
      expect(letter.reason).toMatch(/dropped; sampledValue 1 .* gives 12 Wh/);
    }
    expect(run.deadLetters[2]?.reason).toMatch(/sampledValue 3 \("": empty\)/);
    expect(run.deadLetters[1]?.reason).toMatch(/decimal comma/);
    // Nothing claims an error reading that was never stored.
    expect(
      run.diagnostics.filter((d) => d.code === "QUBIT_OCPP_VALUE_NOT_NUMBER"),
    ).toEqual([]);
  });

  it("keeps the readable value whatever its position", async () => {
    const run = await convert([
      meterValues("m11", [
        { value: "230.5", measurand: "Voltage", unit: "V" },
        { value: "n/a", measurand: "Voltage", unit: "V" },
      ]),
    ]);
    expect(pick(run.readings, "CP-R:1", "Voltage", TIME).value).toBe(230.5);
    expect(run.deadLetters).toHaveLength(1);
    expect(run.deadLetters[0]?.location.field).toBe(
      "/meterValue/0/sampledValue/1/value",
    );
  });
});

describe("unreadable values alone", () => {
  it("stores one error reading and says so", async () => {
    const run = await convert([
      meterValues("m12", [{ value: "abc", measurand: "Voltage", unit: "V" }]),
    ]);
    const voltage = pick(run.readings, "CP-R:1", "Voltage", TIME);
    expect(voltage.value).toBeNull();
    expect(voltage.quality).toBe("error");
    expect(voltage.metadata?.raw_value).toBe("abc");
    const diagnostic = run.diagnostics.find(
      (d) => d.code === "QUBIT_OCPP_VALUE_NOT_NUMBER",
    );
    expect(diagnostic?.message).toMatch(
      /sampledValue 0 \("abc": not a decimal number\); stored as one error reading/,
    );
    expect(run.deadLetters).toEqual([]);
  });

  it("stores one error reading for several and lists them", async () => {
    const run = await convert([
      meterValues("m13", [{ value: "x" }, { value: "1e400" }]),
    ]);
    const register = pick(
      run.readings,
      "CP-R:1",
      "Energy.Active.Import.Register",
      TIME,
    );
    expect(register.value).toBeNull();
    expect(register.quality).toBe("error");
    expect(register.metadata?.unreadable_values).toEqual([
      { sampled_value: 0, value: "x" },
      { sampled_value: 1, value: "1e400" },
    ]);
    const diagnostic = run.diagnostics.find(
      (d) => d.code === "QUBIT_OCPP_VALUE_NOT_NUMBER",
    );
    expect(diagnostic?.message).toMatch(/overflows a 64-bit float/);
  });
});

describe("readable values that differ", () => {
  it("keeps the highest register and lists the other", async () => {
    const run = await convert([
      meterValues("m14", [
        { value: "0", measurand: "Energy.Active.Import.Register", unit: "Wh" },
        { value: "230", measurand: "Voltage", unit: "V" },
        {
          value: "1244",
          measurand: "Energy.Active.Import.Register",
          unit: "Wh",
        },
      ]),
    ]);
    const register = pick(
      run.readings,
      "CP-R:1",
      "Energy.Active.Import.Register",
      TIME,
    );
    expect(register.value).toBe(1244);
    expect(register.quality).toBe("estimated");
    expect(register.metadata?.conflicting_values).toEqual([
      { value: 0, unit: "Wh", sampled_value: 0 },
    ]);
    const diagnostic = run.diagnostics.find(
      (d) => d.code === "QUBIT_OCPP_SAMPLE_CONFLICT",
    );
    expect(diagnostic?.message).toMatch(
      /kept 1244 Wh \(sampledValue 2, the highest.*0 Wh \(sampledValue 0\)/,
    );
    expect(pick(run.readings, "CP-R:1", "Voltage", TIME).quality).toBe(
      "measured",
    );
  });

  it("keeps the first of other measurands", async () => {
    const run = await convert([
      meterValues("m15", [
        { value: "231", measurand: "Voltage", unit: "V" },
        { value: "229", measurand: "Voltage", unit: "V" },
      ]),
    ]);
    const voltage = pick(run.readings, "CP-R:1", "Voltage", TIME);
    expect(voltage.value).toBe(231);
    expect(voltage.quality).toBe("estimated");
    expect(voltage.metadata?.conflicting_values).toEqual([
      { value: 229, unit: "V", sampled_value: 1 },
    ]);
  });

  it("treats one quantity in two units as no conflict", async () => {
    const run = await convert([
      meterValues("m16", [
        { value: "1.5", unit: "kWh" },
        { value: "1500", unit: "Wh" },
      ]),
    ]);
    const register = pick(
      run.readings,
      "CP-R:1",
      "Energy.Active.Import.Register",
      TIME,
    );
    expect(register.value).toBe(1500);
    expect(register.quality).toBe("measured");
    expect(run.diagnostics).toEqual([]);
  });
});

describe("reasons a value is not a number", () => {
  it("names each kind", () => {
    expect(whyNotNumber("")).toBe("empty");
    expect(whyNotNumber("1e400")).toBe("overflows a 64-bit float");
    expect(whyNotNumber("NaN")).toBe("not a finite number");
    expect(whyNotNumber("-Infinity")).toBe("not a finite number");
    expect(whyNotNumber("1,5")).toMatch(/decimal comma/);
    expect(whyNotNumber("0x10")).toBe("not a decimal number");
    expect(whyNotNumber(undefined)).toBe("the value is missing");
    expect(whyNotNumber(true)).toBe("a JSON boolean, not a number");
  });
});
