import type { TimeSeries } from "@qubit/core";

/** A topic the connector has received, as {@link TopicDiscovery} lists it. */
export interface DiscoveredTopic {
  topic: string;
  /** Route that mapped it: `rules[0]`, `preset shelly (Gen1)`, `topic_template`. */
  route: string | undefined;
  first_seen: string;
  last_seen: string;
  messages: number;
}

/** A series (asset id and metric) the connector has produced readings for. */
export interface DiscoveredSeries {
  asset_id: string;
  metric: string;
  unit: string;
  topic: string;
  first_seen: string;
}

const NONE: readonly DiscoveredSeries[] = Object.freeze([]);

interface TopicEntry {
  route: string | undefined;
  first: number;
  last: number;
  messages: number;
  /** Series of the last single-reading message on the topic. */
  lastAsset: string | undefined;
  lastMetric: string | undefined;
}

/**
 * Remembers the topics and series seen so far, up to a limit. The record
 * methods return what is new, so the caller can announce it.
 */
export class TopicDiscovery {
  private readonly topicMap = new Map<string, TopicEntry>();
  private readonly seriesByAsset = new Map<string, Set<string>>();
  private readonly seriesList: DiscoveredSeries[] = [];
  /** The entry of the topic passed to the last `recordTopic` call. */
  private current: TopicEntry | undefined;

  constructor(private readonly limit: number) {}

  /** Records a message; returns true when its topic is new. */
  recordTopic(topic: string, route: string | undefined, at: number): boolean {
    const known = this.topicMap.get(topic);
    if (known) {
      known.last = at;
      known.messages += 1;
      this.current = known;
      return false;
    }
    this.current = undefined;
    if (this.topicMap.size >= this.limit) return false;
    const entry: TopicEntry = {
      route,
      first: at,
      last: at,
      messages: 1,
      lastAsset: undefined,
      lastMetric: undefined,
    };
    this.topicMap.set(topic, entry);
    this.current = entry;
    return true;
  }

  /**
   * Records the readings of the message passed to `recordTopic` just
   * before; returns the series among them that are new.
   */
  recordSeries(readings: readonly TimeSeries[], topic: string, at: number) {
    // Most topics carry one series: when the only reading repeats the
    // last one of its topic, it cannot be new.
    const entry = this.current;
    const only = readings.length === 1 ? readings[0]! : undefined;
    if (
      only &&
      entry &&
      entry.lastAsset === only.asset_id &&
      entry.lastMetric === only.metric
    )
      return NONE;
    if (only && entry) {
      entry.lastAsset = only.asset_id;
      entry.lastMetric = only.metric;
    }
    let added: DiscoveredSeries[] | undefined;
    for (const reading of readings) {
      let metrics = this.seriesByAsset.get(reading.asset_id);
      if (metrics?.has(reading.metric)) continue;
      if (this.seriesList.length >= this.limit) continue;
      if (!metrics) {
        metrics = new Set();
        this.seriesByAsset.set(reading.asset_id, metrics);
      }
      metrics.add(reading.metric);
      const series: DiscoveredSeries = {
        asset_id: reading.asset_id,
        metric: reading.metric,
        unit: reading.unit,
        topic,
        first_seen: new Date(at).toISOString(),
      };
      this.seriesList.push(series);
      added ??= [];
      added.push(series);
    }
    return added ?? NONE;
  }

  /** Returns the topics seen, in the order they first appeared. */
  topics(): DiscoveredTopic[] {
    return [...this.topicMap].map(([topic, entry]) => ({
      topic,
      route: entry.route,
      first_seen: new Date(entry.first).toISOString(),
      last_seen: new Date(entry.last).toISOString(),
      messages: entry.messages,
    }));
  }

  /** Returns the series seen, in the order they first appeared. */
  series(): DiscoveredSeries[] {
    return [...this.seriesList];
  }

  get topicCount(): number {
    return this.topicMap.size;
  }

  get seriesCount(): number {
    return this.seriesList.length;
  }
}
