import {
  type ConversionResult,
  createReading,
  type Logger,
  markEstimated,
  type ReadingSource,
  type TimeSeries,
} from "@qubit/core";
import type { EnergyLabelCheck } from "../meter/energy-label-check.js";
import type { Notes } from "../meter/notes.js";
import {
  convertMeterValues,
  type MeterContext,
  type MeterValueResult,
  type SignedSample,
} from "../meter/sampled-values.js";
import type { StationStore } from "../state/stations.js";
import type {
  TransactionRecord,
  TransactionStore,
} from "../state/transactions.js";
import { clockProblem, parseOcppTimestamp } from "../timestamps.js";
import type { OcppCall, ProcessorEvents, StationOptions } from "./types.js";

/** Stores and services shared by the recorders of each action. */
export interface ProcessorDeps {
  connectorName: string;
  transactions: TransactionStore;
  stations: StationStore;
  labelCheck: EnergyLabelCheck;
  logger: Logger;
  now: () => number;
  stationOptions(identity: string): StationOptions;
  emit<K extends keyof ProcessorEvents>(
    event: K,
    ...args: ProcessorEvents[K]
  ): void;
}

/** One call being recorded. */
export interface RecordContext {
  call: OcppCall;
  /** The CALLRESULT payload the charge point got (ours, or the upstream CSMS's). */
  response: unknown;
  result: ConversionResult;
  notes: Notes;
  source: ReadingSource;
  deps: ProcessorDeps;
}

/**
 * Reads a timestamp field for a record. A missing or unreadable time, or
 * one that a set clock cannot give (see `clockProblem`), is replaced by
 * the receive time with the reason. A time without a zone is read as UTC
 * and marked.
 */
export function eventTime(
  context: RecordContext,
  value: unknown,
  field: string,
): { iso: string; epochMs: number; reason?: string } {
  const parsed = parseOcppTimestamp(value);
  const received = context.call.receivedAt;
  if (parsed.ok) {
    const problem = clockProblem(parsed.epochMs, received);
    if (problem !== undefined) {
      return outOfRangeTime(context, String(value), field, problem);
    }
    const iso = new Date(parsed.epochMs).toISOString();
    return parsed.zoneMissing
      ? {
          iso,
          epochMs: parsed.epochMs,
          reason: "timestamp without zone, read as UTC",
        }
      : { iso, epochMs: parsed.epochMs };
  }
  if (value !== undefined) {
    context.notes.diagnostic({
      code: "QUBIT_OCPP_TIMESTAMP_INVALID",
      message: `${field} must be an ISO 8601 date-time, got ${JSON.stringify(value)}; the receive time was used`,
      location: { ...context.source, field },
      value,
      fix: "send timestamps such as 2025-01-15T10:00:00Z",
    });
  }
  return {
    iso: new Date(received).toISOString(),
    epochMs: received,
    reason: `${field} missing or invalid, receive time used`,
  };
}

/** Reports a timestamp of an unset clock and returns the receive time. */
function outOfRangeTime(
  context: RecordContext,
  sent: string,
  field: string,
  problem: string,
): { iso: string; epochMs: number; reason: string } {
  const { call } = context;
  const received = new Date(call.receivedAt).toISOString();
  context.notes.diagnostic({
    code: "QUBIT_OCPP_TIMESTAMP_OUT_OF_RANGE",
    message: `${call.action} ${field} ${sent} from charge point ${call.identity} in message ${call.messageId} is ${problem}, so the charger's clock is probably not set; the receive time ${received} was used and its readings are marked estimated`,
    location: { ...context.source, field },
    value: sent,
    fix: "set the charger's clock (NTP, or the time in BootNotification and Heartbeat responses)",
  });
  return {
    iso: received,
    epochMs: call.receivedAt,
    reason: `charger timestamp ${sent} is ${problem} (clock not set); the receive time was used`,
  };
}

/**
 * Converts meter values of one call to readings: label check per
 * connector, transaction register, SignedData samples attached to the
 * reading they sign (same measurand and time) or kept on the
 * transaction. Returns the per-element results.
 */
export function recordMeterValues(
  context: RecordContext,
  meterValues: unknown,
  pointer: string,
  connectorId: number,
  transaction: TransactionRecord | undefined,
  transactionId: string | undefined,
  metadata?: Record<string, unknown>,
): { results: MeterValueResult[]; unattached: SignedSample[] } {
  const { call, deps } = context;
  const energyUnit = deps.stationOptions(call.identity).energy_unit;
  const meterContext: MeterContext = {
    identity: call.identity,
    version: call.version,
    connectorId,
    assetId: `${call.identity}:${connectorId}`,
    transactionId: transaction?.transaction_id ?? transactionId,
    source: context.source,
    energyUnit,
    receivedAt: call.receivedAt,
    notes: context.notes,
  };
  if (metadata !== undefined) meterContext.metadata = metadata;
  const results = convertMeterValues(meterValues, meterContext, pointer);
  const unattached: SignedSample[] = [];
  const readings = context.result.readings;
  for (const result of results) {
    if (energyUnit === undefined) checkLabel(context, connectorId, result);
    if (transaction && result.registerWh !== undefined) {
      deps.transactions.updateRegister(
        transaction,
        result.registerWh,
        result.iso,
      );
    }
    for (const signed of result.signed) {
      const target = result.readings.find(
        (reading) =>
          reading.metadata?.measurand === signed.measurand &&
          reading.timestamp === signed.timestamp,
      );
      if (target) attachSigned(target, signed);
      else unattached.push(signed);
    }
    for (const reading of result.readings) readings.push(reading);
  }
  return { results, unattached };
}

/** Adds a SignedData sample to a reading's metadata. */
export function attachSigned(reading: TimeSeries, signed: SignedSample): void {
  const metadata = reading.metadata ?? {};
  const list = (metadata.signed_data as SignedSample[] | undefined) ?? [];
  list.push(signed);
  metadata.signed_data = list;
  reading.metadata = metadata;
}

function checkLabel(
  context: RecordContext,
  connectorId: number,
  result: MeterValueResult,
): void {
  const identity = context.call.identity;
  const verdict = context.deps.labelCheck.observe(
    identity,
    connectorId,
    result.epochMs,
    result.registerWh,
    result.powerW,
  );
  if (verdict.finding) {
    const finding = verdict.finding;
    const ratio = finding.ratio >= 1 ? finding.ratio : 1 / finding.ratio;
    const direction = finding.ratio >= 1 ? "" : "1/";
    context.notes.diagnostic(
      {
        code: "QUBIT_OCPP_ENERGY_UNIT_SUSPECT",
        message: `energy register rose ${round(finding.deltaWh)} Wh in ${round(finding.seconds)} s while reported power implies about ${round(finding.expectedWh)} Wh (ratio ≈ ${direction}${round(ratio)}); unit label probably wrong`,
        location: { ...context.source, connector_id: connectorId },
        value: finding,
        fix: `set charge_points["${identity}"].energy_unit to the unit the register really uses`,
      },
      `${identity}|energy-label`,
    );
  }
  if (verdict.suspect && result.registerReading) {
    markEstimated(
      result.registerReading,
      "energy register moves about 1000 times off the reported power; unit label probably wrong",
    );
  }
}

function round(value: number): number {
  return Math.round(value);
}

/**
 * Builds the session reading of an ended transaction: its energy in Wh at
 * the stop time, with the session in metadata. A stop register below the
 * start register gives an `error` reading with value null, never a
 * negative number. A stop time before the start time gives an estimated
 * reading without `duration_s`. Both are reported as diagnostics.
 */
export function sessionReading(
  context: RecordContext,
  record: TransactionRecord,
): TimeSeries | undefined {
  const startWh = record.meter_start_wh;
  const stopWh = record.meter_stop_wh;
  if (
    startWh === undefined ||
    stopWh === undefined ||
    record.stopped_at === undefined
  )
    return undefined;
  const started = Date.parse(record.started_at);
  const stopped = Date.parse(record.stopped_at);
  const metadata: Record<string, unknown> = {
    transaction_id: record.transaction_id,
    started_at: record.started_at,
    stopped_at: record.stopped_at,
    meter_start_wh: startWh,
    meter_stop_wh: stopWh,
    ocpp_version: record.version,
  };
  if (stopped >= started) {
    metadata.duration_s = Math.round((stopped - started) / 1000);
  }
  if (record.id_tag !== undefined) metadata.id_tag = record.id_tag;
  if (record.stop_reason !== undefined)
    metadata.stop_reason = record.stop_reason;
  if (record.signed_data.length > 0) metadata.signed_data = record.signed_data;

  const problems: string[] = [];
  if (stopWh < startWh) {
    problems.push(
      `stop register ${stopWh} Wh is below start register ${startWh} Wh`,
    );
  }
  if (stopped < started) {
    problems.push(
      `stop time ${record.stopped_at} is before start time ${record.started_at}`,
    );
  }
  if (problems.length > 0) reportSession(context, record, problems.join("; "));

  const fields = {
    asset_id: `${record.identity}:${record.connector_id}`,
    device_id: record.identity,
    metric: "Session.Energy.Active.Import",
    unit: "Wh",
    timestamp: record.stopped_at,
    source: context.source,
  };
  if (stopWh < startWh) {
    metadata.quality_reason = problems.join("; ");
    return createReading({
      ...fields,
      value: null,
      quality: "error",
      metadata,
    });
  }
  const reading = createReading({
    ...fields,
    value: stopWh - startWh,
    quality: "measured",
    metadata,
  });
  if (problems.length > 0) markEstimated(reading, problems.join("; "));
  return reading;
}

function reportSession(
  context: RecordContext,
  record: TransactionRecord,
  reason: string,
): void {
  const energy =
    record.energy_wh === undefined
      ? "the session energy is an error reading with value null"
      : `the session energy ${record.energy_wh} Wh is marked estimated`;
  context.notes.diagnostic({
    code: "QUBIT_OCPP_SESSION_INVALID",
    message: `transaction ${record.transaction_id} of charge point ${record.identity}: ${reason}; ${energy}`,
    location: {
      ...context.source,
      transaction_id: record.transaction_id,
    },
    value: {
      meter_start_wh: record.meter_start_wh,
      meter_stop_wh: record.meter_stop_wh,
      started_at: record.started_at,
      stopped_at: record.stopped_at,
    },
    fix: "check the charger's meter and clock; a meter replaced during the transaction also gives this",
  });
}

/** Builds a reading that is not a sampled value (status, meterStart). */
export function plainReading(
  context: RecordContext,
  fields: {
    connectorId: number;
    metric: string;
    value: number | string;
    unit: string;
    timestamp: string;
    metadata?: Record<string, unknown>;
    reason?: string | undefined;
  },
): TimeSeries {
  const reading = createReading({
    asset_id: `${context.call.identity}:${fields.connectorId}`,
    device_id: context.call.identity,
    metric: fields.metric,
    value: fields.value,
    unit: fields.unit,
    timestamp: fields.timestamp,
    quality: "measured",
    source: context.source,
    metadata: { ocpp_version: context.call.version, ...fields.metadata },
  });
  if (fields.reason) markEstimated(reading, fields.reason);
  context.result.readings.push(reading);
  return reading;
}
