/**
 * The unit table: every unit the product knows, its canonical spelling,
 * its dimension, and the factor that converts it to the dimension's base
 * unit. Canonical spellings follow the Qubit v0.1 `measurement_unit` enum
 * where it has the unit (`kW`, `celsius`, `percent`); the others use SI
 * or IEC spelling (`var`, `kvarh`, `VA`).
 */

/** A physical dimension; units convert only within one dimension. */
export type Dimension =
  | "power"
  | "energy"
  | "reactive_power"
  | "reactive_energy"
  | "apparent_power"
  | "apparent_energy"
  | "voltage"
  | "current"
  | "frequency"
  | "temperature"
  | "ratio"
  | "irradiance"
  | "pressure"
  | "speed"
  | "volume"
  | "volume_flow"
  | "charge"
  | "duration"
  | "angle"
  | "illuminance"
  | "concentration"
  | "count"
  | "boolean"
  | "dimensionless"
  | "mass";

/** One unit of the table. */
export interface UnitDefinition {
  /** The spelling readings carry. */
  canonical: string;
  dimension: Dimension;
  /** Multiply by this to get the base unit (after `offset` is added). */
  factor: number;
  /** Added before `factor` applies; only temperatures have one. */
  offset?: number;
  /** Spellings devices and files really send for this unit. */
  aliases: readonly string[];
}

const unit = (
  canonical: string,
  dimension: Dimension,
  factor: number,
  aliases: readonly string[] = [],
  offset?: number,
): UnitDefinition =>
  offset === undefined
    ? { canonical, dimension, factor, aliases }
    : { canonical, dimension, factor, aliases, offset };

/** The base unit of each dimension: readings are converted to it. */
export const BASE_UNITS: Readonly<Record<Dimension, string>> = {
  power: "W",
  energy: "Wh",
  reactive_power: "var",
  reactive_energy: "varh",
  apparent_power: "VA",
  apparent_energy: "VAh",
  voltage: "V",
  current: "A",
  frequency: "Hz",
  temperature: "celsius",
  ratio: "percent",
  irradiance: "W/m2",
  pressure: "pascal",
  speed: "m/s",
  volume: "m3",
  volume_flow: "m3/h",
  charge: "Ah",
  duration: "s",
  angle: "degree",
  illuminance: "lux",
  concentration: "ppm",
  count: "count",
  boolean: "boolean",
  dimensionless: "dimensionless",
  mass: "kg",
};

export const UNIT_TABLE: readonly UnitDefinition[] = [
  unit("mW", "power", 1e-3, ["milliwatt"]),
  unit("W", "power", 1, ["w", "Watt", "watt", "Watts", "watts"]),
  unit("kW", "power", 1e3, ["KW", "kw", "Kw", "kilowatt", "kilowatts"]),
  unit("MW", "power", 1e6, ["megawatt", "megawatts"]),
  unit("GW", "power", 1e9, ["gigawatt"]),

  unit("mWh", "energy", 1e-3, ["milliwatt-hour"]),
  unit("Wh", "energy", 1, ["wh", "WH", "Watt-hour", "watt-hour", "Whr"]),
  unit("Wmin", "energy", 1 / 60, ["W·min", "watt-minute"]),
  unit("kWh", "energy", 1e3, ["KWh", "kwh", "KWH", "kWH", "Kwh", "kW h"]),
  unit("MWh", "energy", 1e6, ["MWH"]),
  unit("GWh", "energy", 1e9, ["GWH"]),
  unit("J", "energy", 1 / 3600, ["joule"]),
  unit("kJ", "energy", 1 / 3.6, ["KJ"]),
  unit("MJ", "energy", 1e3 / 3.6, []),

  unit("var", "reactive_power", 1, ["VAr", "VAR", "Var", "VAR(L)"]),
  unit("kvar", "reactive_power", 1e3, ["kVAr", "kVAR", "KVAR", "kVar", "Kvar"]),
  unit("Mvar", "reactive_power", 1e6, ["MVAr", "MVAR"]),
  unit("varh", "reactive_energy", 1, ["VArh", "VARh", "Varh", "VARH"]),
  unit("kvarh", "reactive_energy", 1e3, ["kVArh", "kVARh", "KVARH", "kVarh"]),
  unit("Mvarh", "reactive_energy", 1e6, ["MVArh", "MVARh"]),

  unit("VA", "apparent_power", 1, ["va"]),
  unit("kVA", "apparent_power", 1e3, ["KVA", "kva", "kVa"]),
  unit("MVA", "apparent_power", 1e6, []),
  unit("VAh", "apparent_energy", 1, ["vah", "VAH"]),
  unit("kVAh", "apparent_energy", 1e3, ["KVAh", "kvah", "KVAH"]),

  unit("mV", "voltage", 1e-3, ["millivolt"]),
  unit("V", "voltage", 1, [
    "v",
    "Volt",
    "volt",
    "Volts",
    "volts",
    "VAC",
    "VDC",
    "V DC",
    "V AC",
  ]),
  unit("kV", "voltage", 1e3, ["KV", "kv"]),

  unit("mA", "current", 1e-3, ["milliampere"]),
  unit("A", "current", 1, [
    "a",
    "Amp",
    "amp",
    "Amps",
    "amps",
    "Ampere",
    "ampere",
    "A DC",
    "A AC",
  ]),
  unit("kA", "current", 1e3, ["KA"]),

  unit("Hz", "frequency", 1, ["hz", "HZ", "Hertz", "hertz"]),
  unit("kHz", "frequency", 1e3, ["KHz", "khz"]),

  unit(
    "celsius",
    "temperature",
    1,
    [
      "Celsius",
      "Celcius",
      "celcius",
      "°C",
      "degC",
      "deg C",
      "℃",
      "C",
      "°c",
      "DegC",
      "degrees C",
    ],
    0,
  ),
  unit(
    "fahrenheit",
    "temperature",
    5 / 9,
    ["Fahrenheit", "°F", "degF", "deg F", "℉", "F", "DegF"],
    -32,
  ),
  unit("kelvin", "temperature", 1, ["K", "Kelvin"], -273.15),

  unit("percent", "ratio", 1, [
    "%",
    "Percent",
    "pct",
    "PCT",
    "%RH",
    "% RH",
    "%rh",
  ]),
  unit("permille", "ratio", 0.1, ["‰"]),

  unit("W/m2", "irradiance", 1, ["W/m²", "W/m^2", "Wm2", "W/sqm", "w/m2"]),
  unit("kW/m2", "irradiance", 1e3, ["kW/m²", "kW/m^2"]),

  unit("pascal", "pressure", 1, ["Pa", "pa"]),
  unit("hPa", "pressure", 100, ["hpa", "mbar"]),
  unit("kPa", "pressure", 1e3, ["kpa"]),
  unit("bar", "pressure", 1e5, ["Bar"]),
  unit("psi", "pressure", 6894.757293168, ["PSI"]),

  unit("m/s", "speed", 1, ["m s-1", "mps"]),
  unit("km/h", "speed", 1 / 3.6, ["kmh", "kph"]),
  unit("mph", "speed", 0.44704, []),

  unit("m3", "volume", 1, ["m³", "m^3", "M3", "cbm"]),
  unit("L", "volume", 1e-3, ["l", "liter", "litre", "liters", "litres"]),
  unit("m3/h", "volume_flow", 1, ["m³/h", "m^3/h"]),
  unit("L/min", "volume_flow", 0.06, ["l/min"]),

  unit("mAh", "charge", 1e-3, []),
  unit("Ah", "charge", 1, ["ah", "AH"]),

  unit("ms", "duration", 1e-3, ["millisecond", "milliseconds"]),
  unit("s", "duration", 1, ["sec", "secs", "second", "seconds"]),
  unit("min", "duration", 60, ["minute", "minutes"]),
  unit("h", "duration", 3600, ["hr", "hour", "hours"]),
  unit("d", "duration", 86400, ["day", "days"]),

  unit("degree", "angle", 1, ["°", "deg", "Deg", "degrees"]),
  unit("radian", "angle", 180 / Math.PI, ["rad"]),
  unit("lux", "illuminance", 1, ["lx", "Lux"]),
  unit("ppm", "concentration", 1, ["PPM"]),
  unit("kg", "mass", 1, ["kilogram"]),
  unit("g", "mass", 1e-3, ["gram"]),
  unit("t", "mass", 1e3, ["tonne"]),
  unit("count", "count", 1, ["pcs", "#"]),
  unit("boolean", "boolean", 1, ["bool"]),
  unit("dimensionless", "dimensionless", 1, [
    "-",
    "1",
    "PF",
    "pf",
    "cos phi",
    "cosφ",
  ]),
];
