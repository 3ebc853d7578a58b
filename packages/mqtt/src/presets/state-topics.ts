import type { Route } from "../mapping/mapping.js";
import { baseMapping } from "../mapping/rules.js";
import { compileSource, type ValueSource } from "../mapping/source.js";
import { parseFilter } from "../topic/filter.js";
import { type PresetOptions, trimBase } from "./common.js";

/**
 * Returns the unit that a plain-value topic name implies in firmware that
 * reports energy in kWh (SolarAssistant, deye-inverter-mqtt), such as
 * `battery_power` (W) or `day_energy` (kWh), or `undefined` when the name
 * implies none.
 */
export function unitFromName(name: string): string | undefined {
  const word = name.toLowerCase();
  if (/state_of_charge|state_of_health|(^|_)soc($|_)|percent/.test(word))
    return "%";
  if (/energy/.test(word)) return "kWh";
  if (/power_factor/.test(word)) return "";
  if (/power/.test(word)) return "W";
  if (/voltage/.test(word)) return "V";
  if (/current/.test(word)) return "A";
  if (/freq/.test(word)) return "Hz";
  if (/temp/.test(word)) return "celsius";
  if (/capacity/.test(word)) return "Ah";
  return undefined;
}

function unitOfLevel(index: number): ValueSource {
  return {
    source: "unit implied by the topic level name",
    fromPayload: false,
    read: (context) => unitFromName(context.topic.split("/")[index] ?? ""),
  };
}

/**
 * Routes of the `solar_assistant` preset:
 * `solar_assistant/<device>/<name>/state` plain values.
 */
export function solarAssistantRoutes(options: PresetOptions): Route[] {
  const base = trimBase(options.base_topic ?? "solar_assistant");
  const depth = base.split("/").length;
  return [
    {
      name: "preset solar_assistant",
      filter: parseFilter(`${base}/+/+/state`),
      mapping: baseMapping({
        format: "text",
        asset_id: compileSource("{1}"),
        metric: compileSource("{2}"),
        unit: unitOfLevel(depth + 1),
        checkTopic: (topic) =>
          topic.startsWith(`${base}/set/`) ? "skip" : undefined,
      }),
    },
    {
      name: "preset solar_assistant (other)",
      filter: parseFilter(`${base}/#`),
      mapping: baseMapping({ checkTopic: () => "skip" }),
    },
  ];
}

const ESPHOME_COMPONENTS = new Set([
  "sensor",
  "binary_sensor",
  "switch",
  "text_sensor",
  "number",
  "select",
]);

/**
 * Routes of the `esphome` preset: `<node>/<component>/<name>/state`
 * plain values. NOTE: ESPHome publishes units only in Home Assistant
 * discovery messages, which this preset does not read. Its readings
 * carry no unit; add a rule with `unit` where one is needed.
 */
export function esphomeRoutes(_options: PresetOptions): Route[] {
  return [
    {
      name: "preset esphome",
      filter: parseFilter("+/+/+/state"),
      mapping: baseMapping({
        format: "text",
        asset_id: compileSource("{1}"),
        metric: compileSource("{3}"),
        checkTopic: (topic) =>
          ESPHOME_COMPONENTS.has(topic.split("/")[1] ?? "")
            ? undefined
            : "skip",
      }),
    },
  ];
}

/**
 * Routes of the `deye` preset (deye-inverter-mqtt):
 * `deye/<group>/.../<name>` plain values; energy counters are kWh.
 */
export function deyeRoutes(options: PresetOptions): Route[] {
  const base = trimBase(options.base_topic ?? "deye");
  return [
    {
      name: "preset deye",
      filter: parseFilter(`${base}/#`),
      mapping: baseMapping({
        format: "text",
        asset_id: compileSource(base),
        metric: {
          source: "levels after the base topic",
          fromPayload: false,
          read: (context) => context.wildcards[0]?.replaceAll("/", "."),
        },
        unit: {
          source: "unit implied by the last level",
          fromPayload: false,
          read: (context) =>
            unitFromName(
              context.topic.slice(context.topic.lastIndexOf("/") + 1),
            ),
        },
        checkTopic: (topic) =>
          /\/(status|logger_status|settings)(\/.*)?$/.test(topic) ||
          topic.includes("/cmd/")
            ? "skip"
            : undefined,
      }),
    },
  ];
}
