import {
  BaseConnector,
  type BoundCounter,
  type ConnectorContext,
  type MessageHandler,
  parseConfig,
} from "@qubit/core";
import mqtt, {
  type IClientOptions,
  type IPublishPacket,
  type MqttClient,
} from "mqtt";
import { AckQueue } from "./client/acks.js";
import {
  DEFER_ACK,
  sendPuback,
  sendPubacks,
  supportsLateAcks,
} from "./client/internals.js";
import {
  brokerUrl,
  clientIdFor,
  clientOptions,
  redactUrl,
  secretsOf,
} from "./client/options.js";
import { ConnectionSupervisor } from "./client/supervisor.js";
import { type MqttConfig, MqttConfigSchema } from "./config.js";
import { MqttConverter } from "./converter.js";
import { RecentMessages } from "./dedup.js";
import {
  type DiscoveredSeries,
  type DiscoveredTopic,
  TopicDiscovery,
} from "./discovery.js";
import { MqttMessage } from "./message.js";
import { parseFilter, splitShare, type TopicFilter } from "./topic/filter.js";

/**
 * The config a user may pass to `new MqttConnector(config)`: the
 * snake_case config of a config file, before defaults are applied.
 */
export type MqttConnectorInput = DeepPartial<MqttConfig> &
  Pick<MqttConfig, "broker">;

/** A type whose keys are optional at every depth, as before defaults apply. */
type DeepPartial<T> = T extends readonly (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Options of {@link MqttConnector.subscribe}. */
export interface SubscribeOptions {
  /** QoS of the subscription; default the connector's `qos`. */
  qos?: 0 | 1 | 2;
}

interface Subscription {
  qos: 0 | 1 | 2;
  filter: TopicFilter;
}

/**
 * The MQTT connector. It subscribes to topic filters on an MQTT 3.1.1 or
 * 5.0 broker (mqtt, mqtts, ws, wss) and maps every message to readings
 * through the rules, presets and topic template. QoS 1 and 2 messages
 * are acknowledged only after their readings are accepted by the output.
 */
export class MqttConnector extends BaseConnector<MqttMessage> {
  readonly protocol = "mqtt";
  /** The validated config, with defaults applied. */
  readonly config: MqttConfig;
  readonly converter: MqttConverter;
  /** Client id of every connection this connector makes. */
  readonly clientId: string;
  /** The broker URL without user name and password, for logs and health. */
  readonly brokerLabel: string;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly acks: AckQueue;
  private readonly recent: RecentMessages;
  private readonly discovery: TopicDiscovery;
  private readonly supervisor: ConnectionSupervisor;
  private readonly counters: {
    messages: BoundCounter[];
    duplicates: BoundCounter;
    retainedSkipped: BoundCounter;
    skipped: BoundCounter;
    topics: BoundCounter;
    series: BoundCounter;
  };
  private lateAcks = false;
  private readonly onQos0Rejected = (error: unknown): void => {
    this.logger.warn(
      { err: error },
      "A QoS 0 message was not accepted by the output",
    );
  };
  /** The last promise that got the QoS 0 rejection handler. */
  private qos0Watched: Promise<void> | undefined;
  private stopping = false;
  private flushScheduled = false;
  private inflightWaiters: (() => void)[] = [];
  /** QoS 2 messages whose PUBCOMP waits for the output. */
  private awaitingComplete = 0;

  /**
   * Creates a connector. `config` is the `mqtt` section of a config file
   * (snake_case, `${VAR}` already replaced) or the short form
   * `{broker, topics, username, password}`. It is validated and
   * completed with defaults; a `ConfigError` lists every problem.
   */
  constructor(config: MqttConnectorInput, context: ConnectorContext = {}) {
    const parsed = parseConfig<MqttConfig>(MqttConfigSchema, config).value;
    super(parsed.name ?? "mqtt", context);
    this.config = parsed;
    this.converter = new MqttConverter(parsed);
    this.clientId = clientIdFor(parsed, this.name);
    this.brokerLabel = redactUrl(parsed.broker);
    this.recent = new RecentMessages(parsed.dedup_window);
    this.discovery = new TopicDiscovery(parsed.max_topics);
    this.acks = new AckQueue(
      (messageId) => {
        const client = this.supervisor.client;
        if (client) sendPuback(client, messageId);
      },
      () => this.releaseInflight(),
      (messageIds) => {
        const client = this.supervisor.client;
        if (client) sendPubacks(client, messageIds);
      },
    );
    for (const entry of parsed.topics) {
      const filter = typeof entry === "string" ? entry : entry.filter;
      const qos =
        typeof entry === "string" ? parsed.qos : (entry.qos ?? parsed.qos);
      this.addSubscription(this.withShareGroup(filter), qos);
    }
    this.supervisor = new ConnectionSupervisor({
      config: parsed,
      broker: this.brokerLabel,
      secrets: secretsOf(parsed),
      clientId: this.clientId,
      logger: this.logger,
      now: this.now,
      connect: (options) => this.createClient(options),
      onConnected: (sessionPresent) => this.onConnected(sessionPresent),
      onDisconnected: () => this.setStatus("degraded"),
      onConnectFailed: (error) => {
        this.recordFault(error, error.code);
        this.setStatus("degraded");
      },
      onFault: (error) => this.recordFault(error, error.code),
    });
    const registry = this.registry;
    const labels = { connector: this.name };
    const messages = registry.counter(
      "qubit_mqtt_messages_total",
      "MQTT messages received, by QoS",
    );
    const skipped = registry.counter(
      "qubit_mqtt_messages_skipped_total",
      "MQTT messages dropped on purpose, by reason",
    );
    this.counters = {
      messages: [0, 1, 2].map((qos) =>
        messages.with({ ...labels, qos: String(qos) }),
      ),
      duplicates: skipped.with({ ...labels, reason: "duplicate" }),
      retainedSkipped: skipped.with({ ...labels, reason: "retained" }),
      skipped: skipped.with({ ...labels, reason: "route" }),
      topics: registry
        .counter(
          "qubit_mqtt_topics_discovered_total",
          "Topics seen for the first time",
        )
        .with(labels),
      series: registry
        .counter(
          "qubit_mqtt_series_discovered_total",
          "Series (asset id and metric) seen for the first time",
        )
        .with(labels),
    };
  }

  /**
   * Subscribes to a topic filter (now, or on connect) and, with a
   * handler, runs it for every message whose topic matches the filter.
   * MQTT.js has one `message` event for all subscriptions, so the
   * connector routes messages to handlers itself.
   */
  async subscribe(
    filter: string,
    handler?: MessageHandler<MqttMessage>,
    options: SubscribeOptions = {},
  ): Promise<void> {
    const subscription = this.addSubscription(
      filter,
      options.qos ?? this.config.qos,
    );
    if (handler) {
      this.onMessage(
        (message) => subscription.filter.match(message.topic) !== undefined,
        handler,
      );
    }
    const client = this.supervisor.client;
    if (client?.connected)
      await this.supervisor.subscribe([filter], this.subscriptions);
  }

  /** Removes a subscription (its handlers stay registered). */
  async unsubscribe(filter: string): Promise<void> {
    this.subscriptions.delete(filter);
    const client = this.supervisor.client;
    if (client?.connected) await client.unsubscribeAsync(filter);
  }

  /** Returns the topics received so far (dynamic topic discovery). */
  topics(): DiscoveredTopic[] {
    return this.discovery.topics();
  }

  /** Returns the series (asset id and metric) produced so far. */
  series(): DiscoveredSeries[] {
    return this.discovery.series();
  }

  /** The MQTT.js client of the current connection, for inspection. */
  get client(): MqttClient | undefined {
    return this.supervisor.client;
  }

  protected async start(): Promise<void> {
    this.stopping = false;
    if (this.config.tls?.insecure) {
      this.logger.warn(
        { broker: this.brokerLabel },
        "TLS certificate and host name checks are off (tls.insecure is true); the broker's identity is not verified",
      );
    }
    await this.supervisor.start(() =>
      clientOptions(this.config, this.clientId),
    );
  }

  /**
   * Stops reading, lets the readings already received reach the output
   * so that their acknowledgements go out before the connection closes,
   * and closes it. The wait for the output lasts `shutdown_timeout_ms` at
   * most, because a slow or failed output must not keep the process up.
   */
  protected async stop(): Promise<void> {
    this.stopping = true;
    const timeoutMs = this.config.shutdown_timeout_ms;
    const deadline = Date.now() + timeoutMs;
    const flushed = await this.flushSinkWithin(timeoutMs);
    await this.waitForAcks(deadline);
    const unacknowledged = this.acks.size + this.awaitingComplete;
    if (!flushed || unacknowledged > 0) this.logUnacknowledged(unacknowledged);
    // The DISCONNECT gets the time left, and at least a second.
    await this.supervisor.stop(Math.max(1_000, deadline - Date.now()));
  }

  private logUnacknowledged(unacknowledged: number): void {
    const persistent = !this.config.clean_session;
    if (unacknowledged === 0) {
      this.logger.warn(
        { timeout_ms: this.config.shutdown_timeout_ms },
        "Output did not accept every reading within shutdown_timeout_ms; readings of QoS 0 messages still pending are lost, because the broker never sends QoS 0 again",
      );
      return;
    }
    const context = {
      unacknowledged,
      timeout_ms: this.config.shutdown_timeout_ms,
      client_id: this.clientId,
      clean_session: this.config.clean_session,
    };
    if (persistent) {
      this.logger.warn(
        context,
        "Output did not accept every message within shutdown_timeout_ms; the unacknowledged QoS 1/2 messages stay with the broker in the persistent session and come again on the next connect",
      );
      return;
    }
    this.logger.warn(
      context,
      "Output did not accept every message within shutdown_timeout_ms; the unacknowledged QoS 1/2 messages are dropped by the broker with the clean session, so set clean_session false and a client_id to get them again",
    );
  }

  protected override healthDetails(): Record<string, unknown> {
    return {
      broker: this.brokerLabel,
      client_id: this.clientId,
      connected: this.supervisor.client?.connected ?? false,
      subscriptions: [...this.subscriptions.keys()],
      unacknowledged: this.acks.size,
      topics_discovered: this.discovery.topicCount,
      series_discovered: this.discovery.seriesCount,
      reconnects: this.supervisor.reconnects,
    };
  }

  private addSubscription(filter: string, qos: 0 | 1 | 2): Subscription {
    const subscription = { qos, filter: parseFilter(filter) };
    this.subscriptions.set(filter, subscription);
    return subscription;
  }

  private withShareGroup(filter: string): string {
    const group = this.config.share_group;
    if (group === undefined || splitShare(filter).shareGroup !== undefined)
      return filter;
    return `$share/${group}/${filter}`;
  }

  private createClient(options: IClientOptions): MqttClient {
    const client = mqtt.connect(brokerUrl(this.config), options);
    this.lateAcks = supportsLateAcks(client);
    client.handleMessage = (packet, callback) =>
      this.onPublish(packet, callback);
    return client;
  }

  private async onConnected(sessionPresent: boolean): Promise<void> {
    this.acks.newConnection();
    this.releaseInflight();
    if (!sessionPresent || this.config.clean_session) {
      await this.supervisor.subscribe(
        [...this.subscriptions.keys()],
        this.subscriptions,
      );
    }
    if (this.status === "degraded") this.setStatus("running");
  }

  private onPublish(
    packet: IPublishPacket,
    callback: (error?: Error) => void,
  ): void {
    const qos = packet.qos;
    if (this.stopping) {
      // Not processed and not acknowledged: a persistent session gets it again.
      callback(qos === 0 ? undefined : DEFER_ACK);
      return;
    }
    const receivedAt = this.now();
    this.counters.messages[qos]!.inc();
    const properties = packet.properties;
    const topic = packet.topic;
    const payload = packet.payload as Buffer;

    if (packet.retain && this.converter.skipsRetained(topic)) {
      this.counters.retainedSkipped.inc();
      callback();
      return;
    }
    if (qos > 0 && this.recent.check(topic, payload) && packet.dup) {
      this.counters.duplicates.inc();
      this.logger.debug({ topic, qos }, "Dropped a redelivered duplicate");
      callback();
      return;
    }
    // MQTT 5 message expiry is enforced by the broker: under back-pressure
    // the connector stops reading instead of buffering, so messages wait
    // (and expire) in the broker's queue. NOTE: a message already read
    // from the socket is processed even if its expiry passes meanwhile.

    const message = new MqttMessage(
      this.converter,
      {
        topic,
        payload,
        receivedAt,
        qos,
        retained: packet.retain,
        userProperties: userProperties(properties?.userProperties),
        contentType: properties?.contentType,
      },
      this.name,
    );
    const accepted = this.deliver(message);
    try {
      this.afterDeliver(message);
    } catch (error) {
      // A conversion that throws is dead-lettered by deliver(). Its
      // message must still reach the callback below, or MQTT.js would
      // read no further packet.
      this.logger.debug(
        { topic, err: error },
        "Topic and series discovery skipped a message whose conversion failed",
      );
    }

    if (qos === 0) {
      // Messages of one batch share its promise: one handler is enough.
      if (accepted !== this.qos0Watched) {
        this.qos0Watched = accepted;
        accepted.then(undefined, this.onQos0Rejected);
      }
      this.continueReading(callback, undefined);
      return;
    }
    this.scheduleFlush();
    if (qos === 1 && this.lateAcks) {
      this.acks.track(packet.messageId!, accepted);
      this.continueReading(callback, DEFER_ACK);
      return;
    }
    // QoS 2 (and MQTT.js builds without the late-ack internals): the
    // PUBCOMP/PUBACK waits for the output, one message at a time.
    // NOTE: MQTT.js sends PUBREC from its in-memory store before this
    // runs, so a QoS 2 message can be lost if the process dies between
    // PUBREC and PUBREL; QoS 1 has no such window.
    this.awaitingComplete += 1;
    accepted.then(
      () => {
        this.awaitingComplete -= 1;
        callback();
      },
      () => {
        this.awaitingComplete -= 1;
        callback(DEFER_ACK);
      },
    );
  }

  private afterDeliver(message: MqttMessage): void {
    if (
      this.discovery.recordTopic(
        message.topic,
        message.route,
        message.receivedAt,
      )
    ) {
      this.counters.topics.inc();
      this.emit("discovered", {
        kind: "topic",
        id: message.topic,
        details: { route: message.route },
      });
      this.logger.info(
        { topic: message.topic, route: message.route },
        "New topic",
      );
    }
    if (message.skipped) {
      this.counters.skipped.inc();
      return;
    }
    const added = this.discovery.recordSeries(
      message.toTimeSeries(),
      message.topic,
      message.receivedAt,
    );
    for (const series of added) {
      this.counters.series.inc();
      this.emit("discovered", {
        kind: "series",
        id: `${series.asset_id}/${series.metric}`,
        details: { ...series },
      });
    }
  }

  /** Lets MQTT.js read the next packet, after waiting while the output is full. */
  private continueReading(
    callback: (error?: Error) => void,
    error: Error | undefined,
  ): void {
    const overLimit = this.acks.size >= this.config.max_inflight;
    if (!this.sinkSaturated && !overLimit) {
      callback(error);
      return;
    }
    const waits: Promise<void>[] = [];
    if (this.sinkSaturated) waits.push(this.whenSinkWritable());
    if (overLimit) {
      this.flushSinkSoon();
      waits.push(new Promise((resolve) => this.inflightWaiters.push(resolve)));
    }
    void Promise.all(waits).then(() => callback(error));
  }

  private releaseInflight(): void {
    if (this.inflightWaiters.length === 0) return;
    if (this.acks.size >= this.config.max_inflight) return;
    for (const waiter of this.inflightWaiters.splice(0)) waiter();
  }

  /**
   * Seals the sink's open batch once the messages of the current socket
   * read are handled, so that waiting acknowledgements do not wait for
   * the batch timer. The broker sends no more than its in-flight window
   * until it gets them.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushSinkSoon();
    });
  }

  private flushSinkSoon(): void {
    void this.flushSink();
  }

  private async flushSink(): Promise<void> {
    const sink = this.sink as { flush?: () => Promise<void> } | undefined;
    if (typeof sink?.flush === "function") await sink.flush();
  }

  /** Flushes the sink; returns false when it did not finish in time. */
  private async flushSinkWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const flushed = this.flushSink().then(
      () => true as const,
      (error: unknown) => {
        this.logger.error(
          { err: error },
          "Flushing the output before disconnect failed; its messages stay unacknowledged",
        );
        return true as const;
      },
    );
    const outcome = await Promise.race([flushed, timedOut]);
    clearTimeout(timer);
    return outcome;
  }

  private async waitForAcks(deadline: number): Promise<void> {
    while (
      this.acks.size + this.awaitingComplete > 0 &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

function userProperties(
  properties: Record<string, string | string[]> | undefined,
): Record<string, string> | undefined {
  if (!properties) return undefined;
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) {
    result[key] = Array.isArray(value)
      ? (value[value.length - 1] ?? "")
      : value;
  }
  return result;
}
