import { canonicalUnit, toBaseUnit } from "../units/units.js";
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
      : new Date(input.timestamp).toISOString();
  const reading: TimeSeries = {
    id: "",
    asset_id: input.asset_id,
    metric: input.metric,
    value: input.value,
    unit: input.unit ? canonicalUnit(input.unit) : "",
    timestamp,
    source: input.source,
  };
  if (input.org_id !== undefined) reading.org_id = input.org_id;
  if (input.site_id !== undefined) reading.site_id = input.site_id;
  if (input.device_id !== undefined) reading.device_id = input.device_id;
  if (input.quality !== undefined) reading.quality = input.quality;
  if (input.flags !== undefined && input.flags.length > 0) {
    reading.flags = input.flags;
  }
  if (input.metadata !== undefined) reading.metadata = input.metadata;
  reading.id = readingId(reading);
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
  if (reading.unit === "") return reading;
  if (mode === "base" && typeof reading.value === "number") {
    const base = toBaseUnit(reading.value, reading.unit);
    reading.value = base.value;
    reading.unit = base.unit;
    return reading;
  }
  reading.unit = canonicalUnit(reading.unit);
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
