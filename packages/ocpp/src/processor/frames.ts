import type { Logger } from "@qubit/core";
import { callErrorCode, OcppCallError } from "../errors.js";
import { OcppMessage } from "../message.js";
import { checkPayload, isKnownAction } from "../schema/tolerant-check.js";
import type { OcppVersion } from "../versions.js";
import type { OcppProcessor } from "./processor.js";
import type { OcppCall } from "./types.js";

/**
 * Why a frame is not a valid OCPP-J message: `json` (not JSON, not an
 * array), `header` (bad message type or id), `call` (a CALL without an
 * action name or payload object), `depth` (nested deeper than
 * {@link MAX_FRAME_DEPTH}).
 */
export type FrameFault = "json" | "header" | "call" | "depth";

/**
 * Deepest nesting of arrays and objects a frame may have, counting the
 * frame's own array as 1. The deepest OCPP 2.0.1 payloads (a charging
 * profile with a sales tariff) stay under 15 levels. A payload nested
 * thousands of levels deep overflows the stack of the recursive steps
 * after parsing (schema check, copy, serialisation), so it is rejected
 * before them.
 */
export const MAX_FRAME_DEPTH = 64;

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
  | {
      ok: false;
      messageId: string;
      reason: string;
      fault: FrameFault;
      /** The message type, when the frame got far enough to show it. */
      messageType?: unknown;
    };

/**
 * Parses one OCPP-J frame: `[2, id, action, payload]`,
 * `[3, id, payload]` or `[4, id, code, description, details]`. Returns
 * the reason and the fault when the text is not JSON, the header is
 * malformed or the frame is nested deeper than {@link MAX_FRAME_DEPTH};
 * the message id is `-1` when it cannot be read, as OCPP-J prescribes.
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
      fault: "json",
    };
  }
  if (!Array.isArray(frame)) {
    return {
      ok: false,
      messageId: "-1",
      reason: "a frame must be a JSON array",
      fault: "json",
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
      reason: `the message id must be a string of 1 to 36 characters, got ${describeHeaderValue(messageId)}`,
      fault: "header",
    };
  }
  if (deeperThan(frame, MAX_FRAME_DEPTH)) {
    return {
      ok: false,
      messageId,
      reason: `the frame is nested deeper than ${MAX_FRAME_DEPTH} levels of arrays and objects`,
      fault: "depth",
      messageType: type,
    };
  }
  if (type === 2) {
    const [, , action, payload] = frame;
    if (typeof action !== "string" || action === "") {
      return {
        ok: false,
        messageId,
        reason: "a CALL needs an action name as its third element",
        fault: "call",
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
        fault: "call",
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
    reason: `message type must be 2 (CALL), 3 (CALLRESULT) or 4 (CALLERROR), got ${describeHeaderValue(type)}`,
    fault: "header",
  };
}

/**
 * Describes a header element for a reason text. Arrays and objects are
 * named, not serialised, because a hostile frame may nest them too deep
 * for `JSON.stringify`.
 */
function describeHeaderValue(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "an object";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/**
 * Returns whether arrays and objects nest more than `levels` deep in a
 * value. The recursion stops at `levels`, so it is safe on any input.
 */
function deeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      if (deeperThan(value[index], levels - 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    if (deeperThan((value as Record<string, unknown>)[key], levels - 1))
      return true;
  }
  return false;
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

/** Codes of input that is refused before it is handled as a CALL. */
export type BadFrameCode =
  | "QUBIT_OCPP_FRAME_INVALID"
  | "QUBIT_OCPP_FRAME_TOO_LARGE"
  | "QUBIT_OCPP_FRAME_TOO_DEEP"
  | "QUBIT_OCPP_RATE_LIMITED"
  | "QUBIT_OCPP_HANDLER_FAILED";

/** Builds the dead-lettered message of a frame that is not a valid CALL. */
export function badFrameMessage(fields: {
  identity: string;
  version: OcppVersion;
  messageId: string;
  raw: string;
  receivedAt: number;
  connectorName: string;
  code: BadFrameCode;
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
