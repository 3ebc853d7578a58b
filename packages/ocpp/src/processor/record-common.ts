import { eventTime, plainReading, type RecordContext } from "./context.js";
import { integerOr } from "./record-16.js";

// Recorders of the station-level messages of both versions.

/** Records a BootNotification: station details and registration status. */
export function recordBoot(context: RecordContext): void {
  const { call, deps } = context;
  const station = deps.stations.get(call.identity, call.version);
  const payload = call.payload;
  const details: Record<string, unknown> =
    call.version === "1.6"
      ? { ...payload }
      : {
          ...((payload.chargingStation ?? {}) as Record<string, unknown>),
          reason: payload.reason,
        };
  station.boot = details;
  const status = (context.response as Record<string, unknown> | undefined)
    ?.status;
  if (status === "Accepted" || status === "Pending" || status === "Rejected")
    station.registration = status;
  station.booted_at = new Date(call.receivedAt).toISOString();
  const firmware = details.firmwareVersion;
  if (typeof firmware === "string") {
    station.firmware = {
      ...(station.firmware ?? {
        status: "Idle",
        updated_at: station.booted_at,
      }),
      installed_version: firmware,
    };
  }
  deps.stations.save(station);
  deps.emit("station", station, "boot");
}

/** Records a 1.6 StatusNotification: the connector state and a status reading. */
export function recordStatus16(context: RecordContext): void {
  const { call, deps } = context;
  const connectorId = integerOr(call.payload.connectorId, 0);
  const time = eventTime(context, call.payload.timestamp, "/timestamp");
  const status = String(call.payload.status);
  const station = deps.stations.get(call.identity, call.version);
  const state: {
    status: string;
    at: string;
    error_code?: string;
    info?: string;
  } = {
    status,
    at: time.iso,
  };
  if (typeof call.payload.errorCode === "string")
    state.error_code = call.payload.errorCode;
  if (typeof call.payload.info === "string") state.info = call.payload.info;
  station.connectors[String(connectorId)] = state;
  deps.stations.save(station);
  deps.emit("station", station, "status");
  const metadata: Record<string, unknown> = {};
  if (state.error_code !== undefined) metadata.error_code = state.error_code;
  if (state.info !== undefined) metadata.info = state.info;
  if (typeof call.payload.vendorErrorCode === "string")
    metadata.vendor_error_code = call.payload.vendorErrorCode;
  plainReading(context, {
    connectorId,
    metric: "Connector.Status",
    value: status,
    unit: "",
    timestamp: time.iso,
    metadata,
    reason: call.payload.timestamp === undefined ? undefined : time.reason,
  });
}

/** Records a FirmwareStatusNotification (and 1.6's signed variant). */
export function recordFirmwareStatus(context: RecordContext): void {
  const { call, deps } = context;
  const station = deps.stations.get(call.identity, call.version);
  const firmware = station.firmware ?? {
    status: "Idle",
    updated_at: new Date(call.receivedAt).toISOString(),
  };
  firmware.status = String(call.payload.status);
  firmware.updated_at = new Date(call.receivedAt).toISOString();
  if (typeof call.payload.requestId === "number")
    firmware.request_id = call.payload.requestId;
  station.firmware = firmware;
  deps.stations.save(station);
  deps.emit("station", station, "firmware");
}

/** Records a SecurityEventNotification on the station and in the log. */
export function recordSecurityEvent(context: RecordContext): void {
  const { call, deps } = context;
  const station = deps.stations.get(call.identity, call.version);
  const time = eventTime(context, call.payload.timestamp, "/timestamp");
  const event: { type: string; at: string; tech_info?: string } = {
    type: String(call.payload.type),
    at: time.iso,
  };
  if (typeof call.payload.techInfo === "string")
    event.tech_info = call.payload.techInfo;
  deps.stations.addSecurityEvent(station, event);
  deps.logger.warn(
    { charge_point: call.identity, message_id: call.messageId, ...event },
    "Charge point reported a security event",
  );
  deps.emit("station", station, "security_event");
}

/**
 * Records a DataTransfer. Vendors often put JSON inside the `data`
 * string (EN+ does); it is parsed for the event when it is JSON.
 */
export function recordDataTransfer(context: RecordContext): void {
  const { call, deps } = context;
  let data: unknown = call.payload.data;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      // Plain text stays as it is.
    }
  }
  const event: {
    identity: string;
    vendorId: string;
    messageId?: string;
    data?: unknown;
  } = { identity: call.identity, vendorId: String(call.payload.vendorId) };
  if (typeof call.payload.messageId === "string")
    event.messageId = call.payload.messageId;
  if (data !== undefined) event.data = data;
  deps.emit("data_transfer", event);
}

/** Records a 1.6 SecurityEventNotification's sibling: nothing to keep but the log. */
export function recordDiagnosticsStatus(context: RecordContext): void {
  context.deps.logger.info(
    {
      charge_point: context.call.identity,
      status: context.call.payload.status,
    },
    "Diagnostics upload status",
  );
}
