import { Backoff, type Logger } from "@qubit/core";
import type {
  IClientOptions,
  IConnackPacket,
  IDisconnectPacket,
  MqttClient,
} from "mqtt";
import type { MqttConfig } from "../config.js";
import { MqttConnectionError, type MqttError } from "../errors.js";
import type { TopicFilter } from "../topic/filter.js";
import { type ClassifiedError, classifyError } from "./classify.js";

// A connection that closes within this time after its CONNACK counts as
// short-lived; this many short-lived connections within the window mean
// that another client keeps taking the session over.
const SHORT_CONNECTION_MS = 2_000;
const FLAP_WINDOW_MS = 10_000;
const FLAP_COUNT = 3;

// While the broker stays unreachable, the first failed attempt is logged
// as a warning, then the count of failed attempts once per interval.
export const UNREACHABLE_LOG_INTERVAL_MS = 5 * 60_000;

// MQTT 5 DISCONNECT reason code 142: another client connected with the
// same client id.
const SESSION_TAKEN_OVER = 142;

/** Options of {@link ConnectionSupervisor}. */
export interface SupervisorOptions {
  config: MqttConfig;
  /** The broker URL for logs and errors, without user name and password. */
  broker: string;
  /** Texts that must not reach logs or errors, such as the password. */
  secrets: readonly string[];
  clientId: string;
  logger: Logger;
  now: () => number;
  /** Creates the MQTT.js client of the connector. */
  connect(options: IClientOptions): MqttClient;
  /** Runs after each CONNACK; subscribes when the session is new. */
  onConnected(sessionPresent: boolean): Promise<void>;
  onDisconnected(): void;
  /** Runs after each connection attempt that ends before a CONNACK. */
  onConnectFailed(error: MqttError): void;
  onFault(error: MqttError): void;
}

/**
 * Keeps one MQTT connection up: the first connect (retried until
 * `connect_timeout_ms` for network errors, failed at once when the broker
 * refuses the credentials or the TLS handshake fails), then reconnects
 * with exponential backoff and jitter. A refused login or a failed TLS
 * handshake after the first connect waits the maximum delay, and a
 * session that keeps being taken over (two clients with one client id)
 * is reported once and backed off instead of reconnecting every second.
 */
export class ConnectionSupervisor {
  /** The MQTT.js client; `undefined` before `start()`. */
  client: MqttClient | undefined;
  /** Reconnect attempts since `start()`. */
  reconnects = 0;
  private readonly options: SupervisorOptions;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private lastError: ClassifiedError | undefined;
  private connectedAt: number | undefined;
  private shortCloses: number[] = [];
  private conflictReported = false;
  /** Failed attempts since the last CONNACK, for the rate-limited log. */
  private unreachable:
    | { since: number; attempts: number; logged: number; loggedAt: number }
    | undefined;
  private first:
    | {
        resolve: () => void;
        reject: (error: Error) => void;
        deadline: number;
      }
    | undefined;

  constructor(options: SupervisorOptions) {
    this.options = options;
    const config = options.config;
    this.backoff = new Backoff({
      initialDelayMs: config.reconnect_initial_delay_ms,
      maxDelayMs: config.reconnect_max_delay_ms,
      multiplier: config.reconnect_multiplier,
      jitter: config.reconnect_jitter,
    });
    this.log = options.logger.child({
      broker: options.broker,
      client_id: options.clientId,
    });
  }

  /** Connects; resolves after the first CONNACK and subscriptions. */
  start(makeOptions: () => IClientOptions): Promise<void> {
    this.stopped = false;
    return new Promise<void>((resolve, reject) => {
      this.first = {
        resolve,
        reject,
        deadline: this.options.now() + this.options.config.connect_timeout_ms,
      };
      try {
        this.open(makeOptions());
      } catch (error) {
        this.first = undefined;
        reject(error);
      }
    });
  }

  /** Subscribes to filters and reports the ones the broker refuses. */
  async subscribe(
    filters: readonly string[],
    subscriptions: ReadonlyMap<string, { qos: 0 | 1 | 2; filter: TopicFilter }>,
  ): Promise<void> {
    const client = this.client;
    if (!client || filters.length === 0) return;
    const request: Record<string, { qos: 0 | 1 | 2 }> = {};
    for (const filter of filters)
      request[filter] = { qos: subscriptions.get(filter)?.qos ?? 0 };
    const granted = await client.subscribeAsync(request);
    for (const grant of granted) {
      if (grant.qos < 128) continue;
      const error = new MqttConnectionError(
        "QUBIT_MQTT_SUBSCRIBE_REJECTED",
        `Broker refused the subscription to ${grant.topic} (reason code ${grant.qos})`,
        {
          value: grant.topic,
          location: { address: this.options.broker, topic: grant.topic },
          fix: "check the broker's ACL for this user, and that it supports the filter (shared subscriptions need MQTT 5 or a broker extension)",
        },
      );
      this.log.error(
        { topic: grant.topic, reason_code: grant.qos },
        error.message,
      );
      this.options.onFault(error);
    }
    this.log.info({ topics: filters }, "Subscribed");
  }

  /**
   * Stops reconnecting and closes the connection with a DISCONNECT. When
   * the DISCONNECT is not written within `timeoutMs` (a stalled socket),
   * the connection is closed without it.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<boolean>((resolve) =>
      client.end(!client.connected, {}, () => resolve(true)),
    );
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const clean = await Promise.race([closed, timedOut]);
    clearTimeout(timer);
    if (clean) return;
    this.log.warn(
      { timeout_ms: timeoutMs },
      "DISCONNECT not sent within the shutdown time; closing the socket without it",
    );
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  private open(options: IClientOptions): void {
    const client = this.options.connect(options);
    this.client = client;
    client.on("connect", (connack) => this.onConnect(connack));
    client.on("error", (error) => {
      this.lastError = classifyError(
        error,
        this.options.broker,
        this.options.clientId,
        this.options.secrets,
      );
      // The classified error, whose text has the secrets removed.
      this.log.debug({ err: this.lastError.error }, "Connection error");
    });
    client.on("disconnect", (packet) => this.onDisconnectPacket(packet));
    client.on("close", () => this.onClose());
  }

  private onConnect(connack: IConnackPacket): void {
    this.connectedAt = this.options.now();
    this.lastError = undefined;
    const sessionPresent = connack.sessionPresent;
    const unreachable = this.unreachable;
    this.unreachable = undefined;
    if (unreachable) {
      this.log.info(
        {
          session_present: sessionPresent,
          failed_attempts: unreachable.attempts,
          unreachable_ms: this.connectedAt - unreachable.since,
        },
        `Connected to the broker after ${attempts(unreachable.attempts)}`,
      );
    } else {
      this.log.info(
        { session_present: sessionPresent },
        "Connected to the broker",
      );
    }
    this.options.onConnected(sessionPresent).then(
      () => {
        const first = this.first;
        this.first = undefined;
        first?.resolve();
      },
      (error: unknown) => {
        this.log.error({ err: error }, "Subscribing after connect failed");
        const first = this.first;
        this.first = undefined;
        first?.reject(error as Error);
      },
    );
  }

  private onDisconnectPacket(packet: IDisconnectPacket): void {
    const code = packet.reasonCode;
    if (code === SESSION_TAKEN_OVER) {
      this.log.warn(
        { reason_code: code },
        "Broker closed the session: another client connected with the same client id",
      );
    } else {
      this.log.warn({ reason_code: code }, "Broker sent DISCONNECT");
    }
  }

  private onClose(): void {
    if (this.stopped) return;
    const now = this.options.now();
    const lived =
      this.connectedAt === undefined ? undefined : now - this.connectedAt;
    this.connectedAt = undefined;
    if (lived !== undefined) this.onConnectionLost(lived, now);

    const failure = this.lastError;
    const first = this.first;
    if (first) {
      const permanent = failure && failure.kind !== "network";
      if (permanent || now >= first.deadline) {
        this.first = undefined;
        this.stopped = true;
        const error =
          failure?.error ??
          new MqttConnectionError(
            "QUBIT_MQTT_CONNECT_FAILED",
            `Cannot connect to ${this.options.broker} within ${this.options.config.connect_timeout_ms} ms`,
            {
              location: { address: this.options.broker },
              fix: "check that the broker runs and the URL and port are right, or raise connect_timeout_ms",
            },
          );
        this.client?.end(true);
        first.reject(error);
        return;
      }
    }

    let delay = this.backoff.next();
    if (failure && failure.kind !== "network") {
      // A refused login or a bad certificate does not fix itself in a
      // second; retry slowly instead of in a hot loop.
      delay = Math.max(delay, this.options.config.reconnect_max_delay_ms);
      this.log.error(
        {
          code: failure.error.code,
          retry_in_ms: delay,
          fix: failure.error.fix,
        },
        failure.error.message,
      );
      this.options.onFault(failure.error);
    }
    if (first) delay = Math.max(0, Math.min(delay, first.deadline - now));
    if (lived === undefined && (!failure || failure.kind === "network")) {
      this.onUnreachable(failure?.error, delay, now);
    }
    // The unreachable-broker warnings carry the delay; this line is for
    // tracing every attempt.
    this.log.debug(
      { retry_in_ms: delay, attempt: this.backoff.attempts },
      "Reconnecting to the broker",
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || !this.client) return;
      this.reconnects += 1;
      this.client.reconnect();
    }, delay);
  }

  /**
   * Reports an attempt that ended before a CONNACK for a network reason
   * (connection refused, timed out, closed by the peer). The connector
   * gets every failure for its health. The log gets a warning for the
   * first one, then one warning per interval with the count since.
   */
  private onUnreachable(
    cause: MqttError | undefined,
    delay: number,
    now: number,
  ): void {
    const error =
      cause ??
      new MqttConnectionError(
        "QUBIT_MQTT_CONNECT_FAILED",
        `Cannot connect to ${this.options.broker}: the connection closed before the broker sent CONNACK`,
        {
          location: { address: this.options.broker },
          fix: "check that the URL points at an MQTT broker and that the broker accepts this client",
        },
      );
    this.options.onConnectFailed(error);
    const state = this.unreachable;
    const context = {
      code: error.code,
      cause: error.value,
      retry_in_ms: delay,
      fix: error.fix,
    };
    if (!state) {
      this.unreachable = { since: now, attempts: 1, logged: 1, loggedAt: now };
      this.log.warn(
        context,
        `${error.message}; retrying in ${delay} ms, then with backoff`,
      );
      return;
    }
    state.attempts += 1;
    if (now - state.loggedAt < UNREACHABLE_LOG_INTERVAL_MS) return;
    const failed = state.attempts - state.logged;
    state.logged = state.attempts;
    state.loggedAt = now;
    this.log.warn(
      {
        ...context,
        failed_attempts: failed,
        total_failed_attempts: state.attempts,
        unreachable_ms: now - state.since,
      },
      `Broker still unreachable: ${attempts(failed)} more, the last: ${error.message}; retrying in ${delay} ms`,
    );
  }

  private onConnectionLost(lived: number, now: number): void {
    this.options.onDisconnected();
    const lost = new MqttConnectionError(
      "QUBIT_MQTT_CONNECTION_LOST",
      `Connection to ${this.options.broker} closed after ${lived} ms`,
      {
        location: { address: this.options.broker },
        fix: "the connector reconnects by itself; check the broker if this repeats",
      },
    );
    this.log.warn({ connected_ms: lived }, "Connection to the broker lost");
    this.options.onFault(lost);
    if (lived >= SHORT_CONNECTION_MS) {
      this.backoff.reset();
      this.shortCloses = [];
      this.conflictReported = false;
      return;
    }
    this.shortCloses = this.shortCloses.filter(
      (time) => now - time < FLAP_WINDOW_MS,
    );
    this.shortCloses.push(now);
    if (this.shortCloses.length >= FLAP_COUNT && !this.conflictReported) {
      this.conflictReported = true;
      const conflict = new MqttConnectionError(
        "QUBIT_MQTT_CLIENT_ID_CONFLICT",
        `Connection with client id "${this.options.clientId}" closed ${this.shortCloses.length} times within ${FLAP_WINDOW_MS / 1000} s, each less than ${SHORT_CONNECTION_MS / 1000} s after connecting; another client probably uses the same client id`,
        {
          value: this.options.clientId,
          location: {
            address: this.options.broker,
            client_id: this.options.clientId,
          },
          fix: "give every connector and replica its own client_id, or leave client_id unset to get a unique one",
        },
      );
      this.log.error(
        { client_id: this.options.clientId, fix: conflict.fix },
        conflict.message,
      );
      this.options.onFault(conflict);
    }
  }
}

function attempts(count: number): string {
  return `${count} failed attempt${count === 1 ? "" : "s"}`;
}
