import type { FieldDecision, Route } from "../mapping/mapping.js";
import { baseMapping } from "../mapping/rules.js";
import { compileSource } from "../mapping/source.js";
import { parseFilter } from "../topic/filter.js";
import { keep, lastWord, type PresetOptions, trimBase } from "./common.js";

// Units of the exposes that Zigbee2MQTT documents for metering plugs and
// climate sensors: energy in kWh, power in W.
const UNITS: Record<string, string> = {
  power: "W",
  energy: "kWh",
  produced_energy: "kWh",
  voltage: "V",
  current: "A",
  frequency: "Hz",
  power_factor: "",
  temperature: "celsius",
  device_temperature: "celsius",
  local_temperature: "celsius",
  humidity: "%",
  soil_moisture: "%",
  battery: "%",
  pressure: "hPa",
  illuminance: "lux",
  illuminance_lux: "lux",
  co2: "ppm",
  voltage_a: "V",
  voltage_b: "V",
  voltage_c: "V",
  current_a: "A",
  current_b: "A",
  current_c: "A",
  power_a: "W",
  power_b: "W",
  power_c: "W",
};

const SKIPPED = new Set(["last_seen", "update_available", "elapsed"]);

function zigbeeField(name: string): FieldDecision | undefined {
  if (name.startsWith("update.") || SKIPPED.has(name)) return undefined;
  const key = lastWord(name);
  const unit = UNITS[key];
  return unit === undefined ? keep(name) : keep(name, unit);
}

/**
 * Routes of the `zigbee2mqtt` preset: `<base>/<friendly name>` JSON
 * state of each device (the friendly name may contain slashes), with
 * `last_seen` as the timestamp when the bridge adds it. Bridge topics and
 * the /set, /get and /availability topics are skipped.
 */
export function zigbee2mqttRoutes(options: PresetOptions): Route[] {
  const base = trimBase(options.base_topic ?? "zigbee2mqtt");
  return [
    {
      name: "preset zigbee2mqtt",
      filter: parseFilter(`${base}/#`),
      mapping: baseMapping({
        format: "json",
        asset_id: compileSource("{1}"),
        timestampKeys: ["last_seen"],
        field: zigbeeField,
        checkTopic: (topic) =>
          topic.startsWith(`${base}/bridge/`) ||
          /\/(set|get|availability)(\/.*)?$/.test(topic)
            ? "skip"
            : undefined,
      }),
    },
  ];
}
