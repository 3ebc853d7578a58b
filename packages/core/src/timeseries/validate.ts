import { TypeCompiler } from "@sinclair/typebox/compiler";
import { matchesTimeSeries } from "./matches.js";
import { type TimeSeries, TimeSeriesSchema } from "./schema.js";

const compiled = TypeCompiler.Compile(TimeSeriesSchema);

/**
 * Checks a reading against the TimeSeries schema and the rules the schema
 * cannot state: numbers are finite, and a `null` value carries quality
 * `missing` or `error`. Returns `undefined` when it is valid, or a message
 * naming the field, the problem and the value.
 */
export function checkReading(reading: unknown): string | undefined {
  // The hand-written check accepts what the compiled one accepts; the
  // compiled one still decides the rest and explains the problem.
  if (matchesTimeSeries(reading) || compiled.Check(reading)) {
    const value = (reading as TimeSeries).value;
    if (value === null) {
      const quality = (reading as TimeSeries).quality;
      if (quality !== "missing" && quality !== "error") {
        return `value: null is allowed only with quality "missing" or "error" (got quality ${JSON.stringify(quality ?? null)})`;
      }
    }
    return undefined;
  }
  const first = compiled.Errors(reading).First();
  if (!first) return "reading does not match the TimeSeries schema";
  const path =
    first.path === "" ? "(root)" : first.path.slice(1).replace(/\//g, ".");
  let shown: string;
  try {
    shown = JSON.stringify(first.value) ?? String(first.value);
  } catch {
    shown = String(first.value);
  }
  if (typeof first.value === "number" && !Number.isFinite(first.value)) {
    shown = String(first.value);
  }
  return `${path}: ${first.message} (got ${shown})`;
}

/** Returns whether a value is a valid reading. */
export function isReading(reading: unknown): reading is TimeSeries {
  return checkReading(reading) === undefined;
}
