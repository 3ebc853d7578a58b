import { FLAG_VALUES, QUALITY_VALUES, TimeSeriesSchema } from "./schema.js";
import { isCheckedSource } from "./shared-source.js";

// A hand-written form of the check that TypeBox 0.34 compiles from
// TimeSeriesSchema, for the pipeline, which checks every reading. It
// tests the same things in the same order, without the compiled check's
// closures and its regular expression over metadata keys.
// test/reading-check.test.ts compares the two on generated readings.
// NOTE: the compiled check also reads every metadata value through
// Object.entries, which only matters for a getter that throws; this one
// does not read them.

const QUALITIES: ReadonlySet<unknown> = new Set(QUALITY_VALUES);
const FLAGS: ReadonlySet<unknown> = new Set(FLAG_VALUES);
/** The schema's `pattern` of the timestamp, compiled as TypeBox does. */
const ISO_MILLIS = new RegExp(TimeSeriesSchema.properties.timestamp.pattern!);

/** Returns whether a value matches TimeSeriesSchema, as its compiled check does. */
export function matchesTimeSeries(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return false;
  }
  const reading = value as Record<string, unknown>;
  if (!isNonEmptyString(reading.id)) return false;
  if (!isNonEmptyString(reading.asset_id)) return false;
  if (!isNonEmptyString(reading.metric)) return false;
  if (!isReadingValue(reading.value)) return false;
  if (typeof reading.unit !== "string") return false;
  const timestamp = reading.timestamp;
  if (typeof timestamp !== "string" || !ISO_MILLIS.test(timestamp)) {
    return false;
  }
  if (!isOptionalNonEmptyString(reading.org_id)) return false;
  if (!isOptionalNonEmptyString(reading.site_id)) return false;
  if (!isOptionalNonEmptyString(reading.device_id)) return false;
  const quality = reading.quality;
  if (quality !== undefined && !QUALITIES.has(quality)) return false;
  const flags = reading.flags;
  if (flags !== undefined && !areFlags(flags)) return false;
  if (!matchesSource(reading.source)) return false;
  if (!isOptionalMetadata(reading.metadata)) return false;
  return hasOnlyReadingKeys(reading);
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === "string" && value.length >= 1;
}

function isOptionalNonEmptyString(value: unknown): boolean {
  return value === undefined || isNonEmptyString(value);
}

function isReadingValue(value: unknown): boolean {
  return (
    Number.isFinite(value) ||
    typeof value === "boolean" ||
    typeof value === "string" ||
    value === null
  );
}

function areFlags(flags: unknown): boolean {
  if (!Array.isArray(flags)) return false;
  for (const flag of flags) {
    if (!FLAGS.has(flag)) return false;
  }
  return true;
}

function matchesSource(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return false;
  }
  // A source made by sharedSource is frozen plain data that matched.
  if (isCheckedSource(value)) return true;
  return checkSource(value as Record<string, unknown>);
}

function checkSource(source: Record<string, unknown>): boolean {
  if (!isNonEmptyString(source.protocol)) return false;
  if (typeof source.address !== "string") return false;
  const connector = source.connector;
  if (connector !== undefined && typeof connector !== "string") return false;
  // Keys besides protocol, address and connector hold a string or a
  // finite number (message_id, line, register).
  const keys = Object.getOwnPropertyNames(source);
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index]!;
    if (key === "protocol" || key === "address" || key === "connector") {
      continue;
    }
    const extra = source[key];
    if (typeof extra !== "string" && !Number.isFinite(extra)) return false;
  }
  return true;
}

function isOptionalMetadata(value: unknown): boolean {
  return (
    value === undefined ||
    (typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      !(value instanceof Date) &&
      !(value instanceof Uint8Array))
  );
}

function hasOnlyReadingKeys(reading: object): boolean {
  const keys = Object.getOwnPropertyNames(reading);
  for (let index = 0; index < keys.length; index += 1) {
    switch (keys[index]) {
      case "id":
      case "asset_id":
      case "metric":
      case "value":
      case "unit":
      case "timestamp":
      case "org_id":
      case "site_id":
      case "device_id":
      case "quality":
      case "flags":
      case "source":
      case "metadata":
        continue;
      default:
        return false;
    }
  }
  return true;
}
