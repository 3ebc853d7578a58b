import type { MetricsRegistry } from "../metrics/registry.js";
import { parseIsoUtc } from "../time/iso-utc.js";
import type { Flag, TimeSeries } from "../timeseries/schema.js";

/** A range rule: readings of matching metrics outside it get `out_of_range`. */
export interface RangeRule {
  /** Metric name, or a pattern with `*` wildcards (`Voltage*`). */
  metric: string;
  min?: number;
  max?: number;
}

/** Options of {@link QualityMonitor}. */
export interface QualityOptions {
  /**
   * Flags a numeric value as `frozen_value` once it has repeated
   * `min_repeats` times over at least `min_duration_ms`. Off unless given,
   * because counters and night-time solar power legitimately stand still.
   */
  frozen?: { min_repeats: number; min_duration_ms: number; metrics?: string[] };
  /** Plausible ranges per metric. */
  ranges?: RangeRule[];
}

interface SeriesState {
  org: string | undefined;
  site: string | undefined;
  device: string | undefined;
  /**
   * Time of the latest periodic reading of the current run, or undefined
   * at the start of a run (a new series, or after a `series_end` reading).
   */
  lastTime: number | undefined;
  lastValue: unknown;
  repeats: number;
  repeatStart: number;
  interval: number;
  received: number;
  missed: number;
}

interface SourceState {
  series: number;
  valid: number;
  errors: number;
  rejected: number;
  flagged: number;
  received: number;
  missed: number;
}

/** Data quality of one connector, as {@link QualityMonitor.report} returns it. */
export interface SourceQuality {
  /**
   * Valid readings over all readings plus rejected inputs. A reading with
   * quality `error` (a failed read, value null) is not valid.
   */
  reliability: number;
  /**
   * Readings received over readings received plus missed. A periodic
   * series learns its interval from the smallest gap between its readings,
   * and each longer gap of at least 1.5 intervals counts the readings that
   * would fit in it as missed. Event readings (`metadata.sampling:
   * "event"`) and the gap after a `metadata.series_end: true` reading of
   * the same asset count nothing.
   */
  completeness: number;
  valid: number;
  /** Readings with quality `error`: the source failed to give a value. */
  errors: number;
  rejected: number;
  flagged: number;
  missed: number;
  series: number;
}

const MAX_SERIES = 200_000;

function matcher(pattern: string): (metric: string) => boolean {
  if (!pattern.includes("*")) return (metric) => metric === pattern;
  const regex = new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return (metric) => regex.test(metric);
}

/**
 * Watches the readings a pipeline accepts: flags frozen values and values
 * out of their plausible range, estimates each series' interval to count
 * missed readings, and scores each connector's reliability. Flags are
 * added to the reading; the value is never changed.
 *
 * Two metadata keys tell it which gaps are not missed readings:
 * - `sampling: "event"`: the device sends the reading when something
 *   happens (a status change, a transaction start), not on a clock. It
 *   counts as received but neither sets nor breaks the interval.
 * - `series_end: true`: the asset stops sending after this reading (a
 *   charging session ended). Every series of that asset (same org, site
 *   and device) starts a new run with its next reading, so the pause
 *   until then counts nothing. The learned interval is kept.
 */
export class QualityMonitor {
  // Series by asset id, then metric. Each list contains the series that
  // differ in org, site or device only. Two lookups of strings that the
  // readings already carry cost less than joining the five fields.
  private readonly series = new Map<string, Map<string, SeriesState[]>>();
  private seriesCount = 0;
  private readonly sources = new Map<string, SourceState>();
  private readonly frozen: QualityOptions["frozen"];
  private readonly frozenMetric: (metric: string) => boolean;
  private readonly ranges: {
    matches: (metric: string) => boolean;
    rule: RangeRule;
  }[];

  constructor(options: QualityOptions = {}, registry?: MetricsRegistry) {
    this.frozen = options.frozen;
    const frozenMatchers = (options.frozen?.metrics ?? ["*"]).map(matcher);
    this.frozenMetric = (metric) =>
      frozenMatchers.some((matches) => matches(metric));
    this.ranges = (options.ranges ?? []).map((rule) => ({
      matches: matcher(rule.metric),
      rule,
    }));
    if (registry) this.export(registry);
  }

  /** Inspects one accepted reading; may add flags to it. */
  inspect(reading: TimeSeries, connector: string): void {
    const source = this.source(connector);
    if (reading.quality === "error") source.errors += 1;
    else source.valid += 1;
    const time = parseIsoUtc(reading.timestamp);
    const periodic = reading.metadata?.sampling !== "event";
    let state = this.findSeries(reading);
    if (!state) {
      if (this.seriesCount >= MAX_SERIES) {
        this.series.clear();
        this.seriesCount = 0;
      }
      state = {
        org: reading.org_id,
        site: reading.site_id,
        device: reading.device_id,
        lastTime: periodic ? time : undefined,
        lastValue: reading.value,
        repeats: 1,
        repeatStart: time,
        interval: 0,
        received: 1,
        missed: 0,
      };
      this.addSeries(reading, state);
      source.series += 1;
      source.received += 1;
      this.checkRange(reading, source);
      this.endRunIfMarked(reading);
      return;
    }
    if (periodic) this.countGap(state, source, time);
    state.received += 1;
    source.received += 1;
    if (
      reading.value === state.lastValue &&
      typeof reading.value === "number"
    ) {
      state.repeats += 1;
    } else {
      state.repeats = 1;
      state.repeatStart = time;
    }
    state.lastValue = reading.value;
    const frozen = this.frozen;
    if (
      frozen &&
      state.repeats >= frozen.min_repeats &&
      time - state.repeatStart >= frozen.min_duration_ms &&
      this.frozenMetric(reading.metric)
    ) {
      this.addFlag(reading, "frozen_value", source);
    }
    this.checkRange(reading, source);
    this.endRunIfMarked(reading);
  }

  /** Starts a new run of every series of the reading's asset. */
  private endRunIfMarked(reading: TimeSeries): void {
    if (reading.metadata?.series_end !== true) return;
    const metrics = this.series.get(reading.asset_id);
    if (metrics === undefined) return;
    for (const list of metrics.values()) {
      for (const state of list) {
        if (
          state.device === reading.device_id &&
          state.site === reading.site_id &&
          state.org === reading.org_id
        ) {
          state.lastTime = undefined;
        }
      }
    }
  }

  /** Counts rejected inputs and invalid readings of a connector. */
  recordRejected(connector: string, count = 1): void {
    this.source(connector).rejected += count;
  }

  /** Returns the data quality of each connector. */
  report(): Record<string, SourceQuality> {
    const result: Record<string, SourceQuality> = {};
    for (const [name, source] of this.sources) {
      const total = source.valid + source.errors + source.rejected;
      const expected = source.received + source.missed;
      result[name] = {
        reliability: total === 0 ? 1 : source.valid / total,
        completeness: expected === 0 ? 1 : source.received / expected,
        valid: source.valid,
        errors: source.errors,
        rejected: source.rejected,
        flagged: source.flagged,
        missed: source.missed,
        series: source.series,
      };
    }
    return result;
  }

  private findSeries(reading: TimeSeries): SeriesState | undefined {
    const list = this.series.get(reading.asset_id)?.get(reading.metric);
    if (list === undefined) return undefined;
    for (const state of list) {
      if (
        state.device === reading.device_id &&
        state.site === reading.site_id &&
        state.org === reading.org_id
      ) {
        return state;
      }
    }
    return undefined;
  }

  private addSeries(reading: TimeSeries, state: SeriesState): void {
    let metrics = this.series.get(reading.asset_id);
    if (!metrics) {
      metrics = new Map();
      this.series.set(reading.asset_id, metrics);
    }
    const list = metrics.get(reading.metric);
    if (list) list.push(state);
    else metrics.set(reading.metric, [state]);
    this.seriesCount += 1;
  }

  private source(connector: string): SourceState {
    let source = this.sources.get(connector);
    if (!source) {
      source = {
        series: 0,
        valid: 0,
        rejected: 0,
        errors: 0,
        flagged: 0,
        received: 0,
        missed: 0,
      };
      this.sources.set(connector, source);
    }
    return source;
  }

  private countGap(
    state: SeriesState,
    source: SourceState,
    time: number,
  ): void {
    const last = state.lastTime;
    if (last === undefined) {
      state.lastTime = time;
      return;
    }
    const gap = time - last;
    if (gap <= 0) return;
    state.lastTime = time;
    // The interval is the smallest gap seen: a missed reading only ever
    // makes a gap longer.
    if (state.interval === 0 || gap < state.interval) {
      state.interval = gap;
      return;
    }
    if (gap >= state.interval * 1.5) {
      const missed = Math.round(gap / state.interval) - 1;
      state.missed += missed;
      source.missed += missed;
    }
  }

  private checkRange(reading: TimeSeries, source: SourceState): void {
    if (typeof reading.value !== "number") return;
    for (const { matches, rule } of this.ranges) {
      if (!matches(reading.metric)) continue;
      const below = rule.min !== undefined && reading.value < rule.min;
      const above = rule.max !== undefined && reading.value > rule.max;
      if (below || above) this.addFlag(reading, "out_of_range", source);
      return;
    }
  }

  private addFlag(reading: TimeSeries, flag: Flag, source: SourceState): void {
    const flags = reading.flags ?? [];
    if (flags.includes(flag)) return;
    flags.push(flag);
    reading.flags = flags;
    source.flagged += 1;
  }

  private export(registry: MetricsRegistry): void {
    const reliability = registry.gauge(
      "qubit_source_reliability",
      "Valid readings over all readings and rejected inputs, per connector",
    );
    const completeness = registry.gauge(
      "qubit_source_completeness",
      "Readings received over readings expected, per connector",
    );
    const missed = registry.gauge(
      "qubit_readings_missed",
      "Readings missing from each series' regular interval, per connector",
    );
    const flagged = registry.gauge(
      "qubit_readings_flagged",
      "Readings flagged frozen or out of range, per connector",
    );
    const errors = registry.gauge(
      "qubit_readings_error",
      "Readings with quality error (a failed read), per connector",
    );
    registry.onCollect(() => {
      for (const [connector, quality] of Object.entries(this.report())) {
        reliability.with({ connector }).set(quality.reliability);
        completeness.with({ connector }).set(quality.completeness);
        missed.with({ connector }).set(quality.missed);
        flagged.with({ connector }).set(quality.flagged);
        errors.with({ connector }).set(quality.errors);
      }
    });
  }
}
