import type { Logger } from "@qubit/core";
import { callErrorCode, OcppCallError } from "../errors.js";
import { OcppMessage } from "../message.js";
import { checkPayload, isKnownAction } from "../schema/tolerant-check.js";
import type { OcppVersion } from "../versions.js";
import type { OcppProcessor } from "./processor.js";
import type { OcppCall } from "./types.js";

/** An OCPP-J frame split into its parts. */
export type ParsedFrame =
  | {
      ok: true;
      type: 2;
      messageId: string;
      action: string;
      payload: Record<string, unknown>;
    }
  | { ok: true; type: 3; messageId: string; payload: unknown }
  | {
      ok: true;
      type: 4;
      messageId: string;
      errorCode: string;
      description: string;
      details: unknown;
    }
  | { ok: false; messageId: string; reason: string };

/**
 * Parses one OCPP-J frame: `[2, id, action, payload]`,
 * `[3, id, payload]` or `[4, id, code, description, details]`. Returns
 * the reason when the text is not JSON or the header is malformed; the
 * message id is `-1` when it cannot be read, as OCPP-J prescribes.
 */
export function parseFrame(raw: string): ParsedFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch (error) {
    return {
      ok: false,
      messageId: "-1",
      reason: `not JSON: ${(error as Error).message}`,
    };
  }
  if (!Array.isArray(frame)) {
    return {
      ok: false,
      messageId: "-1",
      reason: "a frame must be a JSON array",
    };
  }
  const [type, messageId] = frame;
  if (
    typeof messageId !== "string" ||
    messageId === "" ||
    messageId.length > 36
  ) {
    return {
      ok: false,
      messageId: "-1",
      reason: `the message id must be a string of 1 to 36 characters, got ${JSON.stringify(messageId)}`,
    };
  }
  if (type === 2) {
    const [, , action, payload] = frame;
    if (typeof action !== "string" || action === "") {
      return {
        ok: false,
        messageId,
        reason: "a CALL needs an action name as its third element",
      };
    }
    if (
      payload === null ||
      typeof payload !== "object" ||
      Array.isArray(payload)
    ) {
      return {
        ok: false,
        messageId,
        reason: "a CALL payload must be a JSON object",
      };
    }
    return {
      ok: true,
      type,
      messageId,
      action,
      payload: payload as Record<string, unknown>,
    };
  }
  if (type === 3) return { ok: true, type, messageId, payload: frame[2] };
  if (type === 4) {
    return {
      ok: true,
      type,
      messageId,
      errorCode: String(frame[2]),
      description: String(frame[3] ?? ""),
      details: frame[4],
    };
  }
  return {
    ok: false,
    messageId,
    reason: `message type must be 2 (CALL), 3 (CALLRESULT) or 4 (CALLERROR), got ${JSON.stringify(type)}`,
  };
}

/** Result of handling one CALL: the CALLRESULT payload or a CALLERROR, and the message. */
export type CallOutcome =
  | { ok: true; response: Record<string, unknown>; message: OcppMessage }
  | { ok: false; error: OcppCallError; message: OcppMessage };

/**
 * Handles a CALL as the central system: action check, tolerant schema
 * check, response and record. A violation becomes a CALLERROR and a
 * dead-lettered message, except for StopTransaction, which always
 * gets a CALLRESULT (a charger that gets an error resends it forever). Our own
 * answer is checked against the `conf` schema too; a failure there is a
 * bug of ours and is logged, and the answer is sent anyway.
 */
export function handleCall(
  processor: OcppProcessor,
  call: OcppCall,
  logger?: Logger,
): CallOutcome {
  if (isKnownAction(call.version, call.action)) {
    const check = checkPayload(call.version, call.action, "req", call.payload);
    if (check.deviations.length > 0) call.deviations = check.deviations;
    if (!check.ok) {
      if (call.action === "StopTransaction") {
        call.violation = check.violation.message;
      } else {
        return failed(
          processor,
          call,
          new OcppCallError(
            "QUBIT_OCPP_PAYLOAD_INVALID",
            check.violation.rpcErrorCode,
            `${call.action} payload is invalid: ${check.violation.message}`,
            {
              value: call.payload,
              details: {
                path: check.violation.path,
                keyword: check.violation.keyword,
              },
            },
          ),
        );
      }
    }
  }
  let response: Record<string, unknown>;
  try {
    response = processor.respond(call);
  } catch (error) {
    if (error instanceof OcppCallError) return failed(processor, call, error);
    throw error;
  }
  const answer = checkPayload(call.version, call.action, "conf", response);
  if (!answer.ok) {
    logger?.error(
      {
        charge_point: call.identity,
        action: call.action,
        violation: answer.violation,
      },
      "Our CALLRESULT violates the OCPP schema; sent anyway",
    );
  }
  return { ok: true, response, message: processor.record(call, response) };
}

function failed(
  processor: OcppProcessor,
  call: OcppCall,
  error: OcppCallError,
): CallOutcome {
  const message = new OcppMessage({
    kind: call.action,
    identity: call.identity,
    version: call.version,
    messageId: call.messageId,
    payload: call.payload,
    raw: call.raw,
    receivedAt: call.receivedAt,
    connectorName: processor.connectorName,
  });
  message.result.rejects.push({
    code: error.code,
    message: `${error.message} (CALLERROR ${error.rpcErrorCode} sent)`,
    location: message.source,
    value: call.payload,
  });
  return { ok: false, error, message };
}

/** Builds the dead-lettered message of a frame that is not a valid CALL. */
export function badFrameMessage(fields: {
  identity: string;
  version: OcppVersion;
  messageId: string;
  raw: string;
  receivedAt: number;
  connectorName: string;
  code:
    | "QUBIT_OCPP_FRAME_INVALID"
    | "QUBIT_OCPP_FRAME_TOO_LARGE"
    | "QUBIT_OCPP_RATE_LIMITED";
  reason: string;
}): OcppMessage {
  const message = new OcppMessage({
    kind: "frame",
    identity: fields.identity,
    version: fields.version,
    messageId: fields.messageId,
    payload: undefined,
    raw: fields.raw,
    receivedAt: fields.receivedAt,
    connectorName: fields.connectorName,
  });
  message.result.rejects.push({
    code: fields.code,
    message: fields.reason,
    location: message.source,
  });
  return message;
}

/** Returns the CALLERROR code for a frame that is not a valid CALL. */
export function badFrameCode(version: OcppVersion): string {
  // 2.0.1 has RpcFrameworkError for this; 1.6 only FormationViolation.
  return version === "1.6"
    ? callErrorCode("format", version)
    : "RpcFrameworkError";
}
