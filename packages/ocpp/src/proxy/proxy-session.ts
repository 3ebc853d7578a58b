import { readFileSync } from "node:fs";
import { Backoff, type Logger } from "@qubit/core";
import WebSocket from "ws";
import { OcppCallError } from "../errors.js";
import type { OcppMessage } from "../message.js";
import { parseFrame } from "../processor/frames.js";
import type { OcppProcessor } from "../processor/processor.js";
import type { OcppCall } from "../processor/types.js";
import { type OcppVersion, SUBPROTOCOLS } from "../versions.js";

/** Options of {@link ProxySession}. */
export interface ProxySessionOptions {
  identity: string;
  version: OcppVersion;
  charger: WebSocket;
  upstreamUrl: string;
  authorization: string | undefined;
  caFile: string | undefined;
  reconnectMaxDelayMs: number;
  offlineAnswers: "accept" | "none";
  queueMax: number;
  processor: OcppProcessor;
  logger: Logger;
  now: () => number;
  deliver(message: OcppMessage): Promise<void>;
}

interface Queued {
  text: string;
  call: OcppCall;
  answeredLocally: boolean;
  /** The 1.6 transaction id we answered a StartTransaction with. */
  localTransactionId?: number;
}

/**
 * 1.6 transaction ids we issue while the upstream is down start here, far
 * above what CSMSs usually issue, and stay within int32 because many
 * chargers store them so. NOTE: a collision with an upstream id is still
 * possible in principle; the upstream's id replaces ours on replay.
 */
const LOCAL_TRANSACTION_BASE = 2_000_000_000;
const REPLAY_ANSWER_TIMEOUT_MS = 30_000;

/** One charger connected through the proxy, with its upstream socket. */
export class ProxySession {
  private upstream: WebSocket | undefined;
  private readonly pending = new Map<
    string,
    { item: Queued; settle?: () => void }
  >();
  private readonly queue: Queued[] = [];
  private readonly transactionIds = new Map<string, unknown>();
  private readonly backoff: Backoff;
  private readonly logger: Logger;
  private closed = false;
  private replaying = false;
  private timer: NodeJS.Timeout | undefined;
  private localCounter = 0;

  constructor(private readonly options: ProxySessionOptions) {
    this.logger = options.logger.child({
      charge_point: options.identity,
      role: "proxy",
    });
    this.backoff = new Backoff({
      initialDelayMs: 500,
      maxDelayMs: options.reconnectMaxDelayMs,
    });
    options.charger.on("message", (data) => this.fromCharger(data.toString()));
    this.connectUpstream();
  }

  /** True while the upstream socket is open. */
  get upstreamOpen(): boolean {
    return this.upstream?.readyState === WebSocket.OPEN;
  }

  /** Closes both sides. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.upstream?.close();
    if (this.options.charger.readyState === WebSocket.OPEN)
      this.options.charger.close(1001, "proxy closing");
  }

  private connectUpstream(): void {
    if (this.closed) return;
    const headers: Record<string, string> = {};
    if (this.options.authorization)
      headers.authorization = this.options.authorization;
    const socketOptions: WebSocket.ClientOptions = { headers };
    if (this.options.caFile)
      socketOptions.ca = readFileSync(this.options.caFile);
    const socket = new WebSocket(
      this.options.upstreamUrl,
      [SUBPROTOCOLS[this.options.version]],
      socketOptions,
    );
    this.upstream = socket;
    socket.on("open", () => {
      this.backoff.reset();
      this.logger.info(
        { upstream: this.options.upstreamUrl, queued: this.queue.length },
        "Upstream CSMS connected",
      );
      void this.replay();
    });
    socket.on("message", (data) => this.fromUpstream(data.toString()));
    socket.on("error", (error) =>
      this.logger.debug({ err: error }, "Upstream socket error"),
    );
    socket.on("close", () => {
      if (this.closed) return;
      for (const [id, entry] of this.pending) {
        if (!entry.item.answeredLocally) {
          this.logger.warn(
            { message_id: id, action: entry.item.call.action },
            "Upstream closed before answering; the charger will resend",
          );
        }
        entry.settle?.();
      }
      this.pending.clear();
      const delay = this.backoff.next();
      if (this.backoff.attempts === 1) {
        this.logger.warn(
          {
            code: "QUBIT_OCPP_UPSTREAM_UNAVAILABLE",
            upstream: this.options.upstreamUrl,
            retry_in_ms: delay,
          },
          "Upstream CSMS unavailable; frames wait for it",
        );
      }
      this.timer = setTimeout(() => this.connectUpstream(), delay);
    });
  }

  private fromCharger(text: string): void {
    const frame = parseFrame(text);
    if (!frame.ok || frame.type !== 2) {
      if (this.upstreamOpen) this.upstream?.send(text);
      return;
    }
    const call: OcppCall = {
      identity: this.options.identity,
      version: this.options.version,
      messageId: frame.messageId,
      action: frame.action,
      payload: frame.payload,
      raw: text,
      receivedAt: this.options.now(),
    };
    if (this.upstreamOpen && this.queue.length === 0 && !this.replaying) {
      this.forward({ text, call, answeredLocally: false });
      return;
    }
    const item: Queued = {
      text,
      call,
      answeredLocally: this.options.offlineAnswers === "accept",
    };
    if (item.answeredLocally) this.answerLocally(item);
    if (this.queue.length >= this.options.queueMax) {
      this.logger.error(
        { message_id: call.messageId, action: call.action },
        "Proxy queue full; frame not kept for the upstream",
      );
    } else {
      this.queue.push(item);
    }
  }

  private answerLocally(item: Queued): void {
    const call = item.call;
    let response: Record<string, unknown>;
    try {
      response = this.options.processor.respond(call);
    } catch (error) {
      const code =
        error instanceof OcppCallError ? error.rpcErrorCode : "InternalError";
      this.options.charger.send(
        JSON.stringify([4, call.messageId, code, (error as Error).message, {}]),
      );
      return;
    }
    if (call.action === "StartTransaction") {
      this.localCounter += 1;
      item.localTransactionId = LOCAL_TRANSACTION_BASE + this.localCounter;
      response = { ...response, transactionId: item.localTransactionId };
    }
    this.options.charger.send(JSON.stringify([3, call.messageId, response]));
    this.record(call, response);
  }

  private forward(item: Queued): Promise<void> {
    const text = this.translate(item);
    return new Promise((resolve) => {
      this.pending.set(item.call.messageId, { item, settle: resolve });
      this.upstream?.send(text);
      if (!item.answeredLocally) resolve();
    });
  }

  /** Replays queued frames upstream in order, one answer at a time. */
  private async replay(): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    try {
      while (this.queue.length > 0 && this.upstreamOpen) {
        const item = this.queue[0] as Queued;
        await Promise.race([
          this.forward(item),
          new Promise((resolve) =>
            setTimeout(resolve, REPLAY_ANSWER_TIMEOUT_MS),
          ),
        ]);
        if (!this.upstreamOpen) return;
        this.queue.shift();
      }
    } finally {
      this.replaying = false;
    }
  }

  private fromUpstream(text: string): void {
    const frame = parseFrame(text);
    if (frame.ok && (frame.type === 3 || frame.type === 4)) {
      const entry = this.pending.get(frame.messageId);
      if (entry) {
        this.pending.delete(frame.messageId);
        if (entry.item.answeredLocally) {
          this.mapTransaction(
            entry.item,
            frame.type === 3 ? frame.payload : undefined,
          );
          entry.settle?.();
          return;
        }
        this.record(
          entry.item.call,
          frame.type === 3 ? frame.payload : undefined,
        );
      }
    }
    if (this.options.charger.readyState === WebSocket.OPEN)
      this.options.charger.send(text);
  }

  private mapTransaction(item: Queued, answer: unknown): void {
    if (item.localTransactionId === undefined) return;
    const upstreamId = (answer as Record<string, unknown> | undefined)
      ?.transactionId;
    if (upstreamId !== undefined)
      this.transactionIds.set(String(item.localTransactionId), upstreamId);
  }

  /** Rewrites a local 1.6 transaction id to the upstream's, when we issued one. */
  private translate(item: Queued): string {
    const id = item.call.payload.transactionId;
    if (id === undefined) return item.text;
    const mapped = this.transactionIds.get(String(id));
    if (mapped === undefined) return item.text;
    return JSON.stringify([
      2,
      item.call.messageId,
      item.call.action,
      { ...item.call.payload, transactionId: mapped },
    ]);
  }

  private record(call: OcppCall, response: unknown): void {
    const message = this.options.processor.record(call, response);
    this.options
      .deliver(message)
      .catch((error: unknown) =>
        this.logger.error(
          { err: error, message_id: call.messageId },
          "Readings seen by the proxy were not stored",
        ),
      );
  }
}
