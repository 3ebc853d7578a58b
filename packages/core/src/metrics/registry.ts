/** Label names and values of one time series of a metric. */
export type Labels = Readonly<Record<string, string>>;

/** A counter, gauge or histogram bound to one set of labels. */
export interface BoundCounter {
  inc(by?: number): void;
  readonly value: number;
}

export interface BoundGauge {
  set(value: number): void;
  inc(by?: number): void;
  dec(by?: number): void;
  readonly value: number;
}

export interface BoundHistogram {
  observe(value: number): void;
}

/** Default histogram buckets, in seconds: 0.5 ms to 10 s. */
export const DEFAULT_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  10,
];

interface HistogramState {
  buckets: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

type Kind = "counter" | "gauge" | "histogram";

interface Family {
  name: string;
  help: string;
  kind: Kind;
  buckets: readonly number[];
  series: Map<
    string,
    { labels: Labels; value: number; histogram?: HistogramState }
  >;
}

/** A snapshot of one metric series, as {@link MetricsRegistry.snapshot} returns. */
export interface MetricSample {
  name: string;
  kind: Kind;
  labels: Labels;
  value: number;
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  buckets?: { le: number; count: number }[];
}

const labelKey = (labels: Labels): string => {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  keys.sort();
  return keys.map((key) => `${key}=${labels[key]}`).join("\u001f");
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Holds every metric of a process and renders them as a snapshot or in
 * the Prometheus text exposition format (version 0.0.4).
 */
export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly collectors: (() => void)[] = [];

  /** Returns the counter `name`, creating it on first use. */
  counter(
    name: string,
    help = "",
  ): {
    with(labels?: Labels): BoundCounter;
    inc(labels?: Labels, by?: number): void;
  } {
    const family = this.family(name, help, "counter", DEFAULT_BUCKETS);
    return {
      with: (labels = {}) => {
        const series = this.series(family, labels);
        return {
          inc(by = 1) {
            series.value += by;
          },
          get value() {
            return series.value;
          },
        };
      },
      inc: (labels = {}, by = 1) => {
        this.series(family, labels).value += by;
      },
    };
  }

  /** Returns the gauge `name`, creating it on first use. */
  gauge(name: string, help = ""): { with(labels?: Labels): BoundGauge } {
    const family = this.family(name, help, "gauge", DEFAULT_BUCKETS);
    return {
      with: (labels = {}) => {
        const series = this.series(family, labels);
        return {
          set(value) {
            series.value = value;
          },
          inc(by = 1) {
            series.value += by;
          },
          dec(by = 1) {
            series.value -= by;
          },
          get value() {
            return series.value;
          },
        };
      },
    };
  }

  /** Returns the histogram `name`, creating it on first use. */
  histogram(
    name: string,
    help = "",
    buckets: readonly number[] = DEFAULT_BUCKETS,
  ): { with(labels?: Labels): BoundHistogram } {
    const family = this.family(name, help, "histogram", buckets);
    return {
      with: (labels = {}) => {
        const series = this.series(family, labels);
        const state = series.histogram!;
        return {
          observe(value) {
            if (!Number.isFinite(value)) return;
            state.count += 1;
            state.sum += value;
            if (value < state.min) state.min = value;
            if (value > state.max) state.max = value;
            const bounds = family.buckets;
            for (let index = 0; index < bounds.length; index += 1) {
              if (value <= bounds[index]!) {
                state.buckets[index]! += 1;
                break;
              }
            }
          },
        };
      },
    };
  }

  /** Registers a function that updates gauges just before each read. */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  /** Returns every series with its current value. */
  snapshot(): MetricSample[] {
    this.collect();
    const samples: MetricSample[] = [];
    for (const family of this.families.values()) {
      for (const series of family.series.values()) {
        const sample: MetricSample = {
          name: family.name,
          kind: family.kind,
          labels: series.labels,
          value: series.value,
        };
        const state = series.histogram;
        if (state) {
          sample.count = state.count;
          sample.sum = state.sum;
          if (state.count > 0) {
            sample.min = state.min;
            sample.max = state.max;
          }
          let cumulative = 0;
          sample.buckets = family.buckets.map((le, index) => {
            cumulative += state.buckets[index]!;
            return { le, count: cumulative };
          });
          sample.value = state.count;
        }
        samples.push(sample);
      }
    }
    return samples;
  }

  /** Returns the sum of a metric over all its series matching `labels`. */
  total(name: string, labels: Labels = {}): number {
    const family = this.families.get(name);
    if (!family) return 0;
    this.collect();
    let sum = 0;
    for (const series of family.series.values()) {
      const matches = Object.entries(labels).every(
        ([key, value]) => series.labels[key] === value,
      );
      if (!matches) continue;
      sum += series.histogram ? series.histogram.count : series.value;
    }
    return sum;
  }

  /** Renders every metric in the Prometheus text format. */
  toPrometheus(): string {
    this.collect();
    const lines: string[] = [];
    for (const family of this.families.values()) {
      if (family.help)
        lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${family.name} ${family.kind}`);
      for (const series of family.series.values()) {
        const state = series.histogram;
        if (!state) {
          lines.push(
            `${family.name}${renderLabels(series.labels)} ${formatNumber(series.value)}`,
          );
          continue;
        }
        let cumulative = 0;
        family.buckets.forEach((le, index) => {
          cumulative += state.buckets[index]!;
          lines.push(
            `${family.name}_bucket${renderLabels({ ...series.labels, le: String(le) })} ${cumulative}`,
          );
        });
        lines.push(
          `${family.name}_bucket${renderLabels({ ...series.labels, le: "+Inf" })} ${state.count}`,
        );
        lines.push(
          `${family.name}_sum${renderLabels(series.labels)} ${formatNumber(state.sum)}`,
        );
        lines.push(
          `${family.name}_count${renderLabels(series.labels)} ${state.count}`,
        );
      }
    }
    return `${lines.join("\n")}\n`;
  }

  private collect(): void {
    for (const collect of this.collectors) collect();
  }

  private family(
    name: string,
    help: string,
    kind: Kind,
    buckets: readonly number[],
  ): Family {
    if (!NAME.test(name)) {
      throw new TypeError(
        `Invalid metric name "${name}": use letters, digits, "_" and ":", not starting with a digit`,
      );
    }
    let family = this.families.get(name);
    if (!family) {
      family = { name, help, kind, buckets, series: new Map() };
      this.families.set(name, family);
    } else if (family.kind !== kind) {
      throw new TypeError(
        `Metric "${name}" is a ${family.kind}, not a ${kind}`,
      );
    }
    if (help && !family.help) family.help = help;
    return family;
  }

  private series(family: Family, labels: Labels) {
    const key = labelKey(labels);
    let series = family.series.get(key);
    if (!series) {
      series = { labels: { ...labels }, value: 0 };
      if (family.kind === "histogram") {
        series.histogram = {
          buckets: family.buckets.map(() => 0),
          count: 0,
          sum: 0,
          min: Number.POSITIVE_INFINITY,
          max: Number.NEGATIVE_INFINITY,
        };
      }
      family.series.set(key, series);
    }
    return series;
  }
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  const body = entries
    .map(
      ([key, value]) =>
        `${key}="${value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`,
    )
    .join(",");
  return `{${body}}`;
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
