import {
  isKnownUnit,
  markEstimated,
  type TimeSeries,
  toBaseUnit,
} from "@qubit/core";
import { locationOf } from "./notes.js";
import type { MeterContext, MeterValueResult } from "./sampled-values.js";

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;
/** Maximum length of a raw value quoted in a message, in characters. */
const QUOTE_LIMIT = 80;

/** One reading of a meter value with the index of its sampled value. */
interface Sample {
  reading: TimeSeries;
  /** Index in the meter value's `sampledValue` list. */
  index: number;
}

/**
 * Settles the readings of one meter value after conversion, so that each
 * metric has at most one reading (they would share a reading id) and
 * every diagnostic states what was stored:
 *
 * - a value that is not a number becomes an `error` reading (value null)
 *   only when its metric has no readable value in the meter value. Next
 *   to a readable value it is rejected with its index, so a valid value
 *   is never lost to an unreadable one.
 * - readable values that differ are a conflict: one is kept and marked
 *   estimated, the others go to `metadata.conflicting_values` with their
 *   indexes. For a register (`*.Register`) the highest is kept, because a
 *   register only rises and a lower sibling is a stale or unset meter
 *   (MicroOcpp sent 0 next to 1244 Wh); for other measurands the first.
 *
 * `indexes[i]` is the sampled-value index of `result.readings[i]`, and
 * `pointer` the meter value's JSON pointer.
 */
export function settleSamples(
  result: MeterValueResult,
  indexes: readonly number[],
  context: MeterContext,
  pointer: string,
  repeated: boolean,
): void {
  if (!repeated) {
    for (let position = 0; position < result.readings.length; position += 1) {
      const reading = result.readings[position]!;
      if (reading.value !== null) continue;
      reportErrorReading(context, pointer, [
        { reading, index: indexes[position]! },
      ]);
    }
    return;
  }

  const groups = new Map<string, Sample[]>();
  for (let position = 0; position < result.readings.length; position += 1) {
    const reading = result.readings[position]!;
    const sample = { reading, index: indexes[position]! };
    const group = groups.get(reading.metric);
    if (group) group.push(sample);
    else groups.set(reading.metric, [sample]);
  }
  const keptReadings = new Set<TimeSeries>();
  for (const group of groups.values()) {
    keptReadings.add(settleGroup(group, context, pointer));
  }
  result.readings = result.readings.filter((reading) =>
    keptReadings.has(reading),
  );
}

/** Settles the samples of one metric; returns the reading to keep. */
function settleGroup(
  group: Sample[],
  context: MeterContext,
  pointer: string,
): TimeSeries {
  const first = group[0]!;
  if (group.length === 1) {
    if (first.reading.value === null) {
      reportErrorReading(context, pointer, group);
    }
    return first.reading;
  }
  const readable = group.filter((sample) => sample.reading.value !== null);
  const unreadable = group.filter((sample) => sample.reading.value === null);
  if (readable.length === 0) {
    reportErrorReading(context, pointer, unreadable);
    return first.reading;
  }

  const keep = chooseReadable(readable);
  for (const sample of unreadable) {
    rejectUnreadable(context, pointer, sample, keep);
  }
  const differing = readable.filter(
    (sample) => sample !== keep && !sameQuantity(sample.reading, keep.reading),
  );
  if (differing.length > 0) reportConflict(context, pointer, keep, differing);
  return keep.reading;
}

/** Picks the readable sample to keep: the highest register, else the first. */
function chooseReadable(readable: Sample[]): Sample {
  let keep = readable[0]!;
  const measurand = keep.reading.metadata?.measurand;
  if (typeof measurand !== "string" || !measurand.endsWith(".Register")) {
    return keep;
  }
  for (const sample of readable) {
    const value = comparable(sample.reading);
    const best = comparable(keep.reading);
    if (value !== undefined && best !== undefined && value > best) {
      keep = sample;
    }
  }
  return keep;
}

/** Returns a reading's value in its base unit, when it can be compared. */
function comparable(reading: TimeSeries): number | undefined {
  if (typeof reading.value !== "number") return undefined;
  if (reading.unit === "" || !isKnownUnit(reading.unit)) return reading.value;
  return toBaseUnit(reading.value, reading.unit).value;
}

function sameQuantity(a: TimeSeries, b: TimeSeries): boolean {
  if (a.value === b.value && a.unit === b.unit) return true;
  const left = comparable(a);
  const right = comparable(b);
  const sameDimension =
    a.unit === b.unit ||
    (isKnownUnit(a.unit) &&
      isKnownUnit(b.unit) &&
      toBaseUnit(1, a.unit).unit === toBaseUnit(1, b.unit).unit);
  return sameDimension && left !== undefined && left === right;
}

function reportErrorReading(
  context: MeterContext,
  pointer: string,
  samples: Sample[],
): void {
  const first = samples[0]!;
  const metric = first.reading.metric;
  if (samples.length > 1) {
    const metadata = first.reading.metadata ?? {};
    metadata.unreadable_values = samples.map((sample) => ({
      sampled_value: sample.index,
      value: sample.reading.metadata?.raw_value,
    }));
    first.reading.metadata = metadata;
  }
  const described = samples.map((sample) => describeSample(sample)).join(", ");
  context.notes.diagnostic({
    code: "QUBIT_OCPP_VALUE_NOT_NUMBER",
    message: `${metric} has no readable value in this meter value: ${described}; stored as one error reading with value null`,
    location: locationOf(
      context,
      `${pointer}/sampledValue/${first.index}/value`,
    ),
    value: first.reading.metadata?.raw_value,
    fix: "check the charger's meter configuration: values must be decimal numbers such as 1234.5",
  });
}

function rejectUnreadable(
  context: MeterContext,
  pointer: string,
  sample: Sample,
  keep: Sample,
): void {
  const metric = sample.reading.metric;
  const kept = `${String(keep.reading.value)} ${keep.reading.unit}`.trim();
  context.notes.reject({
    code: "QUBIT_OCPP_VALUE_NOT_NUMBER",
    message: `${describeSample(sample)} of ${metric} was dropped; sampledValue ${keep.index} of the same measurand gives ${kept}, which was stored`,
    location: locationOf(
      context,
      `${pointer}/sampledValue/${sample.index}/value`,
    ),
    value: sample.reading.metadata?.raw_value,
    fix: "check the charger's meter configuration: values must be decimal numbers such as 1234.5",
  });
}

function reportConflict(
  context: MeterContext,
  pointer: string,
  keep: Sample,
  differing: Sample[],
): void {
  const reading = keep.reading;
  const metadata = reading.metadata ?? {};
  metadata.conflicting_values = differing.map((sample) => ({
    value: sample.reading.value,
    unit: sample.reading.unit,
    sampled_value: sample.index,
  }));
  reading.metadata = metadata;
  const register = String(metadata.measurand ?? "").endsWith(".Register");
  const rule = register
    ? "the highest, because a register only rises"
    : "the first";
  markEstimated(
    reading,
    `the meter value lists this measurand with different values, and this one was kept as ${rule}`,
  );
  const others = differing
    .map(
      (sample) =>
        `${String(sample.reading.value)} ${sample.reading.unit} (sampledValue ${sample.index})`,
    )
    .join(", ");
  context.notes.diagnostic({
    code: "QUBIT_OCPP_SAMPLE_CONFLICT",
    message: `meter value lists ${reading.metric} with different values: kept ${String(reading.value)} ${reading.unit} (sampledValue ${keep.index}, ${rule}) as estimated; ${others} went to metadata.conflicting_values`,
    location: locationOf(context, pointer),
    value: differing.map((sample) => sample.reading.value),
    fix: "check the charger's meter configuration; it reports one measurand from more than one source",
  });
}

/** Describes an unreadable sample: its index, the raw value and why. */
function describeSample(sample: Sample): string {
  const raw = sample.reading.metadata?.raw_value;
  return `sampledValue ${sample.index} (${quote(raw)}: ${whyNotNumber(raw)})`;
}

/** Says why a sampled value is not a finite decimal number. */
export function whyNotNumber(value: unknown): string {
  if (value === undefined) return "the value is missing";
  if (typeof value === "number") return "not a finite number";
  if (typeof value !== "string") {
    return `a JSON ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}, not a number`;
  }
  const text = value.trim();
  if (text === "") return "empty";
  if (NUMBER_TEXT.test(text)) return "overflows a 64-bit float";
  if (NOT_FINITE.test(text)) return "not a finite number";
  if (DECIMAL_COMMA.test(text)) {
    return "a decimal comma; OCPP values use a decimal point";
  }
  return "not a decimal number";
}

function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}...` : text;
}
