import type { FieldDecision, Route } from "../mapping/mapping.js";
import { baseMapping } from "../mapping/rules.js";
import { compileSource } from "../mapping/source.js";
import { parseFilter } from "../topic/filter.js";
import { keep, lastWord, type PresetOptions, trimBase } from "./common.js";

// Shelly Gen1 devices publish one plain value per topic under
// shellies/<device id>/...; units follow the Gen1 MQTT API: energy
// counters "energy" and "returned_energy" in watt-minutes, "total" and
// "total_returned" in Wh.
const GEN1_UNITS: Record<string, string> = {
  power: "W",
  reactive_power: "var",
  voltage: "V",
  current: "A",
  pf: "",
  energy: "Wmin",
  returned_energy: "Wmin",
  total: "Wh",
  total_returned: "Wh",
  temperature: "celsius",
  overpower_value: "W",
};

// Gen2+ components that report measurements; sys, wifi, cloud, ui and
// the like are skipped.
const MEASURING_COMPONENT =
  /^(switch|em|emdata|em1|em1data|pm1|temperature|humidity|input|devicepower|voltmeter|illuminance|cover|light):\d+$/;

const GEN1_SKIPPED = new Set([
  "announce",
  "info",
  "command",
  "temperature_f",
  "set",
]);

/**
 * Maps a Shelly Gen2/Gen3 status field (`apower`, `a_act_power`,
 * `aenergy.total`, `temperature.tC`) to its unit, or `undefined` to skip
 * fields that are not measurements (ids, error lists, per-minute arrays).
 */
export function shellyGen2Field(name: string): FieldDecision | undefined {
  const key = lastWord(name);
  if (
    key === "id" ||
    key === "tF" ||
    key === "errors" ||
    key === "flags" ||
    key === "source" ||
    key === "minute_ts" ||
    key === "user_calibrated_phase" ||
    name.includes("by_minute") ||
    name.startsWith("events") ||
    name.includes(".errors")
  )
    return undefined;
  if (key === "apower" || key.endsWith("act_power")) return keep(name, "W");
  if (key.endsWith("aprt_power")) return keep(name, "VA");
  if (key === "current" || key.endsWith("_current")) return keep(name, "A");
  if (key === "voltage" || key.endsWith("_voltage") || key === "V")
    return keep(name, "V");
  if (key === "freq" || key.endsWith("_freq")) return keep(name, "Hz");
  if (key === "pf" || key.endsWith("_pf")) return keep(name, "");
  if (
    key === "total" ||
    key.endsWith("_energy") ||
    key === "total_act" ||
    key === "total_act_ret"
  )
    return keep(name, "Wh");
  if (key === "tC") return keep(name, "celsius");
  if (key === "rh" || key === "percent") return keep(name, "%");
  return keep(name);
}

/** Routes of the `shelly` preset: Gen1 plain topics and Gen2+ JSON status. */
export function shellyRoutes(options: PresetOptions): Route[] {
  const gen1Base = trimBase(options.base_topic ?? "shellies");
  const gen2Prefix = options.base_topic
    ? `${trimBase(options.base_topic)}/`
    : "";
  return [
    {
      name: "preset shelly (Gen1)",
      filter: parseFilter(`${gen1Base}/+/#`),
      mapping: baseMapping({
        format: "auto",
        asset_id: compileSource("{1}"),
        metric: {
          source: "Gen1 topic levels after the device id",
          fromPayload: false,
          read: (context) => context.wildcards[1]?.replaceAll("/", "."),
        },
        checkTopic: (topic) => {
          const levels = topic.split("/");
          const last = levels[levels.length - 1]!;
          if (levels.length < 3 || GEN1_SKIPPED.has(last)) return "skip";
          return undefined;
        },
        unit: {
          source: "Gen1 unit table",
          fromPayload: false,
          read: (context) => {
            const last = context.topic.slice(
              context.topic.lastIndexOf("/") + 1,
            );
            return GEN1_UNITS[last];
          },
        },
      }),
    },
    {
      name: "preset shelly (Gen2 status)",
      filter: parseFilter(`${gen2Prefix}+/status/+`),
      mapping: baseMapping({
        format: "json",
        asset_id: compileSource("{1}"),
        metric: compileSource("{2}"),
        metricPrefixesFields: true,
        field: (name) => shellyGen2Field(name),
        checkTopic: (topic) =>
          MEASURING_COMPONENT.test(topic.slice(topic.lastIndexOf("/") + 1))
            ? undefined
            : "skip",
      }),
    },
    {
      name: "preset shelly (Gen2 events)",
      filter: parseFilter(`${gen2Prefix}+/events/rpc`),
      mapping: baseMapping({
        format: "json",
        asset_id: compileSource("{1}"),
        root: ["params"],
        timestampKeys: ["ts"],
        field: (name) =>
          /^(sys|wifi|cloud|mqtt|ble|ws|eth)\b/.test(name)
            ? undefined
            : shellyGen2Field(name),
      }),
    },
    {
      name: "preset shelly (Gen2 online)",
      filter: parseFilter(`${gen2Prefix}+/online`),
      mapping: baseMapping({
        asset_id: compileSource("{1}"),
        metric: compileSource("online"),
      }),
    },
  ];
}
