import type { TransactionRecord } from "../state/transactions.js";
import {
  eventTime,
  plainReading,
  type RecordContext,
  recordMeterValues,
  sessionReading,
} from "./context.js";
import { integerOr } from "./record-16.js";

// Recorders of the OCPP 2.0.1 messages that carry readings.

/** Records a 2.0.1 MeterValues (`evseId` 0 is the whole station). */
export function recordMeterValues201(context: RecordContext): void {
  const { call, deps } = context;
  const evseId = integerOr(call.payload.evseId, 0);
  const transaction = deps.transactions.activeOn(call.identity, evseId);
  recordMeterValues(
    context,
    call.payload.meterValue,
    "/meterValue",
    evseId,
    transaction,
    undefined,
  );
}

/**
 * Records a TransactionEvent: Started creates the transaction, Updated
 * and Ended add meter values, Ended closes it and emits the session.
 * seqNo gaps and repeats are reported; `offline` events are tagged.
 */
export function recordTransactionEvent(context: RecordContext): void {
  const { call, deps } = context;
  const payload = call.payload;
  const info = (payload.transactionInfo ?? {}) as Record<string, unknown>;
  const id =
    typeof info.transactionId === "string" ? info.transactionId : undefined;
  const eventType = String(payload.eventType);
  const time = eventTime(context, payload.timestamp, "/timestamp");
  const evse = payload.evse as Record<string, unknown> | undefined;
  if (id === undefined) return;

  let record = deps.transactions.get(call.identity, id);
  if (!record) {
    record = {
      identity: call.identity,
      transaction_id: id,
      connector_id: integerOr(evse?.id, 0),
      version: "2.0.1",
      status: "active",
      started_at: time.iso,
      signed_data: [],
    };
    const token = payload.idToken as Record<string, unknown> | undefined;
    if (typeof token?.idToken === "string") record.id_tag = token.idToken;
    if (eventType !== "Started") {
      context.notes.diagnostic(
        {
          code: "QUBIT_OCPP_TRANSACTION_UNKNOWN",
          message: `TransactionEvent ${eventType} for transaction ${id} arrived before its Started event; the transaction starts here`,
          location: { ...context.source, transaction_id: id },
          value: id,
        },
        `${call.identity}|unknown-tx|${id}`,
      );
    }
    deps.transactions.start(record);
    deps.emit("transaction", record);
  } else if (evse?.id !== undefined && record.connector_id === 0) {
    record.connector_id = integerOr(evse.id, 0);
  }
  checkSequence(context, record, payload.seqNo);

  const metadata: Record<string, unknown> = {
    event_type: eventType,
    trigger_reason: payload.triggerReason,
  };
  if (payload.offline === true) {
    metadata.offline = true;
    record.offline_events = (record.offline_events ?? 0) + 1;
  }
  const active = record.status === "active" ? record : undefined;
  const { unattached } = recordMeterValues(
    context,
    payload.meterValue,
    "/meterValue",
    record.connector_id,
    active,
    id,
    metadata,
  );
  if (active) active.signed_data.push(...unattached);

  if (eventType === "Ended" && active) {
    const stop: { at: string; reason?: string } = { at: time.iso };
    if (typeof info.stoppedReason === "string")
      stop.reason = info.stoppedReason;
    const ended = deps.transactions.end(active, stop);
    const session = sessionReading(context, ended);
    if (session) context.result.readings.push(session);
    deps.emit("session", ended);
  } else if (active) {
    deps.transactions.save(active);
  }
}

function checkSequence(
  context: RecordContext,
  record: TransactionRecord,
  seqNo: unknown,
): void {
  if (typeof seqNo !== "number" || !Number.isInteger(seqNo)) return;
  const last = record.last_seq_no;
  if (last !== undefined && seqNo !== last + 1) {
    const skipped = seqNo > last + 1 ? seqNo - last - 1 : 0;
    record.sequence_gaps = (record.sequence_gaps ?? 0) + (skipped > 0 ? 1 : 0);
    context.notes.diagnostic({
      code: "QUBIT_OCPP_SEQUENCE_GAP",
      message:
        skipped > 0
          ? `TransactionEvent seqNo of transaction ${record.transaction_id} jumped from ${last} to ${seqNo}; ${skipped} event(s) missing`
          : `TransactionEvent seqNo ${seqNo} of transaction ${record.transaction_id} repeats or precedes ${last}; handled again`,
      location: { ...context.source, transaction_id: record.transaction_id },
      value: seqNo,
    });
  }
  if (last === undefined || seqNo > last) record.last_seq_no = seqNo;
}

/** Records a 2.0.1 StatusNotification: the connector state and a status reading. */
export function recordStatus201(context: RecordContext): void {
  const { call, deps } = context;
  const evseId = integerOr(call.payload.evseId, 0);
  const connectorId = integerOr(call.payload.connectorId, 0);
  const time = eventTime(context, call.payload.timestamp, "/timestamp");
  const status = String(call.payload.connectorStatus);
  const station = deps.stations.get(call.identity, call.version);
  station.connectors[`${evseId}/${connectorId}`] = { status, at: time.iso };
  deps.stations.save(station);
  deps.emit("station", station, "status");
  plainReading(context, {
    connectorId: evseId,
    metric: "Connector.Status",
    value: status,
    unit: "",
    timestamp: time.iso,
    metadata: { connector_id: connectorId },
    reason: time.reason,
  });
}

/** Records NotifyReport device model values on the station. */
export function recordNotifyReport(context: RecordContext): void {
  const { call, deps } = context;
  const station = deps.stations.get(call.identity, call.version);
  const variables = station.variables ?? {};
  const data = Array.isArray(call.payload.reportData)
    ? call.payload.reportData
    : [];
  for (const entry of data as Record<string, unknown>[]) {
    const component = (entry.component ?? {}) as Record<string, unknown>;
    const variable = (entry.variable ?? {}) as Record<string, unknown>;
    const attributes = Array.isArray(entry.variableAttribute)
      ? (entry.variableAttribute as Record<string, unknown>[])
      : [];
    for (const attribute of attributes) {
      if (attribute.value === undefined) continue;
      const key = `${String(component.name)}/${String(variable.name)}/${String(attribute.type ?? "Actual")}`;
      variables[key] = String(attribute.value);
    }
  }
  station.variables = variables;
  deps.stations.save(station);
  deps.emit("station", station, "report");
}

/**
 * Records NotifyEvent: each event with a numeric actual value becomes a
 * reading `<component>.<variable>` on its EVSE.
 */
export function recordNotifyEvent(context: RecordContext): void {
  const data = Array.isArray(context.call.payload.eventData)
    ? (context.call.payload.eventData as Record<string, unknown>[])
    : [];
  for (const event of data) {
    const component = (event.component ?? {}) as Record<string, unknown>;
    const variable = (event.variable ?? {}) as Record<string, unknown>;
    const evse = (component.evse ?? {}) as Record<string, unknown>;
    const time = eventTime(context, event.timestamp, "/eventData/timestamp");
    const text = String(event.actualValue ?? "");
    const number = Number(text);
    plainReading(context, {
      connectorId: integerOr(evse.id, 0),
      metric: `${String(component.name)}.${String(variable.name)}`,
      value: text.trim() !== "" && Number.isFinite(number) ? number : text,
      unit: "",
      timestamp: time.iso,
      metadata: {
        event_id: event.eventId,
        trigger: event.trigger,
        event_notification_type: event.eventNotificationType,
      },
      reason: time.reason,
    });
  }
}
