import type { PresetEntry, PresetName } from "../config.js";
import type { Route } from "../mapping/mapping.js";
import type { PresetOptions } from "./common.js";
import { opendtuRoutes } from "./opendtu.js";
import { shellyRoutes } from "./shelly.js";
import {
  deyeRoutes,
  esphomeRoutes,
  solarAssistantRoutes,
} from "./state-topics.js";
import { tasmotaRoutes } from "./tasmota.js";
import { victronRoutes } from "./victron.js";
import { zigbee2mqttRoutes } from "./zigbee2mqtt.js";

const PRESETS: Record<PresetName, (options: PresetOptions) => Route[]> = {
  shelly: shellyRoutes,
  tasmota: tasmotaRoutes,
  opendtu: opendtuRoutes,
  victron: victronRoutes,
  zigbee2mqtt: zigbee2mqttRoutes,
  solar_assistant: solarAssistantRoutes,
  esphome: esphomeRoutes,
  deye: deyeRoutes,
};

/** The topic filters a preset listens to by default, for `topics`. */
export const PRESET_FILTERS: Record<PresetName, readonly string[]> = {
  shelly: ["shellies/#", "+/status/+", "+/events/rpc", "+/online"],
  tasmota: ["tele/+/SENSOR", "tele/+/STATE", "stat/+/STATUS10"],
  opendtu: ["solar/#"],
  victron: ["N/#"],
  zigbee2mqtt: ["zigbee2mqtt/#"],
  solar_assistant: ["solar_assistant/#"],
  esphome: ["+/+/+/state"],
  deye: ["deye/#"],
};

/** Builds the routes of the configured presets, in config order. */
export function presetRoutes(entries: readonly PresetEntry[]): Route[] {
  return entries.flatMap((entry) => {
    const name = typeof entry === "string" ? entry : entry.preset;
    const options: PresetOptions =
      typeof entry === "string"
        ? {}
        : { base_topic: entry.base_topic, timezone: entry.timezone };
    return PRESETS[name](options);
  });
}
