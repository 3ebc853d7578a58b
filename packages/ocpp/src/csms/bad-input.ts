import { type Logger, rateLimited } from "@qubit/core";
import { callErrorCode, OcppCallError } from "../errors.js";
import {
  type BadFrameCode,
  badFrameCode,
  badFrameMessage,
  type ParsedFrame,
} from "../processor/frames.js";
import type { OcppVersion } from "../versions.js";
import type { ConnectionHost } from "./connection.js";

/** The connection fields and callbacks that {@link BadInput} uses. */
export interface BadInputTarget {
  readonly identity: string;
  readonly version: OcppVersion;
  readonly host: ConnectionHost;
  /** The connection's logger, which names the charge point. */
  logger(): Logger;
  /** Sends a frame to the charge point, if its socket is still open. */
  send(frame: string): void;
}

/**
 * The input of one charge point that is refused or fails: bad frames,
 * floods and CALLs whose handling throws. Each is logged with the charge
 * point and message id (at most 5 lines a minute of each level, then the
 * number suppressed), counted, rejected with a CALLERROR where OCPP-J
 * expects a response, and dead-lettered.
 */
export class BadInput {
  private readonly warnLimit = rateLimited(5, 60_000);
  private readonly errorLimit = rateLimited(5, 60_000);

  constructor(private readonly target: BadInputTarget) {}

  /**
   * Rejects a frame that is not a valid OCPP-J message. A CALL without an
   * action or payload gets ProtocolError. A frame nested too deep gets the
   * version's format violation, as a frame that is too large does. Other
   * faults get the version's CALLERROR for malformed frames.
   */
  frame(frame: Extract<ParsedFrame, { ok: false }>, text: string): void {
    const version = this.target.version;
    if (frame.fault === "depth") {
      // A CALLRESULT or CALLERROR responds to a CALL of ours, so it gets
      // no CALLERROR back.
      const isAnswer = frame.messageType === 3 || frame.messageType === 4;
      this.reject(
        frame.messageId,
        isAnswer ? undefined : callErrorCode("format", version),
        "QUBIT_OCPP_FRAME_TOO_DEEP",
        frame.reason,
        text,
      );
      return;
    }
    this.reject(
      frame.messageId,
      frame.fault === "call" ? "ProtocolError" : badFrameCode(version),
      "QUBIT_OCPP_FRAME_INVALID",
      frame.reason,
      text,
    );
  }

  /**
   * Logs, counts and dead-letters a bad frame, and sends a CALLERROR of
   * `rpcCode` unless that is undefined.
   */
  reject(
    messageId: string,
    rpcCode: string | undefined,
    code: BadFrameCode,
    reason: string,
    raw: string,
  ): void {
    const host = this.target.host;
    host.count("bad_frames", code);
    if (rpcCode !== undefined) host.count("call_errors", rpcCode);
    this.warn(
      { message_id: messageId, code, rpc_error: rpcCode, reason },
      rpcCode === undefined
        ? "Invalid frame rejected"
        : "Invalid frame rejected with a CALLERROR",
    );
    if (rpcCode !== undefined) {
      this.target.send(JSON.stringify([4, messageId, rpcCode, reason, {}]));
    }
    this.deadLetter(messageId, raw, host.now(), code, reason);
  }

  /**
   * Logs, counts and dead-letters a CALL rejected by the rate limit, and
   * throws the GenericError to send in response.
   */
  flood(
    messageId: string,
    action: string,
    raw: string,
    receivedAt: number,
  ): never {
    this.target.host.count("rate_limited");
    const reason = `charge point sends CALLs faster than the rate limit; ${action} refused`;
    this.warn(
      { message_id: messageId, action },
      "Rate limit exceeded; CALL refused",
    );
    this.deadLetter(
      messageId,
      raw,
      receivedAt,
      "QUBIT_OCPP_RATE_LIMITED",
      reason,
    );
    throw new OcppCallError(
      "QUBIT_OCPP_RATE_LIMITED",
      "GenericError",
      reason,
    ).toRpcError();
  }

  /**
   * Logs, counts and dead-letters a CALL whose handling threw something
   * other than a CALLERROR (a bug of ours, or input that breaks a step),
   * and returns the InternalError to send in response.
   */
  handlerFailed(
    messageId: string,
    action: string,
    raw: string,
    error: unknown,
  ): Error {
    const reason = `handling ${action} failed: ${error instanceof Error ? error.message : String(error)}`;
    const host = this.target.host;
    host.count("call_errors", "InternalError");
    const gate = this.errorLimit();
    if (gate.allowed) {
      this.target.logger().error(
        {
          code: "QUBIT_OCPP_HANDLER_FAILED",
          message_id: messageId,
          action,
          err: error,
          ...(gate.suppressed > 0 ? { suppressed: gate.suppressed } : {}),
        },
        "Handling a CALL failed; CALLERROR InternalError sent",
      );
    }
    this.deadLetter(
      messageId,
      raw,
      host.now(),
      "QUBIT_OCPP_HANDLER_FAILED",
      reason,
    );
    return new OcppCallError(
      "QUBIT_OCPP_HANDLER_FAILED",
      "InternalError",
      reason,
    ).toRpcError();
  }

  /** Logs a warning, at most 5 a minute for this charge point. */
  warn(context: Record<string, unknown>, text: string): void {
    const gate = this.warnLimit();
    if (!gate.allowed) return;
    this.target
      .logger()
      .warn(
        gate.suppressed > 0
          ? { ...context, suppressed: gate.suppressed }
          : context,
        text,
      );
  }

  private deadLetter(
    messageId: string,
    raw: string,
    receivedAt: number,
    code: BadFrameCode,
    reason: string,
  ): void {
    const { host, identity, version } = this.target;
    const message = badFrameMessage({
      identity,
      version,
      messageId,
      raw,
      receivedAt,
      connectorName: host.connectorName,
      code,
      reason,
    });
    host.deliver(message).catch(() => undefined);
  }
}
