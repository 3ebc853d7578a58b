import { callErrorCode, OcppCallError } from "../errors.js";
import { isKnownAction } from "../schema/tolerant-check.js";
import type { StationStore } from "../state/stations.js";
import type { TransactionStore } from "../state/transactions.js";
import { parseOcppTimestamp } from "../timestamps.js";
import type { AuthorizationStatus, CsmsPolicy, OcppCall } from "./types.js";

/** The default policy of a central system. */
export const DEFAULT_POLICY: CsmsPolicy = {
  heartbeatIntervalS: 300,
  registration: () => "Accepted",
  idTags: {},
  unknownIdTag: "Accepted",
  dataTransferStatus: "Accepted",
};

// Actions whose response is an empty object in the version that defines them.
const EMPTY_ANSWERS = new Set([
  "StatusNotification",
  "MeterValues",
  "DiagnosticsStatusNotification",
  "FirmwareStatusNotification",
  "SecurityEventNotification",
  "SignedFirmwareStatusNotification",
  "LogStatusNotification",
  "NotifyReport",
  "NotifyEvent",
  "NotifyMonitoringReport",
  "NotifyChargingLimit",
  "ClearedChargingLimit",
  "ReportChargingProfiles",
  "ReservationStatusUpdate",
  "PublishFirmwareStatusNotification",
  "NotifyDisplayMessages",
  "NotifyCustomerInformation",
]);

/** Stores and policy a central system uses to respond to calls. */
export interface Responder {
  policy: CsmsPolicy;
  transactions: TransactionStore;
  stations: StationStore;
  now: () => number;
}

/**
 * Builds a central system's response to a CALL. Throws an
 * {@link OcppCallError} for actions the version does not define
 * (`NotImplemented`) or that we do not handle (`NotSupported`), and for
 * calls from a charge point whose registration was rejected.
 */
export function respond(
  responder: Responder,
  call: OcppCall,
): Record<string, unknown> {
  const { action, payload, version } = call;
  if (!isKnownAction(version, action)) {
    throw new OcppCallError(
      "QUBIT_OCPP_ACTION_UNKNOWN",
      callErrorCode("not_implemented", version),
      `action "${action}" is not defined by OCPP ${version}`,
      { value: action },
    );
  }
  if (action !== "BootNotification") {
    const station = responder.stations.find(call.identity);
    if (station?.registration === "Rejected") {
      throw new OcppCallError(
        "QUBIT_OCPP_AUTH_FAILED",
        callErrorCode("security", version),
        `charge point ${call.identity} was rejected at BootNotification and must boot again`,
      );
    }
  }
  if (EMPTY_ANSWERS.has(action)) return {};
  switch (action) {
    case "BootNotification":
      return {
        status: responder.policy.registration(call.identity),
        currentTime: new Date(responder.now()).toISOString(),
        interval: responder.policy.heartbeatIntervalS,
      };
    case "Heartbeat":
      return { currentTime: new Date(responder.now()).toISOString() };
    case "Authorize":
      return version === "1.6"
        ? { idTagInfo: idTagInfo(responder, payload.idTag, version) }
        : { idTokenInfo: idTagInfo(responder, tokenOf(payload), version) };
    case "StartTransaction":
      return {
        transactionId: startTransactionId(responder, call),
        idTagInfo: idTagInfo(responder, payload.idTag, version),
      };
    case "StopTransaction":
      return payload.idTag === undefined
        ? {}
        : { idTagInfo: idTagInfo(responder, payload.idTag, version) };
    case "TransactionEvent":
      return payload.idToken === undefined
        ? {}
        : { idTokenInfo: idTagInfo(responder, tokenOf(payload), version) };
    case "DataTransfer":
      return { status: responder.policy.dataTransferStatus };
    case "SignCertificate":
      return { status: "Rejected" };
    case "NotifyEVChargingNeeds":
      return { status: "Rejected" };
    case "NotifyEVChargingSchedule":
      return { status: "Accepted" };
    default:
      throw new OcppCallError(
        "QUBIT_OCPP_ACTION_UNSUPPORTED",
        callErrorCode("not_supported", version),
        `action "${action}" is not supported by this central system`,
        { value: action },
      );
  }
}

function tokenOf(payload: Record<string, unknown>): unknown {
  const token = payload.idToken as Record<string, unknown> | undefined;
  return token?.idToken;
}

function idTagInfo(
  responder: Responder,
  tag: unknown,
  version: "1.6" | "2.0.1",
): {
  status: AuthorizationStatus;
  expiryDate?: string;
  cacheExpiryDateTime?: string;
} {
  const policy = responder.policy;
  const entry = typeof tag === "string" ? policy.idTags[tag] : undefined;
  if (!entry) {
    if (policy.unknownIdTag === "Accepted") return { status: "Accepted" };
    return { status: version === "1.6" ? "Invalid" : "Unknown" };
  }
  if (entry.expiry_date !== undefined) {
    const expiry = parseOcppTimestamp(entry.expiry_date);
    if (expiry.ok && expiry.epochMs <= responder.now())
      return { status: "Expired" };
    if (entry.status === "Accepted")
      return version === "1.6"
        ? { status: "Accepted", expiryDate: entry.expiry_date }
        : { status: "Accepted", cacheExpiryDateTime: entry.expiry_date };
  }
  return { status: entry.status };
}

/**
 * Issues a 1.6 transaction id. A StartTransaction resent after a
 * reconnect with a new message id (same connector, start time and
 * meterStart) gets the id of the transaction it already started.
 */
function startTransactionId(responder: Responder, call: OcppCall): number {
  const connectorId = Number(call.payload.connectorId);
  const active = responder.transactions.activeOn(call.identity, connectorId);
  const started = parseOcppTimestamp(call.payload.timestamp);
  if (
    active &&
    started.ok &&
    active.started_at === new Date(started.epochMs).toISOString() &&
    active.meter_start_wh === Number(call.payload.meterStart) &&
    Number.isInteger(Number(active.transaction_id))
  ) {
    return Number(active.transaction_id);
  }
  return responder.transactions.nextTransactionId();
}
