import { QubitError, type QubitErrorOptions } from "@qubit/core";
import { createRPCError } from "ocpp-rpc";
import type { OcppVersion } from "./versions.js";

/** Error and diagnostic codes of `@qubit/ocpp`, with what each one means. */
export const OcppErrorCodes = {
  QUBIT_OCPP_IDENTITY_INVALID:
    "The charge point id in the WebSocket URL is malformed, too long or uses characters outside the allowed set.",
  QUBIT_OCPP_AUTH_FAILED:
    "Credentials were refused: a charge point sent no credentials, wrong credentials or no client certificate for the security profile, or the CSMS answered our client's connection with HTTP 401 or 403.",
  QUBIT_OCPP_CONNECT_REJECTED:
    "The CSMS answered our client's WebSocket upgrade with an HTTP error other than 401 or 403 (for example 404 for an unknown charge point id).",
  QUBIT_OCPP_CHARGE_POINT_UNKNOWN:
    "A charge point that is not in the registry tried to connect.",
  QUBIT_OCPP_SUBPROTOCOL_UNSUPPORTED:
    "A charge point offered no OCPP subprotocol that the server accepts.",
  QUBIT_OCPP_FRAME_INVALID:
    "A WebSocket frame is not an OCPP-J message (not JSON, not an array, or a bad header).",
  QUBIT_OCPP_FRAME_TOO_LARGE: "A frame is larger than max_message_bytes.",
  QUBIT_OCPP_FRAME_TOO_DEEP:
    "A frame nests arrays and objects deeper than the limit (64 levels).",
  QUBIT_OCPP_SOCKET_ERROR:
    "A charge point's WebSocket failed (invalid UTF-8, a frame over the size limit, a protocol error) and was closed.",
  QUBIT_OCPP_SERVER_EXPOSED:
    "A central system or proxy listens on an address other machines reach, without authentication, without TLS, or accepting unknown charge points.",
  QUBIT_OCPP_ACTION_UNKNOWN:
    "A CALL names an action the version does not define.",
  QUBIT_OCPP_ACTION_UNSUPPORTED:
    "A CALL names an action the version defines but this side does not handle.",
  QUBIT_OCPP_PAYLOAD_INVALID:
    "A payload violates its OCPP JSON schema in a way that cannot be read without guessing.",
  QUBIT_OCPP_SCHEMA_DEVIATION:
    "A payload deviates from its schema in a way that can be read without guessing; it was accepted and flagged.",
  QUBIT_OCPP_VALUE_NOT_NUMBER:
    "A sampled value is not a finite decimal number; it becomes an error reading, or is rejected when the same measurand has a readable value.",
  QUBIT_OCPP_UNIT_ASSUMED:
    "A sampled value has no unit; the unit was taken from the measurand.",
  QUBIT_OCPP_UNIT_UNKNOWN:
    "A sampled value has a unit the unit table does not know.",
  QUBIT_OCPP_UNIT_MISMATCH:
    "A sampled value's unit does not fit its measurand.",
  QUBIT_OCPP_MEASURAND_UNKNOWN:
    "A sampled value names a measurand the version does not define.",
  QUBIT_OCPP_SAMPLE_CONFLICT:
    "A meter value lists the same measurand and phase more than once with different readable values; one is kept (the highest for a register, else the first) and marked estimated, the others go to metadata.conflicting_values.",
  QUBIT_OCPP_ENERGY_UNIT_SUSPECT:
    "The energy register rises about 1000 times slower or faster than the reported power implies, so its unit label is probably wrong.",
  QUBIT_OCPP_TIMESTAMP_INVALID: "A timestamp is not ISO 8601.",
  QUBIT_OCPP_TIMESTAMP_ZONE_MISSING:
    "A timestamp has no zone designator; it was read as UTC.",
  QUBIT_OCPP_TIMESTAMP_OUT_OF_RANGE:
    "A timestamp is before 2000-01-01 or more than 24 hours after the receive time (a charger clock that was never set); the receive time was used.",
  QUBIT_OCPP_SESSION_INVALID:
    "A transaction's stop register is below its start register, or it stopped before it started; the session energy is an error reading.",
  QUBIT_OCPP_TRANSACTION_UNKNOWN:
    "A message names a transaction that was never started.",
  QUBIT_OCPP_SEQUENCE_GAP: "TransactionEvent sequence numbers skip or repeat.",
  QUBIT_OCPP_METER_STOP_MISMATCH:
    "meterStop differs from the Transaction.End register sample of the same time.",
  QUBIT_OCPP_DUPLICATE_MESSAGE:
    "A charge point resent a CALL it had sent before; it was answered again and not counted twice.",
  QUBIT_OCPP_RATE_LIMITED:
    "A charge point sends CALLs faster than the rate limit.",
  QUBIT_OCPP_CALL_FAILED:
    "An outgoing CALL got a CALLERROR, timed out or could not be sent.",
  QUBIT_OCPP_COMMAND_INVALID:
    "An outgoing command payload violates its OCPP schema.",
  QUBIT_OCPP_COMMAND_QUEUE_FULL:
    "The command queue of an offline charge point is full.",
  QUBIT_OCPP_COMMAND_EXPIRED:
    "A queued command expired before its charge point came back.",
  QUBIT_OCPP_CHARGE_POINT_OFFLINE: "A charge point is not connected.",
  QUBIT_OCPP_CONNECT_FAILED:
    "The charge point client could not connect to its CSMS.",
  QUBIT_OCPP_UPSTREAM_UNAVAILABLE:
    "The proxy's upstream CSMS is not reachable; frames wait for it.",
  QUBIT_OCPP_HANDLER_FAILED: "Handling a CALL failed inside the connector.",
} as const;

/** A code of {@link OcppErrorCodes}. */
export type OcppErrorCode = keyof typeof OcppErrorCodes;

/** An error of the OCPP connector, with a stable code. */
export class OcppError extends QubitError {
  constructor(
    code: OcppErrorCode,
    message: string,
    options: QubitErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/**
 * CALLERROR codes of OCPP-J. The 1.6 spec spells two of them
 * `FormationViolation` and `OccurenceConstraintViolation`; the 1.6 errata
 * and 2.0.1 use `FormatViolation` for the first and
 * `OccurrenceConstraintViolation` for the second, which is what we send.
 */
export type CallErrorCode =
  | "FormatViolation"
  | "FormationViolation"
  | "GenericError"
  | "InternalError"
  | "MessageTypeNotSupported"
  | "NotImplemented"
  | "NotSupported"
  | "OccurrenceConstraintViolation"
  | "PropertyConstraintViolation"
  | "ProtocolError"
  | "RpcFrameworkError"
  | "SecurityError"
  | "TypeConstraintViolation";

/** Kinds of fault that map to a CALLERROR code per version. */
export type CallFault =
  | "format"
  | "occurrence"
  | "property"
  | "type"
  | "protocol"
  | "not_implemented"
  | "not_supported"
  | "security"
  | "internal"
  | "generic";

/** Returns the CALLERROR code of a fault in one OCPP version. */
export function callErrorCode(
  fault: CallFault,
  version: OcppVersion,
): CallErrorCode {
  switch (fault) {
    case "format":
      // 1.6 chargers match on the 1.6 spelling; 2.0.1 renamed it.
      return version === "1.6" ? "FormationViolation" : "FormatViolation";
    case "occurrence":
      return "OccurrenceConstraintViolation";
    case "property":
      return "PropertyConstraintViolation";
    case "type":
      return "TypeConstraintViolation";
    case "protocol":
      return "ProtocolError";
    case "not_implemented":
      return "NotImplemented";
    case "not_supported":
      return "NotSupported";
    case "security":
      return "SecurityError";
    case "internal":
      return "InternalError";
    default:
      return "GenericError";
  }
}

/**
 * A CALL rejected with a CALLERROR. Thrown from an ocpp-rpc
 * handler, ocpp-rpc sends `[4, id, rpcErrorCode, message, details]`.
 */
export class OcppCallError extends OcppError {
  /** The CALLERROR code sent to the peer. */
  readonly rpcErrorCode: CallErrorCode;
  /** The CALLERROR details object sent to the peer. */
  readonly details: Record<string, unknown>;

  constructor(
    code: OcppErrorCode,
    rpcErrorCode: CallErrorCode,
    message: string,
    options: QubitErrorOptions & { details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.rpcErrorCode = rpcErrorCode;
    this.details = options.details ?? {};
  }

  /** Returns the error ocpp-rpc turns into this CALLERROR. */
  toRpcError(): Error {
    return createRPCError(
      this.rpcErrorCode,
      this.message,
      this.details,
    ) as unknown as Error;
  }
}
