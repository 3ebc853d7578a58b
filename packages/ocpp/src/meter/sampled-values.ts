import {
  createReading,
  dimensionOf,
  isKnownUnit,
  markEstimated,
  type ReadingSource,
  roundConverted,
  type TimeSeries,
  toBaseUnit,
} from "@qubit/core";
import { parseOcppTimestamp } from "../timestamps.js";
import type { OcppVersion } from "../versions.js";
import {
  DEFAULT_MEASURAND,
  expectedDimension,
  impliedUnit,
  MEASURANDS,
  metricPhase,
  standardMeasurand,
} from "./measurands.js";
import type { Notes } from "./notes.js";

/** Context of the sampled values of one message: charger, connector, transaction. */
export interface MeterContext {
  identity: string;
  version: OcppVersion;
  /** Connector (1.6) or EVSE (2.0.1) id; 0 for the whole station. */
  connectorId: number;
  transactionId?: string | undefined;
  source: ReadingSource;
  /** Unit that energy registers of this station really use, whatever the label. */
  energyUnit?: string | undefined;
  /** Extra metadata for every reading, such as `offline` or `trigger_reason`. */
  metadata?: Record<string, unknown>;
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
 * Converts the `meterValue` list of a MeterValues, StopTransaction
 * (`transactionData`) or TransactionEvent to readings, one per sampled
 * value: metric is the measurand plus `.<phase>`, asset
 * `<identity>:<connector>`, the unit as sent (the pipeline converts to
 * base units). `pointer` is the list's JSON pointer for messages.
 */
export function convertMeterValues(
  meterValues: unknown,
  context: MeterContext,
  pointer: string,
): MeterValueResult[] {
  if (!Array.isArray(meterValues)) return [];
  const results: MeterValueResult[] = [];
  meterValues.forEach((element, index) => {
    const result = convertMeterValue(element, context, `${pointer}/${index}`);
    if (result) results.push(result);
  });
  return results;
}

function convertMeterValue(
  element: unknown,
  context: MeterContext,
  pointer: string,
): MeterValueResult | undefined {
  const meterValue = (element ?? {}) as Record<string, unknown>;
  const time = parseOcppTimestamp(meterValue.timestamp);
  if (!time.ok) {
    context.notes.reject({
      code: "QUBIT_OCPP_TIMESTAMP_INVALID",
      message: `meterValue timestamp must be ISO 8601 date-time, got ${JSON.stringify(meterValue.timestamp)}; its sampled values were not read`,
      location: locationOf(context, `${pointer}/timestamp`),
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
        location: locationOf(context, `${pointer}/timestamp`),
        value: meterValue.timestamp,
        fix: "configure the charger to send UTC with a Z suffix",
      },
      `${context.identity}|zone`,
    );
  }
  const result: MeterValueResult = {
    epochMs: time.epochMs,
    readings: [],
    signed: [],
  };
  const samples = Array.isArray(meterValue.sampledValue)
    ? meterValue.sampledValue
    : [];
  let totalPower: number | undefined;
  let phasePower: number | undefined;
  samples.forEach((sample, index) => {
    const reading = convertSample(
      (sample ?? {}) as Record<string, unknown>,
      context,
      time,
      `${pointer}/sampledValue/${index}`,
      result,
    );
    if (!reading || typeof reading.value !== "number") return;
    const measurand = reading.metadata?.measurand;
    const base = inBaseUnit(reading.value, reading.unit);
    if (!base) return;
    if (measurand === "Power.Active.Import" && base.unit === "W") {
      if (reading.metadata?.phase === undefined) totalPower = base.value;
      else phasePower = (phasePower ?? 0) + base.value;
    }
    if (
      reading.metric === DEFAULT_MEASURAND &&
      base.unit === "Wh" &&
      result.registerWh === undefined
    ) {
      result.registerWh = base.value;
      result.registerReading = reading;
    }
  });
  const power = totalPower ?? phasePower;
  if (power !== undefined) result.powerW = power;
  mergeConflicts(result, context, pointer);
  return result;
}

/**
 * Keeps one reading per metric of a meter value. Some firmware lists a
 * measurand twice with different values (MicroOcpp sent an energy
 * register as 0 and 1244 at one time); both would get the same reading id,
 * so the first is kept, marked, and the others are reported.
 */
function mergeConflicts(
  result: MeterValueResult,
  context: MeterContext,
  pointer: string,
): void {
  const byMetric = new Map<string, TimeSeries>();
  const kept: TimeSeries[] = [];
  for (const reading of result.readings) {
    const first = byMetric.get(reading.metric);
    if (!first) {
      byMetric.set(reading.metric, reading);
      kept.push(reading);
      continue;
    }
    if (first.value === reading.value && first.unit === reading.unit) continue;
    const metadata = first.metadata ?? {};
    const others = (metadata.conflicting_values as unknown[] | undefined) ?? [];
    others.push({ value: reading.value, unit: reading.unit });
    metadata.conflicting_values = others;
    first.metadata = metadata;
    markEstimated(
      first,
      "the meter value lists this measurand more than once with different values; the first was kept",
    );
    context.notes.diagnostic({
      code: "QUBIT_OCPP_SAMPLE_CONFLICT",
      message: `meter value lists ${reading.metric} more than once with different values (${String(first.value)} ${first.unit} kept, ${String(reading.value)} ${reading.unit} reported)`,
      location: locationOf(context, pointer),
      value: reading.value,
    });
  }
  if (kept.length !== result.readings.length) {
    if (result.registerReading && !kept.includes(result.registerReading)) {
      delete result.registerReading;
    }
    result.readings = kept;
  }
}

function convertSample(
  sample: Record<string, unknown>,
  context: MeterContext,
  time: { epochMs: number; zoneMissing: boolean },
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
  const timestamp = new Date(time.epochMs).toISOString();
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
  const metadata: Record<string, unknown> = {
    ...context.metadata,
    measurand,
    ocpp_version: context.version,
  };
  if (context.transactionId !== undefined)
    metadata.transaction_id = context.transactionId;
  if (phase !== undefined) metadata.phase = phase;
  for (const field of ["context", "location", "format"] as const) {
    if (typeof sample[field] === "string") metadata[field] = sample[field];
  }
  if (sample.signedMeterValue !== undefined)
    metadata.signed_meter_value = sample.signedMeterValue;

  const reasons: string[] = [];
  if (time.zoneMissing) reasons.push("timestamp without zone, read as UTC");
  const value = parseValue(sample.value);
  const assetId = `${context.identity}:${context.connectorId}`;
  if (value === undefined) {
    notes.diagnostic({
      code: "QUBIT_OCPP_VALUE_NOT_NUMBER",
      message: `sampled value of ${measurand} must be a number, got ${JSON.stringify(sample.value)}; stored as an error reading with value null`,
      location: locationOf(context, `${pointer}/value`),
      value: sample.value,
      fix: "check the charger's meter configuration",
    });
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
  if (unitResult.reason) reasons.push(unitResult.reason);
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
  for (const reason of reasons) markEstimated(reading, reason);
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

interface UnitResult {
  unit: string;
  multiplier: number;
  /** Reason the reading rests on an assumption. */
  reason?: string;
  /** The label as sent, when the station override replaced it. */
  label?: string;
}

function resolveUnit(
  sample: Record<string, unknown>,
  measurand: string,
  context: MeterContext,
  pointer: string,
): UnitResult {
  const notes = context.notes;
  let sent: unknown;
  let multiplier = 0;
  if (context.version === "2.0.1") {
    const unitOfMeasure = sample.unitOfMeasure as
      | Record<string, unknown>
      | undefined;
    sent = unitOfMeasure?.unit;
    if (typeof unitOfMeasure?.multiplier === "number")
      multiplier = unitOfMeasure.multiplier;
  } else {
    sent = sample.unit;
  }
  if (context.energyUnit && measurand.startsWith("Energy.Active.")) {
    const result: UnitResult = { unit: context.energyUnit, multiplier };
    if (typeof sent === "string" && sent !== context.energyUnit)
      result.label = sent;
    return result;
  }
  if (typeof sent !== "string" || sent === "") {
    const implied = impliedUnit(measurand);
    if (!implied) return { unit: "", multiplier };
    if (implied.defined) return { unit: implied.unit, multiplier };
    const field = context.version === "2.0.1" ? "unitOfMeasure" : "unit";
    notes.diagnostic(
      {
        code: "QUBIT_OCPP_UNIT_ASSUMED",
        message: `${field} missing for ${measurand}, assumed ${implied.unit}`,
        location: locationOf(context, pointer),
        fix: `configure the charger to send ${field} with ${measurand}`,
      },
      `${context.identity}|unit|${measurand}`,
    );
    return {
      unit: implied.unit,
      multiplier,
      reason: `${field} missing, ${implied.unit} assumed from the measurand`,
    };
  }
  if (!isKnownUnit(sent)) {
    notes.diagnostic(
      {
        code: "QUBIT_OCPP_UNIT_UNKNOWN",
        message: `unit ${JSON.stringify(sent)} of ${measurand} is not a known unit; kept as sent`,
        location: locationOf(context, pointer),
        value: sent,
      },
      `${context.identity}|unit-unknown|${sent}`,
    );
    return { unit: sent, multiplier, reason: `unknown unit ${sent}` };
  }
  const expected = expectedDimension(measurand);
  const actual = dimensionOf(sent);
  if (expected && actual && expected !== actual) {
    notes.diagnostic(
      {
        code: "QUBIT_OCPP_UNIT_MISMATCH",
        message: `unit ${sent} does not fit measurand ${measurand}; kept as sent`,
        location: locationOf(context, pointer),
        value: sent,
      },
      `${context.identity}|unit-mismatch|${measurand}|${sent}`,
    );
    return {
      unit: sent,
      multiplier,
      reason: `unit ${sent} does not fit ${measurand}`,
    };
  }
  return { unit: sent, multiplier };
}

/** Builds a diagnostic location inside the current message. */
export function locationOf(
  context: Pick<MeterContext, "source">,
  pointer: string,
): Record<string, string | number | undefined> {
  return { ...context.source, field: pointer };
}
