import { type Logger, sleep } from "@qubit/core";
import { callErrorCode, OcppCallError } from "../errors.js";
import type { OcppMessage } from "../message.js";
import { handleCall, parseFrame } from "../processor/frames.js";
import type { OcppProcessor } from "../processor/processor.js";
import type { OcppCall } from "../processor/types.js";
import type { OcppVersion } from "../versions.js";
import { BadInput } from "./bad-input.js";
import { callErrorFrame } from "./call-error-frame.js";
import type { CsmsCounter } from "./counters.js";
import type { DuplicateCache } from "./duplicates.js";
import type { RateLimiter } from "./rate-limit.js";

/** The part of an ocpp-rpc server-side client this connection uses. */
export interface RpcPeer {
  readonly identity: string;
  readonly protocol: string | undefined;
  handle(
    handler: (call: {
      messageId: string;
      method: string;
      params: unknown;
    }) => unknown,
  ): void;
  call(
    method: string,
    params: unknown,
    options?: { callTimeoutMs?: number },
  ): Promise<unknown>;
  sendRaw(message: string): void;
  close(options?: {
    code?: number;
    reason?: string;
    force?: boolean;
  }): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  _onMessage(buffer: Buffer | string): void;
}

/** The central system services a connection uses. */
export interface ConnectionHost {
  readonly connectorName: string;
  readonly processor: OcppProcessor;
  readonly logger: Logger;
  readonly now: () => number;
  readonly maxMessageBytes: number;
  readonly rateLimiter: RateLimiter;
  readonly duplicates: DuplicateCache;
  readonly acknowledge: "stored" | "received";
  deliver(message: OcppMessage): Promise<void>;
  /** Resolves when the pipeline can take more; undefined when it can now. */
  backPressure(): Promise<void> | undefined;
  /** Adds one to a counter; `label` is its action, code or reason. */
  count(counter: CsmsCounter, label?: string): void;
}

/** Maximum time a rate-limited CALL is held before it is rejected, in ms. */
const MAX_RATE_WAIT_MS = 2_000;
const MESSAGE_ID_PATTERN = /^\s*\[\s*\d+\s*,\s*"([^"]{1,36})"/;

/**
 * One charge point's WebSocket on our central system. It screens every
 * frame before ocpp-rpc sees it (size, JSON, OCPP-J header), then handles
 * each CALL: rate limit, duplicate check, schema check, answer, and the
 * message into the pipeline. The answer is sent once the readings are
 * stored (or at once with `acknowledge: received`).
 */
export class ChargePointConnection {
  readonly identity: string;
  readonly version: OcppVersion;
  readonly connectedAt: number;
  private childLogger: Logger | undefined;
  private readonly bad: BadInput;
  /** The last WebSocket error, logged when the socket closes. */
  private socketError: { message: string; code: string } | undefined;
  /** Message ids of the CALLs being handled now. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly host: ConnectionHost,
    readonly peer: RpcPeer,
    version: OcppVersion,
  ) {
    this.identity = peer.identity;
    this.version = version;
    this.connectedAt = host.now();
    this.bad = new BadInput({
      identity: this.identity,
      version,
      host,
      logger: () => this.logger,
      send: (frame) => this.send(frame),
    });
    this.installFrameScreen();
    peer.on("socketError", (error) => this.onSocketError(error));
    // The frame screen handles every CALL itself; this handler only runs
    // if a CALL reaches ocpp-rpc some other way.
    peer.handle((call) => {
      const payload = (call.params ?? {}) as Record<string, unknown>;
      const raw = JSON.stringify([2, call.messageId, call.method, payload]);
      return this.onCall(call.messageId, call.method, payload, raw);
    });
  }

  /**
   * Logs the end of the connection with its close code and reason, and
   * the socket error that caused it, if any.
   */
  logClose(event: { code?: unknown; reason?: unknown }): void {
    const context: Record<string, unknown> = {
      close_code: event.code,
      reason: typeof event.reason === "string" ? event.reason : "",
    };
    const error = this.socketError;
    if (error) {
      context.code = "QUBIT_OCPP_SOCKET_ERROR";
      context.error = error.message;
      context.error_code = error.code;
      this.logger.warn(
        context,
        "Charge point disconnected after a socket error",
      );
      return;
    }
    if (event.code === 1000 || event.code === 1001 || event.code === 1005) {
      this.logger.info(context, "Charge point disconnected");
      return;
    }
    this.logger.warn(context, "Charge point connection closed abnormally");
  }

  /**
   * Counts an error of the WebSocket (invalid UTF-8, a frame over the
   * size limit, a protocol error); ws closes the socket after it.
   */
  private onSocketError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | undefined)?.code;
    this.socketError = {
      message,
      code: typeof code === "string" ? code : "unknown",
    };
    this.host.count("socket_errors", this.socketError.code);
  }

  /** The connection's logger, created on first use to save memory per charger. */
  private get logger(): Logger {
    this.childLogger ??= this.host.logger.child({
      charge_point: this.identity,
    });
    return this.childLogger;
  }

  /**
   * Wraps ocpp-rpc's private `_onMessage` (ocpp-rpc 2.2.1: the socket's
   * message listener calls it through the instance), because ocpp-rpc
   * replies to bad frames with RpcFrameworkError in both versions and
   * never limits frame size. Valid CALLs are handled here and never reach
   * ocpp-rpc, which would parse each frame a second time. CALLRESULTs and
   * CALLERRORs to our own CALLs go on to ocpp-rpc. NOTE: this depends on
   * ocpp-rpc internals; the test of bad frames fails if an upgrade
   * changes them.
   */
  private installFrameScreen(): void {
    const original = this.peer._onMessage.bind(this.peer);
    this.peer._onMessage = (data: Buffer | string) => {
      const text = typeof data === "string" ? data : data.toString("utf8");
      if (text.length === 0) return;
      // A UTF-16 code unit takes at most 3 bytes in UTF-8, so the exact
      // byte count is needed only for frames near the limit.
      const limit = this.host.maxMessageBytes;
      if (text.length * 3 > limit && Buffer.byteLength(text) > limit) {
        this.bad.reject(
          MESSAGE_ID_PATTERN.exec(text.slice(0, 120))?.[1] ?? "-1",
          callErrorCode("format", this.version),
          "QUBIT_OCPP_FRAME_TOO_LARGE",
          `frame of ${Buffer.byteLength(text)} bytes exceeds max_message_bytes ${limit}`,
          text.slice(0, 4096),
        );
        return;
      }
      const frame = parseFrame(text);
      if (!frame.ok) {
        this.bad.frame(frame, text);
        return;
      }
      if (frame.type === 2) {
        void this.respondToCall(
          frame.messageId,
          frame.action,
          frame.payload,
          text,
        );
        return;
      }
      original(data);
    };
  }

  /**
   * Handles a CALL and sends its CALLRESULT or CALLERROR. Like ocpp-rpc,
   * it handles one CALL per message id at a time, so a second CALL whose
   * id is still in progress gets a RpcFrameworkError CALLERROR.
   */
  private async respondToCall(
    messageId: string,
    action: string,
    payload: Record<string, unknown>,
    raw: string,
  ): Promise<void> {
    if (this.inFlight.has(messageId)) {
      this.host.count("call_errors", "RpcFrameworkError");
      this.bad.warn(
        { message_id: messageId, action },
        "CALL rejected: a CALL with this message id is still in progress",
      );
      this.send(
        JSON.stringify([
          4,
          messageId,
          "RpcFrameworkError",
          `Already processing a call with message ID: ${messageId}`,
          {},
        ]),
      );
      return;
    }
    this.inFlight.add(messageId);
    let frame: string;
    try {
      const response = await this.onCall(messageId, action, payload, raw);
      frame = JSON.stringify([3, messageId, response]);
    } catch (error) {
      const rpcError =
        (error as { rpcErrorCode?: unknown })?.rpcErrorCode === undefined
          ? this.bad.handlerFailed(messageId, action, raw, error)
          : error;
      frame = callErrorFrame(messageId, rpcError, this.version);
    } finally {
      this.inFlight.delete(messageId);
    }
    this.send(frame);
  }

  private send(frame: string): void {
    try {
      this.peer.sendRaw(frame);
    } catch {
      // The socket closed meanwhile, so there is no one to respond to.
    }
  }

  /**
   * Handles one CALL: rate limit, back-pressure, duplicate check, schema
   * check, response and record. Returns the CALLRESULT payload, or throws
   * the RPC error to send as a CALLERROR.
   */
  private async onCall(
    messageId: string,
    action: string,
    payload: Record<string, unknown>,
    raw: string,
  ): Promise<Record<string, unknown>> {
    const receivedAt = this.host.now();
    const wait = this.host.rateLimiter.reserve(this.identity, MAX_RATE_WAIT_MS);
    if (wait === undefined)
      return this.bad.flood(messageId, action, raw, receivedAt);
    if (wait > 0) await sleep(wait);
    const pressure = this.host.backPressure();
    if (pressure) await pressure;

    const duplicate = this.host.duplicates.find(this.identity, messageId, raw);
    if (duplicate) {
      this.host.count("duplicates");
      this.logger.debug(
        { code: "QUBIT_OCPP_DUPLICATE_MESSAGE", message_id: messageId, action },
        "Duplicate CALL; earlier response sent again",
      );
      if (duplicate.error) throw duplicate.error;
      return duplicate.response ?? {};
    }
    this.host.count("calls", action);
    const call: OcppCall = {
      identity: this.identity,
      version: this.version,
      messageId,
      action,
      payload,
      raw,
      receivedAt,
    };
    // The host's logger: handleCall names the charge point itself, and the
    // connection's child logger is only created when something is logged.
    const outcome = handleCall(this.host.processor, call, this.host.logger);
    if (!outcome.ok) {
      const error = outcome.error;
      this.host.count("call_errors", error.rpcErrorCode);
      this.bad.warn(
        {
          message_id: messageId,
          action,
          code: error.code,
          rpc_error: error.rpcErrorCode,
          reason: error.message,
        },
        "CALL rejected with a CALLERROR",
      );
      await this.host.deliver(outcome.message).catch(() => undefined);
      const rpcError = error.toRpcError();
      this.host.duplicates.remember(this.identity, messageId, raw, {
        error: rpcError,
      });
      throw rpcError;
    }
    if (call.deviations && call.deviations.length > 0) {
      this.host.count("deviations", action);
    }
    const stored = this.host.deliver(outcome.message);
    if (this.host.acknowledge === "stored") {
      try {
        await stored;
      } catch (error) {
        this.logger.error(
          { message_id: messageId, action, err: error },
          "Readings not stored; CALLERROR InternalError sent",
        );
        throw new OcppCallError(
          "QUBIT_OCPP_HANDLER_FAILED",
          "InternalError",
          "readings could not be stored",
        ).toRpcError();
      }
    } else {
      stored.catch(() => undefined);
    }
    this.host.duplicates.remember(this.identity, messageId, raw, {
      response: outcome.response,
    });
    return outcome.response;
  }
}
