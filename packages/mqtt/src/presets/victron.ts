import type { Route } from "../mapping/mapping.js";
import { baseMapping } from "../mapping/rules.js";
import { compileSource } from "../mapping/source.js";
import { parseFilter } from "../topic/filter.js";
import type { PresetOptions } from "./common.js";

/**
 * Returns the unit of a Venus OS D-Bus path such as `Dc/0/Voltage`,
 * `Ac/Out/L1/P` or `Yield/User`, or `undefined` when the path is not a
 * known measurement. Venus OS reports energy counters in kWh.
 */
export function victronUnit(path: string): string | undefined {
  const parts = path.split("/");
  const last = parts[parts.length - 1]!;
  if (/Yield\/(User|System|Today|Yesterday)$/.test(path)) return "kWh";
  if (
    /(^|\/)(Energy|History)\//.test(path) &&
    !/Voltage|Current|Time/.test(last)
  )
    return "kWh";
  switch (last) {
    case "V":
    case "Voltage":
    case "MinimumVoltage":
    case "MaximumVoltage":
    case "MinCellVoltage":
    case "MaxCellVoltage":
      return "V";
    case "I":
    case "Current":
      return "A";
    case "P":
    case "Power":
      return "W";
    case "S":
      return "VA";
    case "F":
    case "Frequency":
      return "Hz";
    case "Soc":
    case "Soh":
      return "%";
    case "Temperature":
      return "celsius";
    case "ConsumedAmphours":
    case "Capacity":
    case "InstalledCapacity":
      return "Ah";
    case "TimeToGo":
      return "s";
    default:
      return undefined;
  }
}

/**
 * Routes of the `victron` preset (Venus OS / GX devices):
 * `N/<portal id>/<service>/<instance>/<D-Bus path>` with a JSON payload
 * `{"value": ...}`. The portal id becomes the site id, service and
 * instance the asset id (`vebus/276`), the D-Bus path the metric.
 *
 * NOTE: Venus OS stops publishing unless a client writes to
 * `R/<portal id>/keepalive` about every 30 s; this connector only reads.
 */
export function victronRoutes(_options: PresetOptions): Route[] {
  return [
    {
      name: "preset victron",
      filter: parseFilter("N/+/+/+/#"),
      mapping: baseMapping({
        format: "json",
        site_id: compileSource("{1}"),
        asset_id: compileSource("{2}/{3}"),
        metric: compileSource("{4}"),
        unit: {
          source: "Venus OS unit table",
          fromPayload: false,
          read: (context) => victronUnit(context.wildcards[3] ?? ""),
        },
      }),
    },
    {
      name: "preset victron (other)",
      filter: parseFilter("N/#"),
      mapping: baseMapping({ checkTopic: () => "skip" }),
    },
  ];
}
