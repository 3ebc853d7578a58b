import { toBaseUnit } from "@qubit/core";
import { DEFAULT_MEASURAND } from "../meter/measurands.js";
import type { TransactionRecord } from "../state/transactions.js";
import {
  attachSigned,
  eventTime,
  plainReading,
  type RecordContext,
  recordMeterValues,
  sessionReading,
} from "./context.js";

// Recorders of the OCPP 1.6 transaction messages.

/** Records a 1.6 MeterValues: readings tagged with the running transaction. */
export function recordMeterValues16(context: RecordContext): void {
  const { call, deps } = context;
  const connectorId = integerOr(call.payload.connectorId, 0);
  const given =
    call.payload.transactionId === undefined
      ? undefined
      : String(call.payload.transactionId);
  let transaction =
    given === undefined
      ? deps.transactions.activeOn(call.identity, connectorId)
      : deps.transactions.get(call.identity, given);
  if (given !== undefined && !transaction) {
    unknownTransaction(context, given);
  }
  if (transaction && transaction.status !== "active") transaction = undefined;
  const { unattached } = recordMeterValues(
    context,
    call.payload.meterValue,
    "/meterValue",
    connectorId,
    transaction,
    given,
  );
  if (transaction && unattached.length > 0) {
    transaction.signed_data.push(...unattached);
    deps.transactions.save(transaction);
  }
}

/** Records a 1.6 StartTransaction with the transaction id of its response. */
export function recordStartTransaction(context: RecordContext): void {
  const { call, deps } = context;
  const response = (context.response ?? {}) as Record<string, unknown>;
  const transactionId = response.transactionId;
  const connectorId = integerOr(call.payload.connectorId, 0);
  const time = eventTime(context, call.payload.timestamp, "/timestamp");
  const meterStartWh = registerWh(context, call.payload.meterStart);
  if (transactionId === undefined) return;
  const id = String(transactionId);
  const existing = deps.transactions.get(call.identity, id);
  if (!existing) {
    const record: TransactionRecord = {
      identity: call.identity,
      transaction_id: id,
      connector_id: connectorId,
      version: call.version,
      status: "active",
      started_at: time.iso,
      signed_data: [],
    };
    if (typeof call.payload.idTag === "string")
      record.id_tag = call.payload.idTag;
    if (meterStartWh !== undefined) {
      record.meter_start_wh = meterStartWh;
      record.last_register_wh = meterStartWh;
      record.last_register_at = time.iso;
    }
    deps.transactions.start(record);
    deps.emit("transaction", record);
  }
  if (meterStartWh !== undefined) {
    plainReading(context, {
      connectorId,
      metric: DEFAULT_MEASURAND,
      value: meterStartWh,
      unit: "Wh",
      timestamp: time.iso,
      metadata: {
        transaction_id: id,
        context: "Transaction.Begin",
        measurand: DEFAULT_MEASURAND,
      },
      reason: time.reason,
    });
  }
}

/**
 * Records a 1.6 StopTransaction: the meterStop register on the connector
 * the transaction started on, the transactionData, and the session.
 */
export function recordStopTransaction(context: RecordContext): void {
  const { call, deps } = context;
  const id =
    call.payload.transactionId === undefined
      ? undefined
      : String(call.payload.transactionId);
  const record =
    id === undefined ? undefined : deps.transactions.get(call.identity, id);
  if (id !== undefined && !record) unknownTransaction(context, id);
  const connectorId = record?.connector_id ?? 0;
  const time = eventTime(context, call.payload.timestamp, "/timestamp");
  const meterStopWh = registerWh(context, call.payload.meterStop);
  const active = record?.status === "active" ? record : undefined;

  const { unattached } = recordMeterValues(
    context,
    call.payload.transactionData,
    "/transactionData",
    connectorId,
    active,
    id,
  );

  if (meterStopWh !== undefined) {
    const duplicate = context.result.readings.find(
      (reading) =>
        reading.metric === DEFAULT_MEASURAND && reading.timestamp === time.iso,
    );
    if (duplicate && duplicate.value !== meterStopWh) {
      context.notes.diagnostic({
        code: "QUBIT_OCPP_METER_STOP_MISMATCH",
        message: `meterStop ${meterStopWh} Wh differs from the register sample ${String(duplicate.value)} ${duplicate.unit} of the same time; the sample was dropped and meterStop kept`,
        location: { ...context.source, field: "/meterStop" },
        value: duplicate.value,
      });
      context.result.readings.splice(
        context.result.readings.indexOf(duplicate),
        1,
      );
    } else if (duplicate) {
      context.result.readings.splice(
        context.result.readings.indexOf(duplicate),
        1,
      );
    }
    const metadata: Record<string, unknown> = {
      context: "Transaction.End",
      measurand: DEFAULT_MEASURAND,
    };
    if (id !== undefined) metadata.transaction_id = id;
    if (typeof call.payload.reason === "string")
      metadata.stop_reason = call.payload.reason;
    const reading = plainReading(context, {
      connectorId,
      metric: DEFAULT_MEASURAND,
      value: meterStopWh,
      unit: "Wh",
      timestamp: time.iso,
      metadata,
      reason: record ? time.reason : "transaction unknown, connector 0 used",
    });
    for (const signed of [...unattached]) {
      if (
        signed.timestamp === time.iso &&
        signed.measurand === DEFAULT_MEASURAND
      ) {
        attachSigned(reading, signed);
        unattached.splice(unattached.indexOf(signed), 1);
      }
    }
  }

  if (active) {
    active.signed_data.push(...unattached);
    const stop: { at: string; meterStopWh?: number; reason?: string } = {
      at: time.iso,
    };
    if (meterStopWh !== undefined) stop.meterStopWh = meterStopWh;
    stop.reason =
      typeof call.payload.reason === "string" ? call.payload.reason : "Local";
    const ended = deps.transactions.end(active, stop);
    const session = sessionReading(context, ended);
    if (session) context.result.readings.push(session);
    deps.emit("session", ended);
  }
}

/**
 * Reads a meterStart / meterStop register (integer Wh in 1.6), applying
 * the station's energy unit override.
 */
function registerWh(
  context: RecordContext,
  value: unknown,
): number | undefined {
  const number = typeof value === "string" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isFinite(number)) return undefined;
  const unit = context.deps.stationOptions(context.call.identity).energy_unit;
  return unit ? toBaseUnit(number, unit).value : number;
}

function unknownTransaction(context: RecordContext, id: string): void {
  context.notes.diagnostic(
    {
      code: "QUBIT_OCPP_TRANSACTION_UNKNOWN",
      message: `transaction ${id} of ${context.call.identity} was never started here; readings keep its id but no session is recorded`,
      location: { ...context.source, transaction_id: id },
      value: id,
    },
    `${context.call.identity}|unknown-tx|${id}`,
  );
}

/** Returns an integer field, or the fallback when it is not one. */
export function integerOr(value: unknown, fallback: number): number {
  const number = typeof value === "string" ? Number(value) : value;
  return typeof number === "number" && Number.isInteger(number)
    ? number
    : fallback;
}
