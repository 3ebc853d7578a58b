import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { Backoff, type Logger, noopLogger, type StateStore } from "@qubit/core";
import { OcppError } from "../errors.js";
import { RPCClient } from "../rpc.js";
import { type OcppVersion, SUBPROTOCOLS } from "../versions.js";
import {
  type ConnectFailure,
  describeConnectFailure,
  withoutCredentials,
} from "./connect-failure.js";
import {
  isTransactionMessage,
  OfflineQueue,
  type PendingCall,
} from "./offline-queue.js";

/** Options of {@link ChargePointClient}. */
export interface ChargePointClientOptions {
  version: OcppVersion;
  /** CSMS endpoint; the charge point id is appended. */
  url: string;
  identity: string;
  basicAuth?: { username: string; password: string };
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  callTimeoutMs?: number;
  offlineQueueMax?: number;
  /** Store for transaction messages kept while offline; default memory. */
  state?: StateStore;
  logger?: Logger;
}

/** Events of {@link ChargePointClient}. */
export interface ChargePointClientEvents {
  connected: [];
  disconnected: [{ code: number; reason: string }];
  /** A CALL of ours was answered. `queuedAt` is when it was made. */
  answered: [
    {
      messageId: string;
      action: string;
      payload: Record<string, unknown>;
      response: Record<string, unknown>;
      queuedAt: number;
    },
  ];
  /** A CALL of ours failed for good (a CALLERROR, or offline for a non-transaction message). */
  failed: [{ action: string; payload: Record<string, unknown>; error: Error }];
  /** A connection attempt failed; another follows after `retryInMs`. */
  connect_failed: [ConnectFailure];
}

interface RpcClientLike {
  connect(): Promise<unknown>;
  close(options?: Record<string, unknown>): Promise<unknown>;
  call(
    method: string,
    params: unknown,
    options?: Record<string, unknown>,
  ): Promise<unknown>;
  handle(
    method:
      | string
      | ((call: {
          method: string;
          params: unknown;
          messageId: string;
        }) => unknown),
    handler?: (call: { params: unknown; messageId: string }) => unknown,
  ): void;
  sendRaw(message: string): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  readonly state: number;
}

const OPEN = 1;

/**
 * An OCPP charge point on ocpp-rpc: connects to a CSMS, reconnects with
 * exponential backoff and jitter, and sends its CALLs one at a time in
 * order. Transaction messages made while offline are kept (persisted when
 * a state store is given) and replayed in order on reconnect, unchanged,
 * as OCPP requires; 2.0.1 TransactionEvents queued while offline get
 * `offline: true`. Other CALLs fail at once while offline.
 */
export class ChargePointClient extends EventEmitter<ChargePointClientEvents> {
  readonly identity: string;
  readonly version: OcppVersion;
  private readonly rpc: RpcClientLike;
  private readonly queue: OfflineQueue;
  private readonly backoff: Backoff;
  /** Delays after the CSMS rejected us: always the maximum, with jitter. */
  private readonly rejectedBackoff: Backoff;
  private readonly logger: Logger;
  private readonly safeUrl: string;
  private lastFailureCode: string | undefined;
  private readonly waiters = new Map<
    PendingCall,
    {
      resolve: (value: Record<string, unknown>) => void;
      reject: (error: Error) => void;
    }
  >();
  private running = false;
  private closed = false;
  private connected = false;
  private pumping = false;
  private connectedOnce: Promise<void>;
  private markConnected!: () => void;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private refCounter = 0;
  private lastOutboundId = "";

  constructor(private readonly options: ChargePointClientOptions) {
    super();
    this.identity = options.identity;
    this.version = options.version;
    this.logger = (options.logger ?? noopLogger).child({
      charge_point: options.identity,
    });
    this.queue = new OfflineQueue(
      options.identity,
      options.offlineQueueMax ?? 10_000,
      options.state,
    );
    const maxDelayMs = options.reconnectMaxDelayMs ?? 30_000;
    this.backoff = new Backoff({
      initialDelayMs: options.reconnectInitialDelayMs ?? 1_000,
      maxDelayMs,
    });
    this.rejectedBackoff = new Backoff({
      initialDelayMs: maxDelayMs,
      maxDelayMs,
    });
    this.safeUrl = withoutCredentials(options.url);
    this.connectedOnce = new Promise((resolve) => {
      this.markConnected = resolve;
    });
    const headers: Record<string, string> = {};
    if (options.basicAuth) {
      const token = Buffer.from(
        `${options.basicAuth.username}:${options.basicAuth.password}`,
      ).toString("base64");
      headers.authorization = `Basic ${token}`;
    }
    const wsOpts: Record<string, unknown> = {};
    if (options.tls?.caFile) wsOpts.ca = readFileSync(options.tls.caFile);
    if (options.tls?.certFile) wsOpts.cert = readFileSync(options.tls.certFile);
    if (options.tls?.keyFile) wsOpts.key = readFileSync(options.tls.keyFile);
    this.rpc = new RPCClient({
      endpoint: options.url.replace(/\/$/, ""),
      identity: options.identity,
      protocols: [SUBPROTOCOLS[options.version]],
      reconnect: false,
      callTimeoutMs: options.callTimeoutMs ?? 30_000,
      callConcurrency: 1,
      headers,
      wsOpts,
    } as never) as unknown as RpcClientLike;
    this.rpc.on("close", ((event: { code: number; reason: string }) =>
      this.onClose(event)) as never);
    // ocpp-rpc does not return the message id it made; with one CALL in
    // flight, the last outbound CALL event is the one being answered.
    this.rpc.on("call", ((event: { outbound: boolean; payload: unknown[] }) => {
      if (event.outbound) this.lastOutboundId = String(event.payload[1]);
    }) as never);
  }

  /** True while the WebSocket is open. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** CALLs waiting to be sent. */
  get queued(): number {
    return this.queue.length;
  }

  /** Starts connecting; keeps retrying with backoff until {@link close}. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.closed = false;
    void this.attempt();
  }

  /** Resolves once connected for the first time. */
  whenConnected(): Promise<void> {
    return this.connectedOnce;
  }

  /** Stops reconnecting and closes the socket; durable CALLs stay queued. */
  async close(): Promise<void> {
    this.running = false;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.rpc
      .close({ code: 1000, reason: "client closing", force: !this.connected })
      .catch(() => undefined);
    this.connected = false;
    for (const item of this.queue.dropVolatile())
      this.fail(item, offlineError(item.action, this.identity));
  }

  /** Handles a CALL from the CSMS (RemoteStartTransaction, Reset, ...). */
  handle(
    action: string,
    handler: (
      payload: Record<string, unknown>,
    ) => Record<string, unknown> | Promise<Record<string, unknown>>,
  ): void {
    this.rpc.handle(action, ({ params }) =>
      handler((params ?? {}) as Record<string, unknown>),
    );
  }

  /** Sends a raw frame as it is; for tests and the demo's malformed frame. */
  sendRaw(frame: string): void {
    this.rpc.sendRaw(frame);
  }

  /** Returns a reference for a 1.6 transaction that may start while offline. */
  newTransactionRef(): string {
    this.refCounter += 1;
    return `${Date.now().toString(36)}-${this.refCounter}`;
  }

  /** Returns the transaction id a reference got, once its StartTransaction was answered. */
  transactionIdOf(ref: string): unknown {
    return this.queue.resolveRef(ref);
  }

  /**
   * Sends a CALL and resolves with the answer. With `transactionRef`, a 1.6
   * payload's `transactionId` is filled in from the StartTransaction sent
   * with `defineRef` of the same reference.
   */
  call(
    action: string,
    payload: Record<string, unknown>,
    refs: { transactionRef?: string; defineRef?: string } = {},
  ): Promise<Record<string, unknown>> {
    if (this.closed) {
      return Promise.reject(
        new OcppError(
          "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
          `client of ${this.identity} is closed; ${action} not sent`,
        ),
      );
    }
    const durable =
      isTransactionMessage(action, payload) ||
      refs.transactionRef !== undefined;
    if (!this.connected && !durable)
      return Promise.reject(offlineError(action, this.identity));
    let body = payload;
    if (
      !this.connected &&
      action === "TransactionEvent" &&
      payload.offline === undefined
    ) {
      body = { ...payload, offline: true };
    }
    const entry: Omit<PendingCall, "key"> = {
      action,
      payload: body,
      durable,
      queuedAt: Date.now(),
    };
    if (refs.transactionRef !== undefined)
      entry.transactionRef = refs.transactionRef;
    if (refs.defineRef !== undefined) entry.defineRef = refs.defineRef;
    const item = this.queue.push(entry);
    if (!item) {
      return Promise.reject(
        new OcppError(
          "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
          `offline queue of ${this.identity} is full; ${action} not kept`,
        ),
      );
    }
    const promise = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.waiters.set(item, { resolve, reject });
    });
    void this.pump();
    return promise;
  }

  private async attempt(): Promise<void> {
    if (!this.running) return;
    try {
      await this.rpc.connect();
    } catch (error) {
      this.onConnectFailed(error);
      return;
    }
    this.backoff.reset();
    this.rejectedBackoff.reset();
    this.lastFailureCode = undefined;
    this.connected = true;
    this.logger.info(
      {
        url: this.options.url,
        version: this.version,
        queued: this.queue.length,
      },
      "Connected to CSMS",
    );
    this.markConnected();
    this.emit("connected");
    void this.pump();
  }

  /**
   * Schedules the next attempt after a failed one. A CSMS that responds
   * with an HTTP error (wrong password, unknown charge point) responds the
   * same way to a quick retry, so the next attempt waits the maximum
   * delay. A CSMS that does not respond is retried with growing delays.
   * A rejection is logged as a warning the first time and every 20th
   * attempt; an unreachable CSMS (often one still starting) at the 5th
   * attempt and every 50th. Other attempts are logged at debug.
   */
  private onConnectFailed(error: unknown): void {
    const failure = describeConnectFailure(error, this.safeUrl, this.identity);
    const rejected = failure.status !== undefined;
    const delay = rejected ? this.rejectedBackoff.next() : this.backoff.next();
    const attempts = this.backoff.attempts + this.rejectedBackoff.attempts;
    const event: ConnectFailure = {
      error: failure.error,
      attempts,
      retryInMs: delay,
    };
    if (failure.status !== undefined) event.status = failure.status;

    const code = failure.error.code;
    const changed = code !== this.lastFailureCode;
    this.lastFailureCode = code;
    const warn = rejected
      ? changed || attempts % 20 === 0
      : attempts === 5 || attempts % 50 === 0;
    const context = {
      code,
      url: this.safeUrl,
      status: failure.status,
      attempts,
      retry_in_ms: delay,
      error: failure.error.message,
    };
    if (warn) {
      this.logger.warn(
        context,
        rejected
          ? "The CSMS rejected the connection; retrying at the maximum delay"
          : "Cannot reach the CSMS; retrying with backoff",
      );
    } else {
      this.logger.debug(context, "Connecting to the CSMS failed again");
    }
    this.emit("connect_failed", event);
    this.reconnectTimer = setTimeout(() => void this.attempt(), delay);
  }

  private onClose(event: { code: number; reason: string }): void {
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected) {
      this.logger.info(
        { code: event.code, reason: event.reason },
        "Disconnected from CSMS",
      );
      this.emit("disconnected", event);
    }
    for (const item of this.queue.dropVolatile())
      this.fail(item, offlineError(item.action, this.identity));
    if (this.running && wasConnected) {
      this.reconnectTimer = setTimeout(
        () => void this.attempt(),
        this.backoff.next(),
      );
    }
  }

  /** Sends queued CALLs one at a time, in order, while connected. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const item = this.queue.peek();
        if (!item || !this.connected || this.rpc.state !== OPEN) return;
        let payload = item.payload;
        if (
          item.transactionRef !== undefined &&
          payload.transactionId === undefined
        ) {
          const id = this.queue.resolveRef(item.transactionRef);
          if (id === undefined) {
            this.fail(
              item,
              new OcppError(
                "QUBIT_OCPP_TRANSACTION_UNKNOWN",
                `${item.action} refers to a transaction whose start was never answered`,
              ),
            );
            continue;
          }
          payload = { ...payload, transactionId: id };
        }
        let response: Record<string, unknown>;
        try {
          response = ((await this.rpc.call(item.action, payload)) ??
            {}) as Record<string, unknown>;
        } catch (error) {
          if (!this.connected || this.rpc.state !== OPEN) return;
          this.fail(item, error as Error);
          continue;
        }
        if (
          item.defineRef !== undefined &&
          response.transactionId !== undefined
        ) {
          this.queue.defineRef(item.defineRef, response.transactionId);
        }
        this.queue.remove(item);
        this.emit("answered", {
          messageId: this.lastOutboundId,
          action: item.action,
          payload,
          response,
          queuedAt: item.queuedAt,
        });
        const waiter = this.waiters.get(item);
        this.waiters.delete(item);
        waiter?.resolve(response);
      }
    } finally {
      this.pumping = false;
    }
  }

  private fail(item: PendingCall, error: Error): void {
    this.queue.remove(item);
    this.emit("failed", { action: item.action, payload: item.payload, error });
    const waiter = this.waiters.get(item);
    this.waiters.delete(item);
    waiter?.reject(error);
  }
}

function offlineError(action: string, identity: string): OcppError {
  return new OcppError(
    "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
    `charge point ${identity} is not connected to its CSMS; ${action} not sent`,
  );
}
