import { describe, expect, it } from "vitest";
import {
  canonicalUnit,
  convertUnit,
  isKnownUnit,
  lookupUnit,
  toBaseUnit,
  UnitError,
} from "../src/index.js";

describe("canonicalUnit", () => {
  it.each([
    ["kW", "kW"],
    ["KW", "kW"],
    ["kw", "kW"],
    ["Wh", "Wh"],
    ["kWh", "kWh"],
    ["KWH", "kWh"],
    ["var", "var"],
    ["kvar", "kvar"],
    ["kVAr", "kvar"],
    ["VA", "VA"],
    ["kVA", "kVA"],
    ["varh", "varh"],
    ["kvarh", "kvarh"],
    ["V", "V"],
    ["A", "A"],
    ["Hz", "Hz"],
    ["Hertz", "Hz"],
    ["Celsius", "celsius"],
    ["Celcius", "celsius"],
    ["degC", "celsius"],
    ["°C", "celsius"],
    ["K", "kelvin"],
    ["Fahrenheit", "fahrenheit"],
    ["%", "percent"],
    ["Percent", "percent"],
    ["m³", "m3"],
    [" W ", "W"],
  ])("spells %s as %s", (input, expected) => {
    expect(canonicalUnit(input)).toBe(expected);
  });

  it("keeps mW and MW apart", () => {
    expect(canonicalUnit("mW")).toBe("mW");
    expect(canonicalUnit("MW")).toBe("MW");
    expect(isKnownUnit("mw")).toBe(false);
    expect(isKnownUnit("mwh")).toBe(false);
  });

  it("leaves unknown units as given", () => {
    expect(canonicalUnit("RPM")).toBe("RPM");
    expect(lookupUnit("RPM")).toBeUndefined();
  });
});

describe("convertUnit", () => {
  it("converts within a dimension", () => {
    expect(convertUnit(1.5, "kWh", "Wh")).toBe(1500);
    expect(convertUnit(3.54, "kW", "W")).toBe(3540);
    expect(convertUnit(2500, "W", "kW")).toBe(2.5);
    expect(convertUnit(1, "MWh", "kWh")).toBe(1000);
    expect(convertUnit(12, "kvar", "var")).toBe(12000);
    expect(convertUnit(60, "Wmin", "Wh")).toBe(1);
  });

  it("converts temperatures with their offsets", () => {
    expect(convertUnit(212, "°F", "celsius")).toBe(100);
    expect(convertUnit(0, "celsius", "fahrenheit")).toBe(32);
    expect(convertUnit(273.15, "K", "celsius")).toBe(0);
    expect(convertUnit(25, "degC", "kelvin")).toBe(298.15);
  });

  it("rejects units of different dimensions", () => {
    expect(() => convertUnit(1, "kW", "kWh")).toThrow(UnitError);
    expect(() => convertUnit(1, "kW", "kWh")).toThrow(/power.*energy/);
  });

  it("rejects unknown units with the value", () => {
    expect(() => convertUnit(1, "furlong", "W")).toThrow(/furlong/);
  });
});

describe("toBaseUnit", () => {
  it("converts to the dimension's base unit", () => {
    expect(toBaseUnit(12.5, "kWh")).toEqual({
      value: 12500,
      unit: "Wh",
      converted: true,
    });
    expect(toBaseUnit(-1.4, "kW")).toEqual({
      value: -1400,
      unit: "W",
      converted: true,
    });
    expect(toBaseUnit(230, "V")).toEqual({
      value: 230,
      unit: "V",
      converted: false,
    });
  });

  it("keeps unknown units unchanged", () => {
    expect(toBaseUnit(1200, "RPM")).toEqual({
      value: 1200,
      unit: "RPM",
      converted: false,
    });
  });
});
