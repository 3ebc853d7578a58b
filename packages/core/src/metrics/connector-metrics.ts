import { type Labels, MetricsRegistry } from "./registry.js";

/** One error kept by {@link ConnectorMetrics.recordError}. */
export interface RecordedError {
  kind: string;
  message: string;
  code?: string;
  at: string;
}

/** What {@link ConnectorMetrics.snapshot} returns. */
export interface ConnectorMetricsSnapshot {
  counters: Record<string, number>;
  gauges: Record<string, number>;
  histograms: Record<
    string,
    { count: number; sum: number; min?: number; max?: number; mean?: number }
  >;
  errors: {
    total: number;
    by_kind: Record<string, number>;
    recent: RecordedError[];
  };
}

const MAX_RECENT_ERRORS = 20;

/**
 * Metrics of one connector, or of user code: counters, histograms and
 * errors by name, stored in a {@link MetricsRegistry} under the prefix
 * `qubit_` with the connector's labels. Counter `messages_received`
 * becomes `qubit_messages_received_total{connector="..."}`.
 */
export class ConnectorMetrics {
  readonly registry: MetricsRegistry;
  readonly labels: Labels;
  private readonly recent: RecordedError[] = [];
  private readonly counterNames = new Set<string>();
  private readonly gaugeNames = new Set<string>();
  private readonly histogramNames = new Set<string>();

  constructor(options: { registry?: MetricsRegistry; labels?: Labels } = {}) {
    this.registry = options.registry ?? new MetricsRegistry();
    this.labels = options.labels ?? {};
  }

  /** Adds `by` (default 1) to the counter `name`. */
  incrementCounter(name: string, by = 1, labels?: Labels): void {
    this.counterNames.add(name);
    this.registry
      .counter(`qubit_${name}_total`)
      .inc(labels ? { ...this.labels, ...labels } : this.labels, by);
  }

  /** Records one observation, for example a message size or a latency. */
  recordHistogram(name: string, value: number, labels?: Labels): void {
    this.histogramNames.add(name);
    this.registry
      .histogram(`qubit_${name}`, "", HISTOGRAM_BUCKETS)
      .with(labels ? { ...this.labels, ...labels } : this.labels)
      .observe(value);
  }

  /** Sets the gauge `name` to a value, for example a queue depth. */
  setGauge(name: string, value: number, labels?: Labels): void {
    this.gaugeNames.add(name);
    this.registry
      .gauge(`qubit_${name}`)
      .with(labels ? { ...this.labels, ...labels } : this.labels)
      .set(value);
  }

  /**
   * Counts an error of a kind (`validation_failed`, `timeout`, ...) and
   * keeps the last few with their message for health reports.
   */
  recordError(kind: string, error: unknown): void {
    this.registry
      .counter("qubit_errors_total", "Errors by kind")
      .inc({ ...this.labels, kind });
    const entry: RecordedError = {
      kind,
      message: error instanceof Error ? error.message : String(error),
      at: new Date().toISOString(),
    };
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === "string") entry.code = code;
    this.recent.push(entry);
    if (this.recent.length > MAX_RECENT_ERRORS) this.recent.shift();
  }

  /** Returns the current values of this instance's metrics. */
  snapshot(): ConnectorMetricsSnapshot {
    const counters: Record<string, number> = {};
    for (const name of this.counterNames) {
      counters[name] = this.registry.total(`qubit_${name}_total`, this.labels);
    }
    const gauges: Record<string, number> = {};
    const histograms: ConnectorMetricsSnapshot["histograms"] = {};
    for (const sample of this.registry.snapshot()) {
      const own = Object.entries(this.labels).every(
        ([key, value]) => sample.labels[key] === value,
      );
      if (!own) continue;
      const name = sample.name.replace(/^qubit_/, "");
      if (sample.kind === "gauge" && this.gaugeNames.has(name)) {
        gauges[name] = sample.value;
      }
      if (sample.kind === "histogram" && this.histogramNames.has(name)) {
        const count = sample.count ?? 0;
        const entry: ConnectorMetricsSnapshot["histograms"][string] = {
          count,
          sum: sample.sum ?? 0,
        };
        if (sample.min !== undefined) entry.min = sample.min;
        if (sample.max !== undefined) entry.max = sample.max;
        if (count > 0) entry.mean = (sample.sum ?? 0) / count;
        histograms[name] = entry;
      }
    }
    const byKind: Record<string, number> = {};
    for (const sample of this.registry.snapshot()) {
      if (sample.name !== "qubit_errors_total") continue;
      const own = Object.entries(this.labels).every(
        ([key, value]) => sample.labels[key] === value,
      );
      const kind = sample.labels.kind;
      if (own && kind) byKind[kind] = (byKind[kind] ?? 0) + sample.value;
    }
    const total = Object.values(byKind).reduce((sum, value) => sum + value, 0);
    return {
      counters,
      gauges,
      histograms,
      errors: { total, by_kind: byKind, recent: [...this.recent] },
    };
  }

  /** Renders the whole registry in the Prometheus text format. */
  toPrometheus(): string {
    return this.registry.toPrometheus();
  }
}

// Histograms of user metrics hold sizes as often as durations, so the
// buckets span 1e-4 to 1e6.
const HISTOGRAM_BUCKETS = [
  0.0001, 0.001, 0.01, 0.1, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000,
];
