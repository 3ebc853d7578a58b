import type { OcppVersion } from "../versions.js";

/** The measurand a sampled value without one stands for, in both versions. */
export const DEFAULT_MEASURAND = "Energy.Active.Import.Register";

const COMMON = [
  "Current.Export",
  "Current.Import",
  "Current.Offered",
  "Energy.Active.Export.Register",
  "Energy.Active.Import.Register",
  "Energy.Reactive.Export.Register",
  "Energy.Reactive.Import.Register",
  "Energy.Active.Export.Interval",
  "Energy.Active.Import.Interval",
  "Energy.Reactive.Export.Interval",
  "Energy.Reactive.Import.Interval",
  "Frequency",
  "Power.Active.Export",
  "Power.Active.Import",
  "Power.Factor",
  "Power.Offered",
  "Power.Reactive.Export",
  "Power.Reactive.Import",
  "SoC",
  "Voltage",
];

/** Measurands each version defines (OCPP 1.6 and 2.0.1 JSON schemas). */
export const MEASURANDS: Readonly<Record<OcppVersion, ReadonlySet<string>>> = {
  "1.6": new Set([...COMMON, "Temperature", "RPM"]),
  "2.0.1": new Set([
    ...COMMON,
    "Energy.Active.Net",
    "Energy.Reactive.Net",
    "Energy.Apparent.Net",
    "Energy.Apparent.Import",
    "Energy.Apparent.Export",
  ]),
};

const LOWER_CASE_INDEX = new Map<string, string>();
for (const set of Object.values(MEASURANDS)) {
  for (const name of set) LOWER_CASE_INDEX.set(name.toLowerCase(), name);
}

/** Returns the standard spelling of a measurand written in another case. */
export function standardMeasurand(name: string): string | undefined {
  return LOWER_CASE_INDEX.get(name.toLowerCase());
}

/**
 * Returns the unit a measurand is reported in when a charger leaves the
 * unit out, and whether the specification defines that default. Both
 * versions define `Wh` for energy only; the others are the SI unit of the
 * quantity, an assumption the reading is marked with. Power factor and
 * RPM have no unit.
 */
export function impliedUnit(
  measurand: string,
): { unit: string; defined: boolean } | undefined {
  if (measurand.startsWith("Energy.Reactive."))
    return { unit: "varh", defined: false };
  if (measurand.startsWith("Energy.Apparent."))
    return { unit: "VAh", defined: false };
  if (measurand.startsWith("Energy.")) return { unit: "Wh", defined: true };
  if (measurand === "Power.Factor") return { unit: "", defined: true };
  if (measurand.startsWith("Power.Reactive."))
    return { unit: "var", defined: false };
  if (measurand.startsWith("Power.")) return { unit: "W", defined: false };
  if (measurand.startsWith("Current.")) return { unit: "A", defined: false };
  if (measurand === "Voltage") return { unit: "V", defined: false };
  if (measurand === "Frequency") return { unit: "Hz", defined: false };
  if (measurand === "Temperature") return { unit: "Celsius", defined: false };
  if (measurand === "SoC") return { unit: "Percent", defined: false };
  if (measurand === "RPM") return { unit: "", defined: true };
  return undefined;
}

/** Returns the dimension a measurand's value must have (core unit dimensions). */
export function expectedDimension(measurand: string): string | undefined {
  if (measurand.startsWith("Energy.Reactive.")) return "reactive_energy";
  if (measurand.startsWith("Energy.Apparent.")) return "apparent_energy";
  if (measurand.startsWith("Energy.")) return "energy";
  if (measurand === "Power.Factor") return undefined;
  if (measurand.startsWith("Power.Reactive.")) return "reactive_power";
  if (measurand.startsWith("Power.")) return "power";
  if (measurand.startsWith("Current.")) return "current";
  if (measurand === "Voltage") return "voltage";
  if (measurand === "Frequency") return "frequency";
  if (measurand === "Temperature") return "temperature";
  if (measurand === "SoC") return "ratio";
  return undefined;
}

/**
 * Returns the phase used in the metric name. Current, power and energy
 * flow in a line conductor, so `L1-N` on them means `L1`; voltage is
 * measured between two conductors and keeps `L1-N`.
 */
export function metricPhase(measurand: string, phase: string): string {
  const match = /^(L[123])-N$/.exec(phase);
  if (
    match?.[1] &&
    (measurand.startsWith("Current.") ||
      measurand.startsWith("Power.") ||
      measurand.startsWith("Energy."))
  ) {
    return match[1];
  }
  return phase;
}
