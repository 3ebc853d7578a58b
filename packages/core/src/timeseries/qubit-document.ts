import type { TimeSeries } from "./schema.js";

/** The `measurement_unit` enum of the Qubit v0.1 schemas. */
export const QUBIT_MEASUREMENT_UNITS = new Set([
  "W",
  "kW",
  "MW",
  "GW",
  "Wh",
  "kWh",
  "MWh",
  "GWh",
  "V",
  "kV",
  "A",
  "kA",
  "Hz",
  "celsius",
  "fahrenheit",
  "kelvin",
  "percent",
  "ppm",
  "pascal",
  "kPa",
  "bar",
  "psi",
  "m/s",
  "km/h",
  "mph",
  "W/m2",
  "lux",
  "degree",
  "radian",
  "dimensionless",
  "boolean",
  "count",
]);

const INTERVALS: [string, number][] = [
  ["1s", 1_000],
  ["5s", 5_000],
  ["10s", 10_000],
  ["30s", 30_000],
  ["1m", 60_000],
  ["5m", 300_000],
  ["10m", 600_000],
  ["15m", 900_000],
  ["30m", 1_800_000],
  ["1h", 3_600_000],
  ["1d", 86_400_000],
  ["1w", 604_800_000],
];

/** A Qubit v0.1 TimeSeries document (series with data points). */
export interface QubitTimeSeriesDocument {
  id: string;
  source: {
    type: "meter" | "sensor" | "calculated" | "forecast" | "manual";
    site_id: string;
    asset_id?: string;
  };
  measurement: { parameter: string; unit: string; description?: string };
  interval: string;
  timezone: string;
  period: { start: string; end: string };
  data_points: {
    timestamp: string;
    value: number | boolean | string | null;
    quality?: string;
    flags?: string[];
  }[];
  statistics: {
    count: number;
    missing_count: number;
    min?: number;
    max?: number;
    mean?: number;
    sum?: number;
  };
  metadata: Record<string, unknown>;
}

/** Options of {@link toQubitDocuments}. */
export interface QubitDocumentOptions {
  /** Source type of every document; default `meter`. */
  sourceType?: QubitTimeSeriesDocument["source"]["type"];
  /** Site id used when a reading has none; default `unknown`. */
  defaultSite?: string;
}

/** Makes an id match a Qubit prefix pattern such as `^ast_[a-zA-Z0-9_-]+$`. */
export function qubitId(prefix: string, value: string): string {
  const body = value.replace(/[^a-zA-Z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  if (body.startsWith(`${prefix}_`)) return body;
  return `${prefix}_${body || "unknown"}`;
}

/**
 * Groups readings into Qubit v0.1 TimeSeries documents, one per series
 * (org, site, asset, device, metric and unit). Ids get the Qubit prefixes
 * (`tse_`, `sit_`, `ast_`); the interval is the common spacing of the
 * points when it is one of the enum's, else `irregular`. A unit outside
 * the Qubit enum (var, VA, varh, ...) is written as `dimensionless` and
 * kept in `metadata.unit`.
 */
export function toQubitDocuments(
  readings: readonly TimeSeries[],
  options: QubitDocumentOptions = {},
): QubitTimeSeriesDocument[] {
  const groups = new Map<string, TimeSeries[]>();
  for (const reading of readings) {
    const key = [
      reading.org_id,
      reading.site_id,
      reading.asset_id,
      reading.device_id,
      reading.metric,
      reading.unit,
    ].join("\u001f");
    const group = groups.get(key);
    if (group) group.push(reading);
    else groups.set(key, [reading]);
  }
  return [...groups.values()].map((group) => toDocument(group, options));
}

function toDocument(
  group: TimeSeries[],
  options: QubitDocumentOptions,
): QubitTimeSeriesDocument {
  const sorted = [...group].sort((a, b) =>
    a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0,
  );
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  const unitKnown = QUBIT_MEASUREMENT_UNITS.has(first.unit);
  const seriesName = [first.asset_id, first.device_id, first.metric]
    .filter(Boolean)
    .join("_");
  const metadata: Record<string, unknown> = {
    asset_id: first.asset_id,
    metric: first.metric,
    protocol: first.source.protocol,
  };
  if (first.org_id) metadata.org_id = first.org_id;
  if (first.device_id) metadata.device_id = first.device_id;
  if (!unitKnown) metadata.unit = first.unit;

  const numbers = sorted
    .map((reading) => reading.value)
    .filter((value): value is number => typeof value === "number");
  const statistics: QubitTimeSeriesDocument["statistics"] = {
    count: sorted.length,
    missing_count: sorted.filter((reading) => reading.value === null).length,
  };
  if (numbers.length > 0) {
    const sum = numbers.reduce((total, value) => total + value, 0);
    statistics.min = Math.min(...numbers);
    statistics.max = Math.max(...numbers);
    statistics.sum = sum;
    statistics.mean = sum / numbers.length;
  }

  return {
    id: qubitId("tse", seriesName),
    source: {
      type: options.sourceType ?? "meter",
      site_id: qubitId(
        "sit",
        first.site_id ?? options.defaultSite ?? "unknown",
      ),
      asset_id: qubitId("ast", first.asset_id),
    },
    measurement: {
      parameter: first.metric,
      unit: unitKnown ? first.unit : "dimensionless",
    },
    interval: inferInterval(sorted),
    timezone: "UTC",
    period: { start: first.timestamp, end: last.timestamp },
    data_points: sorted.map((reading) => {
      const point: QubitTimeSeriesDocument["data_points"][number] = {
        timestamp: reading.timestamp,
        value: reading.value,
      };
      if (reading.quality) point.quality = reading.quality;
      if (reading.flags && reading.flags.length > 0)
        point.flags = reading.flags;
      return point;
    }),
    statistics,
    metadata,
  };
}

function inferInterval(sorted: TimeSeries[]): string {
  if (sorted.length < 2) return "irregular";
  const times = sorted.map((reading) => Date.parse(reading.timestamp));
  const step = times[1]! - times[0]!;
  for (let index = 2; index < times.length; index += 1) {
    if (times[index]! - times[index - 1]! !== step) return "irregular";
  }
  return INTERVALS.find(([, ms]) => ms === step)?.[0] ?? "irregular";
}
