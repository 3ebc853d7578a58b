import { EventEmitter } from "node:events";
import type {
  Diagnostic,
  PipelineEntry,
  SourceMessage,
} from "../connector/message.js";
import type { MessageSink } from "../connector/sink.js";
import { QubitError } from "../errors.js";
import { type Logger, noopLogger, rateLimited } from "../logger.js";
import { type BoundCounter, MetricsRegistry } from "../metrics/registry.js";
import type { QualityMonitor } from "../quality/monitor.js";
import { parseIsoUtc } from "../time/iso-utc.js";
import { normalizeReadingUnit, type UnitMode } from "../timeseries/reading.js";
import type { TimeSeries } from "../timeseries/schema.js";
import { checkReading } from "../timeseries/validate.js";
import { lookupUnit } from "../units/units.js";
import { toDeadLetter } from "./dead-letter.js";
import {
  type DeadLetter,
  type DeadLetterOutput,
  MemoryDeadLetterOutput,
  type Output,
} from "./output.js";
import {
  conflictingReading,
  DEFAULT_TIME_WINDOW,
  implausibility,
  invalidReading,
  type TimeWindow,
  unknownUnit,
} from "./plausibility.js";
import { RecentIds } from "./recent-ids.js";
import type {
  PipelineEvents,
  PipelineOptions,
  PipelineStats,
} from "./types.js";

export type { PipelineEvents, PipelineOptions, PipelineStats };

interface Batch {
  readings: TimeSeries[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
  done: Set<Output>;
}

interface ConnectorCounters {
  messages: number;
  readings: number;
  dead_letters: number;
  diagnostics: number;
  metrics: {
    messages: BoundCounter;
    readings: BoundCounter;
    invalid: BoundCounter;
    duplicate: BoundCounter;
    conflict: BoundCounter;
  };
}

const resolved = Promise.resolve();

/**
 * The stage after the connectors: unit normalisation, schema validation,
 * de-duplication, batching by size and time, and writing to the outputs
 * with retry. Rejected inputs and invalid readings go to the dead-letter
 * outputs with their reason and place. Batches are written one at a time
 * in order, so readings of one series stay in order.
 */
export class Pipeline
  extends EventEmitter<PipelineEvents>
  implements MessageSink
{
  readonly name: string;
  private readonly outputs: Output[];
  private readonly deadLetterOutputs: DeadLetterOutput[];
  private readonly batchSize: number;
  private readonly batchIntervalMs: number;
  private readonly maxPending: number;
  private readonly unitMode: UnitMode;
  private readonly retryInitialDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly logger: Logger;
  private readonly registry: MetricsRegistry;
  private readonly now: () => number;
  private readonly quality: QualityMonitor | undefined;
  private readonly timeWindow: TimeWindow;
  /** Unknown units already reported, per connector. */
  private readonly unknownUnits = new Map<string, Set<string>>();

  private current: Batch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly sealed: Batch[] = [];
  private writing = false;
  private pending = 0;
  private closed = false;
  private readonly recentIds: RecentIds | undefined;
  private waiters: (() => void)[] = [];
  private deadLetterChain: Promise<void> = resolved;
  private readonly counters = new Map<string, ConnectorCounters>();
  private readonly totals = {
    messages: 0,
    readings_written: 0,
    readings_invalid: 0,
    readings_duplicate: 0,
    readings_conflict: 0,
    dead_letters: 0,
    diagnostics: 0,
  };
  private readonly logLimits = new Map<
    string,
    ReturnType<typeof rateLimited>
  >();
  private readonly metric;

  constructor(options: PipelineOptions) {
    super();
    this.name = options.name ?? "main";
    this.outputs = options.outputs;
    this.deadLetterOutputs = options.deadLetters ?? [
      new MemoryDeadLetterOutput(),
    ];
    this.batchSize = options.batchSize ?? 500;
    this.batchIntervalMs = options.batchIntervalMs ?? 200;
    this.maxPending = options.maxPendingReadings ?? 20_000;
    this.unitMode = options.unitMode ?? "base";
    const dedupWindow = Math.floor(options.dedupWindow ?? 100_000);
    this.recentIds = dedupWindow > 0 ? new RecentIds(dedupWindow) : undefined;
    this.retryInitialDelayMs = options.retryInitialDelayMs ?? 100;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 30_000;
    this.logger = (options.logger ?? noopLogger).child({ pipeline: this.name });
    this.registry = options.registry ?? new MetricsRegistry();
    this.now = options.now ?? Date.now;
    this.quality = options.quality;
    this.timeWindow = options.timeWindow ?? DEFAULT_TIME_WINDOW;

    const registry = this.registry;
    this.metric = {
      messages: registry.counter(
        "qubit_pipeline_messages_total",
        "Messages submitted to the pipeline",
      ),
      readings: registry.counter(
        "qubit_readings_accepted_total",
        "Readings accepted into a batch",
      ),
      invalid: registry.counter(
        "qubit_readings_invalid_total",
        "Readings that failed schema validation",
      ),
      duplicate: registry.counter(
        "qubit_readings_duplicate_total",
        "Readings dropped as duplicates by id",
      ),
      unknownUnits: registry.counter(
        "qubit_readings_unknown_unit_total",
        "Readings whose unit is not in the unit table",
      ),
      conflict: registry.counter(
        "qubit_readings_conflict_total",
        "Readings rejected because their id was taken with another value",
      ),
      deadLetters: registry.counter(
        "qubit_dead_letters_total",
        "Inputs sent to the dead-letter output",
      ),
      diagnostics: registry.counter(
        "qubit_diagnostics_total",
        "Warnings raised while converting inputs",
      ),
      written: registry.counter(
        "qubit_readings_written_total",
        "Readings written per output",
      ),
      outputErrors: registry.counter(
        "qubit_output_errors_total",
        "Failed output writes",
      ),
      writeSeconds: registry.histogram(
        "qubit_output_write_seconds",
        "Duration of output writes",
      ),
      pending: registry
        .gauge(
          "qubit_pipeline_pending_readings",
          "Readings batched or being written",
        )
        .with({ pipeline: this.name }),
    };
  }

  /** True while more readings are pending than `maxPendingReadings`. */
  get saturated(): boolean {
    return this.pending >= this.maxPending;
  }

  /** Number of readings batched or being written. */
  get pendingReadings(): number {
    return this.pending;
  }

  /** Resolves when the pipeline is below its pending limit. */
  whenWritable(): Promise<void> {
    if (!this.saturated || this.closed) return resolved;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Opens every output that needs it. */
  async open(): Promise<void> {
    for (const output of this.outputs) await output.open?.();
  }

  /** Validates and batches the readings of one message; see {@link MessageSink.submit}. */
  submit(entry: PipelineEntry): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new QubitError(
          "QUBIT_CORE_PIPELINE_CLOSED",
          "The pipeline is closed; the message was not accepted",
        ),
      );
    }
    const { message, result } = entry;
    const connector = message.source.connector ?? message.protocol;
    const counters = this.countersFor(connector);
    counters.messages += 1;
    this.totals.messages += 1;
    counters.metrics.messages.inc();

    // Most messages have no rejects, so the list is made on first use.
    let letters: DeadLetter[] | undefined;
    const { diagnostics, rejects, readings } = result;
    for (let index = 0; index < diagnostics.length; index += 1) {
      this.onDiagnostic(message, connector, diagnostics[index]!);
    }
    for (let index = 0; index < rejects.length; index += 1) {
      letters ??= [];
      letters.push(toDeadLetter(message, rejects[index]!, this.now()));
    }

    let added = 0;
    let batch: Batch | undefined;
    const reject = (diagnostic: Diagnostic) => {
      letters ??= [];
      letters.push(toDeadLetter(message, diagnostic, this.now()));
    };
    for (let index = 0; index < readings.length; index += 1) {
      const reading = readings[index]!;
      normalizeReadingUnit(reading, this.unitMode);
      const problem = checkReading(reading);
      const rule =
        problem === undefined
          ? implausibility(
              reading,
              parseIsoUtc(reading.timestamp),
              this.now(),
              this.timeWindow,
            )
          : invalidReading(reading, problem);
      if (rule !== undefined) {
        this.totals.readings_invalid += 1;
        counters.metrics.invalid.inc();
        reject(rule);
        continue;
      }
      if (reading.unit !== "" && lookupUnit(reading.unit) === undefined) {
        this.onUnknownUnit(message, connector, reading);
      }
      const seen = this.recentIds?.check(reading.id, reading.value);
      if (seen === "duplicate") {
        this.totals.readings_duplicate += 1;
        counters.metrics.duplicate.inc();
        continue;
      }
      if (seen === "conflict") {
        this.totals.readings_conflict += 1;
        counters.metrics.conflict.inc();
        reject(conflictingReading(reading));
        continue;
      }
      this.quality?.inspect(reading, connector);
      batch ??= this.currentBatch();
      batch.readings.push(reading);
      added += 1;
    }

    counters.readings += added;
    if (added > 0) {
      counters.metrics.readings.inc(added);
      this.pending += added;
      this.metric.pending.set(this.pending);
    }
    const readingsDone = batch ? batch.promise : resolved;
    if (batch && batch.readings.length >= this.batchSize) this.seal();

    if (letters === undefined) return readingsDone;
    counters.dead_letters += letters.length;
    this.quality?.recordRejected(connector, letters.length);
    const lettersDone = this.writeDeadLetters(connector, letters);
    return batch
      ? Promise.all([readingsDone, lettersDone]).then(() => undefined)
      : lettersDone;
  }

  /**
   * Submits readings that did not come through a connector, for library
   * users who build readings themselves.
   */
  writeReadings(readings: TimeSeries[], connector = "api"): Promise<void> {
    const message: SourceMessage = {
      protocol: "api",
      kind: "readings",
      source: { protocol: "api", address: "", connector },
      receivedAt: this.now(),
      raw: readings,
      convert: () => ({ readings, rejects: [], diagnostics: [] }),
      toTimeSeries: () => readings,
    };
    return this.submit({ message, result: message.convert() });
  }

  /** Writes the open batch now and resolves when everything pending is written. */
  async flush(): Promise<void> {
    this.seal();
    const last = this.sealed[this.sealed.length - 1];
    await Promise.all([
      last?.promise.catch(() => undefined),
      this.deadLetterChain,
    ]);
  }

  /**
   * Flushes and closes the outputs. When outputs still fail after
   * `timeoutMs` (default 30,000), the pending batches are rejected, so
   * their inputs are not acknowledged and the sources can send them again.
   */
  async close(timeoutMs = 30_000): Promise<void> {
    if (this.closed) return;
    this.seal();
    this.closed = true;
    const last = this.sealed[this.sealed.length - 1];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([
      Promise.all([last?.promise.catch(() => undefined), this.deadLetterChain]),
      timedOut,
    ]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      const lost = this.sealed.reduce(
        (sum, batch) => sum + batch.readings.length,
        0,
      );
      this.logger.error(
        { pending_readings: lost, timeout_ms: timeoutMs },
        "Outputs did not accept the pending readings before shutdown; they go to the dead-letter output, and sources that wait for acknowledgement may send them again",
      );
      // A source without redelivery (MQTT QoS 0, a poller) would lose
      // these readings, so each one is kept as a dead letter.
      const unwritten = this.sealed.flatMap((batch) => batch.readings);
      const letters = unwritten.map((reading) =>
        toDeadLetter(
          {
            protocol: reading.source.protocol,
            kind: "reading",
            source: reading.source,
            receivedAt: this.now(),
            raw: reading,
            convert: () => ({ readings: [], rejects: [], diagnostics: [] }),
            toTimeSeries: () => [reading],
          },
          {
            code: "QUBIT_CORE_SHUTDOWN_UNWRITTEN",
            message: `Reading ${reading.metric} of ${reading.asset_id} at ${reading.timestamp} was not written: the outputs did not accept it within ${timeoutMs} ms of shutdown`,
            location: { metric: reading.metric },
            fix: "bring the output back and write the raw reading (a TimeSeries record) again; its id makes a repeat harmless",
          },
          this.now(),
        ),
      );
      const byConnector = new Map<string, DeadLetter[]>();
      for (const letter of letters) {
        const list = byConnector.get(letter.connector) ?? [];
        list.push(letter);
        byConnector.set(letter.connector, list);
      }
      for (const [connector, list] of byConnector) {
        await this.writeDeadLetters(connector, list);
      }
      for (const batch of this.sealed.splice(0)) {
        batch.reject(
          new QubitError(
            "QUBIT_CORE_PIPELINE_CLOSED",
            "The pipeline closed before the batch was written",
          ),
        );
      }
    }
    for (const waiter of this.waiters.splice(0)) waiter();
    for (const output of this.outputs) {
      await output
        .close()
        .catch((error: unknown) =>
          this.logger.error(
            { output: output.name, err: error },
            "Output failed to close",
          ),
        );
    }
    for (const output of this.deadLetterOutputs) {
      await output
        .close()
        .catch((error: unknown) =>
          this.logger.error(
            { output: output.name, err: error },
            "Dead-letter output failed to close",
          ),
        );
    }
  }

  /** Returns what the pipeline did so far. */
  stats(): PipelineStats {
    return {
      ...this.totals,
      pending_readings: this.pending,
      by_connector: Object.fromEntries(
        [...this.counters].map(([name, counters]) => [
          name,
          {
            messages: counters.messages,
            readings: counters.readings,
            dead_letters: counters.dead_letters,
            diagnostics: counters.diagnostics,
          },
        ]),
      ),
    };
  }

  private countersFor(connector: string): ConnectorCounters {
    let counters = this.counters.get(connector);
    if (!counters) {
      const labels = { connector };
      counters = {
        messages: 0,
        readings: 0,
        dead_letters: 0,
        diagnostics: 0,
        metrics: {
          messages: this.metric.messages.with(labels),
          readings: this.metric.readings.with(labels),
          invalid: this.metric.invalid.with(labels),
          duplicate: this.metric.duplicate.with(labels),
          conflict: this.metric.conflict.with(labels),
        },
      };
      this.counters.set(connector, counters);
    }
    return counters;
  }

  private currentBatch(): Batch {
    if (this.current) return this.current;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A caller that does not wait for its batch must not cause an
    // unhandled rejection when the pipeline closes on a failing output.
    promise.catch(() => undefined);
    this.current = { readings: [], promise, resolve, reject, done: new Set() };
    this.timer = setTimeout(() => this.seal(), this.batchIntervalMs);
    return this.current;
  }

  private seal(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.current;
    if (!batch) return;
    this.current = undefined;
    if (batch.readings.length === 0) {
      batch.resolve();
      return;
    }
    this.sealed.push(batch);
    if (!this.writing) void this.writeSealed();
  }

  private async writeSealed(): Promise<void> {
    this.writing = true;
    while (this.sealed.length > 0) {
      const batch = this.sealed[0]!;
      const written = await this.writeWithRetry(batch);
      if (!written) break;
      this.sealed.shift();
      this.pending -= batch.readings.length;
      this.totals.readings_written += batch.readings.length;
      this.metric.pending.set(this.pending);
      batch.resolve();
      if (this.listenerCount("written") > 0)
        this.emit("written", batch.readings);
      if (!this.saturated && this.waiters.length > 0) {
        for (const waiter of this.waiters.splice(0)) waiter();
      }
    }
    this.writing = false;
  }

  private async writeWithRetry(batch: Batch): Promise<boolean> {
    let delay = this.retryInitialDelayMs;
    for (let attempt = 1; ; attempt += 1) {
      const failures: { output: Output; error: unknown }[] = [];
      await Promise.all(
        this.outputs
          .filter((output) => !batch.done.has(output))
          .map(async (output) => {
            const started = performance.now();
            try {
              await output.write(batch.readings);
              batch.done.add(output);
              this.metric.written.inc(
                { output: output.name },
                batch.readings.length,
              );
              this.metric.writeSeconds
                .with({ output: output.name })
                .observe((performance.now() - started) / 1000);
            } catch (error) {
              failures.push({ output, error });
              this.metric.outputErrors.inc({ output: output.name });
            }
          }),
      );
      if (failures.length === 0) return true;
      for (const { output, error } of failures) {
        this.logger.warn(
          {
            output: output.name,
            attempt,
            readings: batch.readings.length,
            retry_in_ms: delay,
            err: error,
          },
          "Output write failed; retrying the batch",
        );
      }
      if (!this.sealed.includes(batch)) return false;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (!this.sealed.includes(batch)) return false;
      delay = Math.min(delay * 2, this.retryMaxDelayMs);
    }
  }

  private writeDeadLetters(
    connector: string,
    letters: DeadLetter[],
  ): Promise<void> {
    this.totals.dead_letters += letters.length;
    for (const letter of letters) {
      this.metric.deadLetters.inc({ connector, code: letter.code });
      this.logRateLimited(
        `reject:${connector}:${letter.code}`,
        "warn",
        {
          connector,
          code: letter.code,
          location: letter.location,
          reason: letter.reason,
        },
        "Input rejected to the dead-letter output",
      );
      if (this.listenerCount("dead-letter") > 0)
        this.emit("dead-letter", letter);
    }
    this.deadLetterChain = this.deadLetterChain.then(async () => {
      for (const output of this.deadLetterOutputs) {
        try {
          await output.write(letters);
        } catch (error) {
          this.logger.error(
            { output: output.name, dead_letters: letters.length, err: error },
            "Dead-letter output failed; the letters are only in the log",
          );
        }
      }
    });
    return this.deadLetterChain;
  }

  /** Reports an unknown unit once per connector; later ones are only counted. */
  private onUnknownUnit(
    message: SourceMessage,
    connector: string,
    reading: TimeSeries,
  ): void {
    let reported = this.unknownUnits.get(connector);
    if (!reported) {
      reported = new Set();
      this.unknownUnits.set(connector, reported);
    }
    if (reported.has(reading.unit)) {
      this.metric.unknownUnits.inc({ connector });
      return;
    }
    if (reported.size < 1000) reported.add(reading.unit);
    this.metric.unknownUnits.inc({ connector });
    this.onDiagnostic(message, connector, unknownUnit(reading));
  }

  private onDiagnostic(
    message: SourceMessage,
    connector: string,
    diagnostic: Diagnostic,
  ): void {
    this.totals.diagnostics += 1;
    this.countersFor(connector).diagnostics += 1;
    this.metric.diagnostics.inc({ connector, code: diagnostic.code });
    const location = {
      address: message.source.address,
      ...diagnostic.location,
    };
    this.logRateLimited(
      `diag:${connector}:${diagnostic.code}`,
      "warn",
      {
        connector,
        code: diagnostic.code,
        location,
        reason: diagnostic.message,
      },
      "Input converted with a warning",
    );
    if (this.listenerCount("diagnostic") > 0) {
      this.emit("diagnostic", { ...diagnostic, location, connector });
    }
  }

  private logRateLimited(
    key: string,
    level: "warn" | "error",
    context: Record<string, unknown>,
    text: string,
  ): void {
    let limit = this.logLimits.get(key);
    if (!limit) {
      limit = rateLimited(10, 60_000, this.now);
      this.logLimits.set(key, limit);
    }
    const { allowed, suppressed } = limit();
    if (!allowed) return;
    this.logger[level](
      suppressed > 0 ? { ...context, suppressed } : context,
      text,
    );
  }
}
