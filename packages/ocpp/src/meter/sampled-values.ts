import {
  createReading,
  isKnownUnit,
  markEstimated,
  type ReadingSource,
  roundConverted,
  type TimeSeries,
  toBaseUnit,
} from "@qubit/core";
import type { OcppVersion } from "../versions.js";
import {
  DEFAULT_MEASURAND,
  MEASURANDS,
  metricPhase,
  standardMeasurand,
} from "./measurands.js";
import { locationOf, type Notes } from "./notes.js";
import { settleSamples } from "./repeated-samples.js";
import { placeOnClock, type SampleTime } from "./sample-time.js";
import { resolveUnit } from "./sample-unit.js";

/** Context of the sampled values of one message: charger, connector, transaction. */
export interface MeterContext {
  identity: string;
  version: OcppVersion;
  /** Connector (1.6) or EVSE (2.0.1) id; 0 for the whole station. */
  connectorId: number;
  /** `<identity>:<connectorId>`, the asset of every reading. */
  assetId: string;
  transactionId?: string | undefined;
  source: ReadingSource;
  /** Unit that energy registers of this station really use, whatever the label. */
  energyUnit?: string | undefined;
  /** Extra metadata for every reading, such as `offline` or `trigger_reason`. */
  metadata?: Record<string, unknown>;
  /** Receive time of the message in epoch ms, used in place of an unset clock. */
  receivedAt: number;
  notes: Notes;
}

/** A `SignedData` sample: kept as received, never read as a number. */
export interface SignedSample {
  timestamp: string;
  measurand: string;
  context?: string;
  value: unknown;
}

/** Readings and figures of one meterValue element. */
export interface MeterValueResult {
  epochMs: number;
  /** The element's timestamp as ISO 8601 UTC with milliseconds. */
  iso: string;
  readings: TimeSeries[];
  /** The active import register in Wh, when the element has one. */
  registerWh?: number;
  /** The total active import power in W (sum of phases if no total). */
  powerW?: number;
  /** The reading of the register, to mark when its label is suspect. */
  registerReading?: TimeSeries;
  signed: SignedSample[];
}

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/**
 * Meter values up to this many readings are checked for a repeated metric
 * by comparing pairs, which is cheaper than building a set for the few
 * samples a meter value usually has.
 */
const PAIRWISE_LIMIT = 16;
/** Sampled-value fields copied to the reading's metadata when they are strings. */
const TEXT_FIELDS = ["context", "location", "format"] as const;

/**
 * Converts the `meterValue` list of a MeterValues, StopTransaction
 * (`transactionData`) or TransactionEvent to readings, one per metric:
 * metric is the measurand plus `.<phase>`, asset
 * `<identity>:<connector>`, the unit as sent (the pipeline converts to
 * base units). Timestamps of a clock that was never set are replaced
 * (see {@link placeOnClock}). `pointer` is the list's JSON pointer for
 * messages.
 */
export function convertMeterValues(
  meterValues: unknown,
  context: MeterContext,
  pointer: string,
): MeterValueResult[] {
  if (!Array.isArray(meterValues)) return [];
  const times = placeOnClock(meterValues, context, pointer);
  const results: MeterValueResult[] = [];
  for (let index = 0; index < meterValues.length; index += 1) {
    const result = convertMeterValue(
      meterValues[index],
      times[index]!,
      context,
      pointer,
      index,
    );
    if (result) results.push(result);
  }
  return results;
}

function convertMeterValue(
  element: unknown,
  time: SampleTime | undefined,
  context: MeterContext,
  listPointer: string,
  listIndex: number,
): MeterValueResult | undefined {
  const meterValue = (element ?? {}) as Record<string, unknown>;
  if (time === undefined) {
    context.notes.reject({
      code: "QUBIT_OCPP_TIMESTAMP_INVALID",
      message: `meterValue timestamp must be ISO 8601 date-time, got ${JSON.stringify(meterValue.timestamp)}; its sampled values were not read`,
      location: locationOf(context, `${listPointer}/${listIndex}/timestamp`),
      value: meterValue.timestamp,
      fix: "send timestamps such as 2025-01-15T10:00:00Z",
    });
    return undefined;
  }

  if (time.zoneMissing) {
    context.notes.diagnostic(
      {
        code: "QUBIT_OCPP_TIMESTAMP_ZONE_MISSING",
        message: `meterValue timestamp ${JSON.stringify(meterValue.timestamp)} has no zone designator; read as UTC`,
        location: locationOf(context, `${listPointer}/${listIndex}/timestamp`),
        value: meterValue.timestamp,
        fix: "configure the charger to send UTC with a Z suffix",
      },
      `${context.identity}|zone`,
    );
  }

  const pointer = `${listPointer}/${listIndex}`;
  const result: MeterValueResult = {
    epochMs: time.epochMs,
    iso: new Date(time.epochMs).toISOString(),
    readings: [],
    signed: [],
  };
  const samples = Array.isArray(meterValue.sampledValue)
    ? meterValue.sampledValue
    : [];
  // The sampledValue index of each reading, for diagnostics.
  const indexes: number[] = [];
  let unreadable = 0;
  for (let index = 0; index < samples.length; index += 1) {
    const reading = convertSample(
      (samples[index] ?? {}) as Record<string, unknown>,
      context,
      time,
      `${pointer}/sampledValue/${index}`,
      result,
    );
    if (!reading) continue;
    indexes.push(index);
    if (reading.value === null) unreadable += 1;
  }

  const repeated = hasRepeatedMetric(result.readings);
  if (repeated || unreadable > 0) {
    settleSamples(result, indexes, context, pointer, repeated);
  }
  addFigures(result);
  return result;
}

/**
 * Sets the figures the energy label check and the transaction use: the
 * import register in Wh and the total import power in W (the sum of the
 * phases when no total was sent). Only these readings are converted.
 */
function addFigures(result: MeterValueResult): void {
  let totalPower: number | undefined;
  let phasePower: number | undefined;
  for (const reading of result.readings) {
    if (typeof reading.value !== "number") continue;
    const measurand = reading.metadata?.measurand;
    const isPower = measurand === "Power.Active.Import";
    const isRegister =
      reading.metric === DEFAULT_MEASURAND && result.registerWh === undefined;
    if (!isPower && !isRegister) continue;

    const base = inBaseUnit(reading.value, reading.unit);
    if (!base) continue;
    if (isPower && base.unit === "W") {
      if (reading.metadata?.phase === undefined) totalPower = base.value;
      else phasePower = (phasePower ?? 0) + base.value;
    }
    if (isRegister && base.unit === "Wh") {
      result.registerWh = base.value;
      result.registerReading = reading;
    }
  }

  const power = totalPower ?? phasePower;
  if (power !== undefined) result.powerW = power;
}

/** Returns whether two readings of a meter value share a metric. */
function hasRepeatedMetric(readings: readonly TimeSeries[]): boolean {
  if (readings.length > PAIRWISE_LIMIT) {
    const metrics = new Set<string>();
    for (const reading of readings) metrics.add(reading.metric);
    return metrics.size < readings.length;
  }
  for (let index = 1; index < readings.length; index += 1) {
    const metric = readings[index]!.metric;
    for (let earlier = 0; earlier < index; earlier += 1) {
      if (readings[earlier]!.metric === metric) return true;
    }
  }
  return false;
}

function convertSample(
  sample: Record<string, unknown>,
  context: MeterContext,
  time: SampleTime,
  pointer: string,
  result: MeterValueResult,
): TimeSeries | undefined {
  const notes = context.notes;
  let measurand =
    typeof sample.measurand === "string" && sample.measurand !== ""
      ? sample.measurand
      : DEFAULT_MEASURAND;
  if (!MEASURANDS[context.version].has(measurand)) {
    const standard = standardMeasurand(measurand);
    if (standard) measurand = standard;
    else
      notes.diagnostic(
        {
          code: "QUBIT_OCPP_MEASURAND_UNKNOWN",
          message: `measurand ${JSON.stringify(measurand)} is not an OCPP ${context.version} measurand; kept as its own metric`,
          location: locationOf(context, `${pointer}/measurand`),
          value: measurand,
        },
        `${context.identity}|measurand|${measurand}`,
      );
  }
  const timestamp = result.iso;
  if (sample.format === "SignedData") {
    const signed: SignedSample = { timestamp, measurand, value: sample.value };
    if (typeof sample.context === "string") signed.context = sample.context;
    result.signed.push(signed);
    return undefined;
  }

  const phase = typeof sample.phase === "string" ? sample.phase : undefined;
  const metric =
    phase === undefined
      ? measurand
      : `${measurand}.${metricPhase(measurand, phase)}`;
  const metadata: Record<string, unknown> =
    context.metadata === undefined
      ? { measurand, ocpp_version: context.version }
      : { ...context.metadata, measurand, ocpp_version: context.version };
  if (context.transactionId !== undefined)
    metadata.transaction_id = context.transactionId;
  if (phase !== undefined) metadata.phase = phase;
  for (const field of TEXT_FIELDS) {
    if (typeof sample[field] === "string") metadata[field] = sample[field];
  }
  if (sample.signedMeterValue !== undefined)
    metadata.signed_meter_value = sample.signedMeterValue;

  if (time.deviceTimestamp !== undefined) {
    metadata.device_timestamp = time.deviceTimestamp;
  }
  const value = parseValue(sample.value);
  const assetId = context.assetId;
  if (value === undefined) {
    // settleSamples reports it after checking whether a readable value of
    // the same metric makes this one redundant.
    metadata.raw_value = sample.value;
    return pushReading(result, {
      asset_id: assetId,
      device_id: context.identity,
      metric,
      value: null,
      unit: "",
      timestamp,
      quality: "error",
      source: context.source,
      metadata,
    });
  }

  const unitResult = resolveUnit(sample, measurand, context, pointer);
  let number = value;
  if (unitResult.multiplier !== 0) {
    number = roundConverted(value * 10 ** unitResult.multiplier);
    metadata.multiplier = unitResult.multiplier;
  }
  if (unitResult.label !== undefined) metadata.unit_label = unitResult.label;
  const reading = pushReading(result, {
    asset_id: assetId,
    device_id: context.identity,
    metric,
    value: number,
    unit: unitResult.unit,
    timestamp,
    quality: "measured",
    source: context.source,
    metadata,
  });
  if (time.reason !== undefined) markEstimated(reading, time.reason);
  if (unitResult.reason) markEstimated(reading, unitResult.reason);
  return reading;
}

function pushReading(
  result: MeterValueResult,
  input: Parameters<typeof createReading>[0],
): TimeSeries {
  const reading = createReading(input);
  result.readings.push(reading);
  return reading;
}

function inBaseUnit(
  value: number,
  unit: string,
): { value: number; unit: string } | undefined {
  if (unit === "" || !isKnownUnit(unit)) return undefined;
  return toBaseUnit(value, unit);
}

/** Reads a sampled value: a JSON number, or a decimal number as text. */
export function parseValue(value: unknown): number | undefined {
  if (typeof value === "number")
    return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (!NUMBER_TEXT.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}
