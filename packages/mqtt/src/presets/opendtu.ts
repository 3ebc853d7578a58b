import type { Route } from "../mapping/mapping.js";
import { baseMapping } from "../mapping/rules.js";
import { compileSource, type ValueSource } from "../mapping/source.js";
import { parseFilter } from "../topic/filter.js";
import { type PresetOptions, trimBase } from "./common.js";

// Units of OpenDTU's plain-text topics, as its MQTT documentation lists
// them. Note the mix: yieldday is Wh but yieldtotal is kWh, and
// powerfactor and efficiency are percent.
const CHANNEL_UNITS: Record<string, string> = {
  current: "A",
  efficiency: "%",
  frequency: "Hz",
  power: "W",
  powerdc: "W",
  powerfactor: "%",
  reactivepower: "var",
  temperature: "celsius",
  voltage: "V",
  yieldday: "Wh",
  yieldtotal: "kWh",
  irradiation: "%",
};

const STATUS_UNITS: Record<string, string> = {
  limit_relative: "%",
  limit_absolute: "W",
  last_update: "s",
};

const DTU_UNITS: Record<string, string> = {
  rssi: "dBm",
  uptime: "s",
};

function unitBy(table: Record<string, string>): ValueSource {
  return {
    source: "OpenDTU unit table",
    fromPayload: false,
    read: (context) =>
      table[context.topic.slice(context.topic.lastIndexOf("/") + 1)],
  };
}

/**
 * Routes of the `opendtu` preset (Hoymiles inverters through OpenDTU):
 * `<base>/<serial>/<channel>/<field>` values per AC (0) and DC (1..n)
 * channel, `<base>/<serial>/status/...` and `<base>/dtu/...`. The base
 * topic defaults to `solar`; command topics under `cmd` are skipped.
 */
export function opendtuRoutes(options: PresetOptions): Route[] {
  const base = trimBase(options.base_topic ?? "solar");
  return [
    {
      name: "preset opendtu (dtu)",
      filter: parseFilter(`${base}/dtu/#`),
      mapping: baseMapping({
        asset_id: compileSource("dtu"),
        metric: {
          source: "levels after dtu/",
          fromPayload: false,
          read: (context) => {
            const rest = context.wildcards[0] ?? "";
            // dtu/<serial>/<field> carries the DTU's serial; keep only the field.
            const index = rest.lastIndexOf("/");
            return index < 0 ? rest : rest.slice(index + 1);
          },
        },
        device_id: {
          source: "DTU serial level",
          fromPayload: false,
          read: (context) => {
            const parts = (context.wildcards[0] ?? "").split("/");
            return parts.length > 1 ? parts[0] : undefined;
          },
        },
        unit: unitBy(DTU_UNITS),
      }),
    },
    {
      name: "preset opendtu (channel)",
      filter: parseFilter(`${base}/+/+/+`),
      mapping: baseMapping({
        format: "text",
        asset_id: compileSource("{1}"),
        metric: {
          source: "channel and field levels",
          fromPayload: false,
          read: (context) => {
            const channel = context.wildcards[1]!;
            const field = context.wildcards[2]!;
            return channel === "status" || channel === "device"
              ? `${channel}.${field}`
              : `ch${channel}.${field}`;
          },
        },
        unit: {
          source: "OpenDTU unit table",
          fromPayload: false,
          read: (context) => {
            const channel = context.wildcards[1]!;
            const field = context.wildcards[2]!;
            if (channel === "status") return STATUS_UNITS[field];
            if (channel === "device") return undefined;
            return CHANNEL_UNITS[field];
          },
        },
        checkTopic: (topic) => (/\/cmd\//.test(topic) ? "skip" : undefined),
      }),
    },
    {
      name: "preset opendtu (inverter)",
      filter: parseFilter(`${base}/+/+`),
      mapping: baseMapping({
        format: "text",
        asset_id: compileSource("{1}"),
        metric: compileSource("{2}"),
      }),
    },
    {
      name: "preset opendtu (other)",
      filter: parseFilter(`${base}/#`),
      mapping: baseMapping({ checkTopic: () => "skip" }),
    },
  ];
}
