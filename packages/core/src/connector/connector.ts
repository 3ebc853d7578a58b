import { EventEmitter } from "node:events";
import { QubitError } from "../errors.js";
import { type Logger, noopLogger } from "../logger.js";
import { ConnectorMetrics } from "../metrics/connector-metrics.js";
import { MetricsRegistry } from "../metrics/registry.js";
import type { DeadLetterOutput } from "../pipeline/output.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { StateStore } from "../state/store.js";
import type { UnitMode } from "../timeseries/reading.js";
import type { TimeSeries } from "../timeseries/schema.js";
import { BatchQueueOutput } from "./batch-queue.js";
import type { ConversionResult, Diagnostic, SourceMessage } from "./message.js";
import type { MessageSink } from "./sink.js";

/**
 * Lifecycle of a connector:
 * `idle` → `starting` → `running` ⇄ `degraded` → `stopping` → `stopped`,
 * or `completed` when a finite source (a file) is fully read, or `failed`
 * when it cannot go on.
 */
export type ConnectorStatus =
  | "idle"
  | "starting"
  | "running"
  | "degraded"
  | "completed"
  | "stopping"
  | "stopped"
  | "failed";

/** A connector's health, as `/health` reports it. */
export interface ConnectorHealth {
  name: string;
  protocol: string;
  status: ConnectorStatus;
  /** When the status last changed, ISO 8601 UTC. */
  status_since: string;
  started_at?: string;
  uptime_ms: number;
  messages_received: number;
  last_message_at?: string;
  last_error?: { code: string; message: string; at: string };
  /** Protocol specifics: peers, devices, subscriptions, progress. */
  details: Record<string, unknown>;
}

/** What the runner passes to every connector it creates. */
export interface ConnectorContext {
  /** Instance name, unique in a process; used in logs, metrics and readings. */
  name?: string;
  logger?: Logger;
  registry?: MetricsRegistry;
  /** Store for state that must survive a restart (sessions, cursors, checkpoints). */
  state?: StateStore;
  now?: () => number;
}

/**
 * A user handler. It may return readings of its own, which join the
 * message's readings and are validated like them; it must not change the
 * message. A handler that throws is logged and counted and the stream
 * goes on.
 */
export type MessageHandler<M extends SourceMessage = SourceMessage> = (
  message: M,
  result: ConversionResult | undefined,
) => HandlerReturn | Promise<HandlerReturn>;

type HandlerReturn = TimeSeries | TimeSeries[] | undefined;

/** When a handler runs relative to the built-in conversion. */
export interface HandlerOptions {
  /** `before` sees the message only; `after` (default) also gets its conversion. */
  phase?: "before" | "after";
}

interface Registration<M extends SourceMessage> {
  matches: (message: M) => boolean;
  handler: MessageHandler<M>;
  phase: "before" | "after";
  name: string;
}

/** Events every connector emits. */
export interface ConnectorEvents {
  status: [status: ConnectorStatus, previous: ConnectorStatus];
  /** A recoverable fault: a lost connection, a failed poll, a bad frame. */
  fault: [error: QubitError];
  /** Something new was found: a topic, a charge point, a SunSpec model. */
  discovered: [
    info: { kind: string; id: string; details?: Record<string, unknown> },
  ];
}

/** Options of {@link BaseConnector.process}. */
export interface ProcessOptions {
  batchSize?: number;
  batchIntervalMs?: number;
  unitMode?: UnitMode;
  deadLetters?: DeadLetterOutput[];
}

/**
 * The contract every connector implements, whatever its shape: a push
 * source (MQTT), a server (OCPP), a poller (Modbus) or a file (CSV).
 */
export interface Connector {
  readonly name: string;
  readonly protocol: string;
  readonly status: ConnectorStatus;
  /**
   * True for sources that end (files); `finished` then resolves at the
   * end, or when the connector is stopped before it (status `stopped`).
   */
  readonly finite: boolean;
  readonly finished: Promise<void>;
  /** Sends converted messages to a sink (the runner's pipeline). */
  attach(sink: MessageSink): void;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  health(): ConnectorHealth;
  process(options?: ProcessOptions): AsyncIterableIterator<TimeSeries[]>;
}

/**
 * Base class of the connectors: lifecycle and status, handlers, health,
 * metrics, and delivery of messages to the sink with back-pressure. A
 * subclass implements `start` and `stop` and calls `deliver` for each
 * input.
 */
export abstract class BaseConnector<M extends SourceMessage = SourceMessage>
  extends EventEmitter<ConnectorEvents>
  implements Connector
{
  readonly name: string;
  abstract readonly protocol: string;
  readonly finite: boolean = false;
  protected readonly logger: Logger;
  protected readonly registry: MetricsRegistry;
  protected readonly metrics: ConnectorMetrics;
  protected readonly state: StateStore | undefined;
  protected readonly now: () => number;
  protected sink: MessageSink | undefined;

  private currentStatus: ConnectorStatus = "idle";
  private statusSince: number;
  private startedAt: number | undefined;
  private received = 0;
  private lastMessageAt: number | undefined;
  private lastError: ConnectorHealth["last_error"];
  private readonly registrations: Registration<M>[] = [];
  private ownPipeline:
    | { pipeline: Pipeline; queue: BatchQueueOutput }
    | undefined;
  private resolveFinished!: () => void;
  private rejectFinished!: (error: Error) => void;
  readonly finished: Promise<void>;

  constructor(defaultName: string, context: ConnectorContext = {}) {
    super();
    this.name = context.name ?? defaultName;
    this.now = context.now ?? Date.now;
    this.statusSince = this.now();
    this.registry = context.registry ?? new MetricsRegistry();
    this.state = context.state;
    this.logger = (context.logger ?? noopLogger).child({
      connector: this.name,
    });
    this.metrics = new ConnectorMetrics({
      registry: this.registry,
      labels: { connector: this.name },
    });
    this.finished = new Promise<void>((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    this.finished.catch(() => undefined);
  }

  /** Current lifecycle status. */
  get status(): ConnectorStatus {
    return this.currentStatus;
  }

  attach(sink: MessageSink): void {
    this.sink = sink;
  }

  /** Opens the connection, server, poller or file and starts delivering. */
  async connect(): Promise<void> {
    if (this.currentStatus === "running" || this.currentStatus === "starting")
      return;
    this.setStatus("starting");
    this.startedAt = this.now();
    try {
      await this.start();
    } catch (error) {
      this.recordFault(error, "QUBIT_CORE_CONNECT_FAILED");
      this.setStatus("failed");
      throw error;
    }
    if ((this.currentStatus as ConnectorStatus) === "starting") {
      this.setStatus("running");
    }
    this.logger.info({ protocol: this.protocol }, "Connector started");
  }

  /** Stops input, waits for what was received to be accepted, and closes. */
  async disconnect(): Promise<void> {
    if (this.currentStatus === "stopped" || this.currentStatus === "idle")
      return;
    const wasCompleted = this.currentStatus === "completed";
    this.setStatus("stopping");
    try {
      await this.stop();
    } finally {
      await this.closeOwnPipeline();
      this.setStatus(wasCompleted ? "completed" : "stopped");
      this.logger.info({ protocol: this.protocol }, "Connector stopped");
      // A stopped file delivers nothing more, so a caller waiting for its
      // end is released. The status tells a stop from a complete read.
      this.resolveFinished();
    }
  }

  /**
   * Registers a handler for messages of one kind (an OCPP action such as
   * `MeterValues`, `poll`, `row`), for `*` (every message), or for the
   * messages a predicate selects.
   */
  onMessage(
    kind: string | ((message: M) => boolean),
    handler: MessageHandler<M>,
    options: HandlerOptions = {},
  ): this {
    const matches =
      typeof kind === "function"
        ? kind
        : kind === "*"
          ? () => true
          : (message: M) => message.kind === kind;
    this.registrations.push({
      matches,
      handler,
      phase: options.phase ?? "after",
      name: typeof kind === "string" ? kind : handler.name || "predicate",
    });
    return this;
  }

  /**
   * Yields the readings of this connector in batches, starting it when
   * needed. The iteration ends when a finite source is done or when
   * `disconnect()` is called; breaking out of the loop disconnects.
   */
  async *process(
    options: ProcessOptions = {},
  ): AsyncIterableIterator<TimeSeries[]> {
    const queue = new BatchQueueOutput();
    const pipelineOptions: ConstructorParameters<typeof Pipeline>[0] = {
      name: `${this.name}-process`,
      outputs: [queue],
      logger: this.logger,
      registry: this.registry,
    };
    if (options.batchSize !== undefined)
      pipelineOptions.batchSize = options.batchSize;
    if (options.batchIntervalMs !== undefined)
      pipelineOptions.batchIntervalMs = options.batchIntervalMs;
    if (options.unitMode !== undefined)
      pipelineOptions.unitMode = options.unitMode;
    if (options.deadLetters !== undefined)
      pipelineOptions.deadLetters = options.deadLetters;
    const pipeline = new Pipeline(pipelineOptions);
    this.ownPipeline = { pipeline, queue };
    this.attach(pipeline);
    if (this.finite) {
      void this.finished.then(
        () => this.closeOwnPipeline(),
        () => this.closeOwnPipeline(),
      );
    }
    if (this.currentStatus !== "running" && this.currentStatus !== "degraded") {
      await this.connect();
    }
    try {
      for await (const batch of queue) yield batch;
    } finally {
      if (
        this.currentStatus !== "stopped" &&
        this.currentStatus !== "completed"
      ) {
        await this.disconnect();
      }
      await this.closeOwnPipeline();
    }
  }

  /** Returns the connector's health. */
  health(): ConnectorHealth {
    const now = this.now();
    const health: ConnectorHealth = {
      name: this.name,
      protocol: this.protocol,
      status: this.currentStatus,
      status_since: new Date(this.statusSince).toISOString(),
      uptime_ms: this.startedAt === undefined ? 0 : now - this.startedAt,
      messages_received: this.received,
      details: this.healthDetails(),
    };
    if (this.startedAt !== undefined)
      health.started_at = new Date(this.startedAt).toISOString();
    if (this.lastMessageAt !== undefined) {
      health.last_message_at = new Date(this.lastMessageAt).toISOString();
    }
    if (this.lastError) health.last_error = this.lastError;
    return health;
  }

  /** Opens the protocol side; resolves once input can flow. */
  protected abstract start(): Promise<void>;

  /** Stops input and closes the protocol side. */
  protected abstract stop(): Promise<void>;

  /** Protocol specifics for {@link health}. */
  protected healthDetails(): Record<string, unknown> {
    return {};
  }

  /**
   * Converts a message, runs the handlers and submits it to the sink. The
   * promise resolves when the sink has accepted it (the moment to
   * acknowledge the input); without a sink it resolves after the handlers.
   * Callers that read from a socket should pause while `sinkSaturated`.
   */
  protected deliver(message: M): Promise<void> {
    this.received += 1;
    this.lastMessageAt = message.receivedAt;
    if (this.registrations.length === 0) {
      if (!this.sink) return Promise.resolve();
      return this.sink.submit({ message, result: this.convert(message) });
    }
    return this.deliverWithHandlers(message);
  }

  /** True while the sink holds more readings than its limit. */
  protected get sinkSaturated(): boolean {
    return this.sink?.saturated ?? false;
  }

  /** Resolves when the sink can take more. */
  protected whenSinkWritable(): Promise<void> {
    return this.sink ? this.sink.whenWritable() : Promise.resolve();
  }

  /** Sets the status and emits `status`. */
  protected setStatus(status: ConnectorStatus): void {
    const previous = this.currentStatus;
    if (previous === status) return;
    this.currentStatus = status;
    this.statusSince = this.now();
    this.emit("status", status, previous);
  }

  /** Marks a finite source as fully read and accepted. */
  protected markFinished(): void {
    this.setStatus("completed");
    this.resolveFinished();
  }

  /** Marks a finite source as failed. */
  protected markFailed(error: Error): void {
    this.recordFault(error, "QUBIT_CORE_SOURCE_FAILED");
    this.setStatus("failed");
    this.rejectFinished(error);
  }

  /** Records a recoverable fault: health, metrics, and the `fault` event. */
  protected recordFault(error: unknown, fallbackCode: string): QubitError {
    const fault =
      error instanceof QubitError
        ? error
        : new QubitError(
            fallbackCode,
            error instanceof Error ? error.message : String(error),
            {
              cause: error,
            },
          );
    this.lastError = {
      code: fault.code,
      message: fault.message,
      at: new Date(this.now()).toISOString(),
    };
    this.metrics.recordError(fault.code, fault);
    if (this.listenerCount("fault") > 0) this.emit("fault", fault);
    return fault;
  }

  /**
   * Converts a message; a converter that throws (a bug, or input such as
   * JSON nested deeper than the stack) rejects that message to the
   * dead-letter output instead of stopping the stream.
   */
  private convert(message: M): ConversionResult {
    try {
      return message.convert();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const fault = this.recordFault(error, "QUBIT_CORE_CONVERT_FAILED");
      this.logger.error(
        {
          kind: message.kind,
          address: message.source.address,
          code: fault.code,
          err: error,
        },
        "Converting a message failed; it goes to the dead-letter output",
      );
      return {
        readings: [],
        rejects: [
          {
            code: "QUBIT_CORE_CONVERT_FAILED",
            message: `The ${message.protocol} input could not be converted: ${reason}`,
            location: { ...message.source },
            fix: "check the input's structure (for example nesting depth); if it is valid, report it with this dead letter",
          },
        ],
        diagnostics: [],
      };
    }
  }

  private async deliverWithHandlers(message: M): Promise<void> {
    const before = this.registrations.filter(
      (r) => r.phase === "before" && r.matches(message),
    );
    const after = this.registrations.filter(
      (r) => r.phase === "after" && r.matches(message),
    );
    const extra: TimeSeries[] = [];
    for (const registration of before) {
      await this.runHandler(registration, message, undefined, extra);
    }
    if (!this.sink && after.length === 0) return;
    const result = this.convert(message);
    for (const registration of after) {
      await this.runHandler(registration, message, result, extra);
    }
    if (!this.sink) return;
    if (extra.length > 0) result.readings.push(...extra);
    await this.sink.submit({ message, result });
  }

  private async runHandler(
    registration: Registration<M>,
    message: M,
    result: ConversionResult | undefined,
    extra: TimeSeries[],
  ): Promise<void> {
    try {
      const returned = await registration.handler(message, result);
      if (Array.isArray(returned)) extra.push(...returned);
      else if (returned) extra.push(returned);
    } catch (error) {
      const fault = new QubitError(
        "QUBIT_CORE_HANDLER_FAILED",
        `Handler for "${registration.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, location: { ...message.source } },
      );
      this.logger.error(
        {
          handler: registration.name,
          kind: message.kind,
          address: message.source.address,
          err: error,
        },
        "Message handler threw; the message goes on without its result",
      );
      this.recordFault(fault, fault.code);
    }
  }

  private async closeOwnPipeline(): Promise<void> {
    const own = this.ownPipeline;
    if (!own) return;
    this.ownPipeline = undefined;
    await own.pipeline.close();
    own.queue.end();
  }
}

/** Builds a diagnostic; a shorthand for converters. */
export function diagnostic(
  code: string,
  message: string,
  extra: Omit<Diagnostic, "code" | "message"> = {},
): Diagnostic {
  return { code, message, ...extra };
}
