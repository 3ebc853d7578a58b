import { createTimestampParser } from "@qubit/core";
import type { FieldDecision, Route } from "../mapping/mapping.js";
import { baseMapping } from "../mapping/rules.js";
import { compileSource } from "../mapping/source.js";
import { parseFilter } from "../topic/filter.js";
import { keep, lastWord, type PresetOptions } from "./common.js";

// Units of the ENERGY object and the common sensors in Tasmota's SENSOR
// telemetry: the day and total counters are kWh, Period is Wh.
const UNITS: Record<string, string> = {
  Total: "kWh",
  Yesterday: "kWh",
  Today: "kWh",
  ExportActive: "kWh",
  ImportActive: "kWh",
  Period: "Wh",
  Power: "W",
  ActivePower: "W",
  ApparentPower: "VA",
  ReactivePower: "var",
  Factor: "",
  Voltage: "V",
  Current: "A",
  Frequency: "Hz",
  Temperature: "celsius",
  DewPoint: "celsius",
  Humidity: "%",
  Pressure: "hPa",
  Illuminance: "lux",
  CarbonDioxide: "ppm",
  UptimeSec: "s",
};

const SKIPPED_KEYS = new Set([
  "Time",
  "TotalStartTime",
  "TempUnit",
  "PressureUnit",
  "Id",
]);

function tasmotaField(name: string): FieldDecision | undefined {
  const key = lastWord(name);
  if (SKIPPED_KEYS.has(key)) return undefined;
  const unit = UNITS[key];
  return unit === undefined ? keep(name) : keep(name, unit);
}

function stateField(name: string): FieldDecision | undefined {
  if (/^POWER\d*$/.test(name)) return keep(name);
  if (name === "UptimeSec") return keep(name, "s");
  return undefined;
}

/**
 * Routes of the `tasmota` preset: tele/<device>/SENSOR and STATE, and the
 * stat/<device>/STATUS8 and STATUS10 replies. Tasmota writes its local
 * time without an offset, ISO 8601 in current firmware and
 * `YYYY.MM.DD hh:mm:ss` in firmware of 2018; it is read in the preset's
 * timezone (default UTC).
 */
export function tasmotaRoutes(options: PresetOptions): Route[] {
  const timezone = options.timezone ?? "UTC";
  const iso = createTimestampParser({ format: "auto", timezone });
  const dotted = createTimestampParser({
    format: "%Y.%m.%d %H:%M:%S",
    timezone,
  });
  const parseTimestamp = (raw: string | number): number => {
    if (typeof raw === "string" && /^\d{4}\.\d{2}\.\d{2}/.test(raw))
      return dotted.parse(raw);
    return iso.parse(raw);
  };
  const asset_id = compileSource("{1}");
  return [
    {
      name: "preset tasmota (SENSOR)",
      filter: parseFilter("tele/+/SENSOR"),
      mapping: baseMapping({
        format: "json",
        asset_id,
        timestamp: compileSource("$.Time"),
        parseTimestamp,
        field: tasmotaField,
      }),
    },
    {
      name: "preset tasmota (STATE)",
      filter: parseFilter("tele/+/STATE"),
      mapping: baseMapping({
        format: "json",
        asset_id,
        timestamp: compileSource("$.Time"),
        parseTimestamp,
        field: stateField,
      }),
    },
    {
      name: "preset tasmota (STATUS)",
      filter: parseFilter("stat/+/+"),
      mapping: baseMapping({
        format: "json",
        asset_id,
        root: ["StatusSNS"],
        timestamp: compileSource("$.StatusSNS.Time"),
        parseTimestamp,
        field: tasmotaField,
        checkTopic: (topic) =>
          /\/STATUS(8|10)$/.test(topic) ? undefined : "skip",
      }),
    },
    {
      name: "preset tasmota (other)",
      filter: parseFilter("tele/+/+"),
      mapping: baseMapping({ checkTopic: () => "skip" }),
    },
  ];
}
