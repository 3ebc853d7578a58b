import { formatIsoUtc } from "../time/iso-utc.js";
import { BASE_UNITS } from "../units/table.js";
import { canonicalUnit, lookupUnit, roundConverted } from "../units/units.js";
import { readingId } from "./id.js";
import type {
  Flag,
  Quality,
  ReadingSource,
  ReadingValue,
  TimeSeries,
} from "./schema.js";

/** The fields a connector knows about a reading before it is built. */
export interface ReadingInput {
  asset_id: string;
  metric: string;
  value: ReadingValue;
  /** Any spelling from the unit table, or empty when there is no unit. */
  unit?: string | undefined;
  /** Epoch milliseconds, a `Date`, or an ISO 8601 UTC string with milliseconds. */
  timestamp: number | Date | string;
  org_id?: string | undefined;
  site_id?: string | undefined;
  device_id?: string | undefined;
  quality?: Quality | undefined;
  flags?: Flag[] | undefined;
  source: ReadingSource;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * Builds a reading: the unit gets its canonical spelling, the timestamp
 * becomes ISO 8601 UTC with milliseconds, and the id is derived from the
 * identifying fields. It does not validate; the pipeline does.
 */
export function createReading(input: ReadingInput): TimeSeries {
  const timestamp =
    typeof input.timestamp === "string"
      ? input.timestamp
      : typeof input.timestamp === "number"
        ? formatIsoUtc(input.timestamp)
        : new Date(input.timestamp).toISOString();
  const reading = baseReading(
    input,
    input.unit ? canonicalUnit(input.unit) : "",
    timestamp,
  );
  if (input.flags !== undefined && input.flags.length > 0) {
    reading.flags = input.flags;
  }
  if (input.metadata !== undefined) reading.metadata = input.metadata;
  reading.id = readingId(reading);
  return reading;
}

/**
 * Builds the reading without flags and metadata, keys in the order
 * id, asset_id, metric, value, unit, timestamp, source, org_id, site_id,
 * device_id, quality. The two shapes connectors produce most are object
 * literals, which V8 allocates with room for every key; adding keys one
 * by one grows a second store for them.
 */
function baseReading(
  input: ReadingInput,
  unit: string,
  timestamp: string,
): TimeSeries {
  const { org_id, site_id, device_id, quality } = input;
  if (
    org_id === undefined &&
    site_id === undefined &&
    device_id === undefined &&
    quality !== undefined
  ) {
    return {
      id: "",
      asset_id: input.asset_id,
      metric: input.metric,
      value: input.value,
      unit,
      timestamp,
      source: input.source,
      quality,
    };
  }
  if (
    org_id !== undefined &&
    site_id !== undefined &&
    device_id !== undefined &&
    quality !== undefined
  ) {
    return {
      id: "",
      asset_id: input.asset_id,
      metric: input.metric,
      value: input.value,
      unit,
      timestamp,
      source: input.source,
      org_id,
      site_id,
      device_id,
      quality,
    };
  }
  const reading: TimeSeries = {
    id: "",
    asset_id: input.asset_id,
    metric: input.metric,
    value: input.value,
    unit,
    timestamp,
    source: input.source,
  };
  if (org_id !== undefined) reading.org_id = org_id;
  if (site_id !== undefined) reading.site_id = site_id;
  if (device_id !== undefined) reading.device_id = device_id;
  if (quality !== undefined) reading.quality = quality;
  return reading;
}

/**
 * How the pipeline treats units: `base` converts numeric values to the
 * base unit of their dimension (kW to W, kWh to Wh, °F to celsius);
 * `canonical` only fixes the spelling and keeps the device's scale.
 */
export type UnitMode = "base" | "canonical";

/**
 * Applies the unit mode to a reading in place and returns it. A unit the
 * table does not know is left as it is.
 */
export function normalizeReadingUnit(
  reading: TimeSeries,
  mode: UnitMode,
): TimeSeries {
  const unit = reading.unit;
  if (unit === "") return reading;
  // The same steps as toBaseUnit and canonicalUnit, without their result
  // objects: this runs for every reading the pipeline accepts.
  const definition = lookupUnit(unit);
  if (!definition) {
    reading.unit = unit.trim();
    return reading;
  }
  const value = reading.value;
  if (mode === "base" && typeof value === "number") {
    const base = BASE_UNITS[definition.dimension];
    reading.unit = base;
    if (definition.canonical !== base) {
      reading.value = roundConverted(
        (value + (definition.offset ?? 0)) * definition.factor,
      );
    }
    return reading;
  }
  reading.unit = definition.canonical;
  return reading;
}

/**
 * Marks a reading as `estimated` and records why, keeping earlier reasons:
 * the product's "uncertain" quality.
 */
export function markEstimated(reading: TimeSeries, reason: string): TimeSeries {
  reading.quality = "estimated";
  const metadata = reading.metadata ?? {};
  const previous = metadata.quality_reason;
  metadata.quality_reason =
    typeof previous === "string" && previous !== "" && previous !== reason
      ? `${previous}; ${reason}`
      : reason;
  reading.metadata = metadata;
  return reading;
}
