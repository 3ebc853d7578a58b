/** Verdicts of {@link SeriesHistory.check} on a reading. */
export const Repeat = {
  /** Later than every earlier reading of its series. */
  NEW: 0,
  /** Earlier than the latest reading of its series, at a new instant. */
  OUT_OF_ORDER: 1,
  /** Same instant and the same value as a recent reading of its series. */
  DUPLICATE: 2,
  /** Same instant as a recent reading of its series, another value. */
  CONFLICT: 3,
} as const;

/** A verdict of {@link SeriesHistory.check}. */
export type RepeatKind = (typeof Repeat)[keyof typeof Repeat];

/** An earlier reading of a series, as the history keeps it. */
export interface EarlierReading {
  instant: number;
  value: unknown;
  unit: string;
  /** Line (or record number) of the earlier reading. */
  place: number;
}

/** Recent readings of one series, in a ring that grows up to the depth. */
interface SeriesState {
  latest: number;
  latestPlace: number;
  instants: number[];
  values: unknown[];
  units: string[];
  places: number[];
  /** Once the ring is full: the index of the oldest entry, written next. */
  next: number;
}

/** Options of {@link SeriesHistory}. */
export interface SeriesHistoryOptions {
  /** Readings kept per series for the repeat check; default 64. */
  depth?: number;
  /** Series tracked at most; the history starts over above it. Default 20,000. */
  maxSeries?: number;
}

/**
 * The recent readings of each series of one input, to tell a repeated
 * reading (same series and instant) from a new one. A repeat with the
 * same value is a duplicate; one with another value is a conflict. Only
 * the last `depth` readings of a series are kept, so a repeat further
 * back counts as out of order, and the pipeline's de-duplication is the
 * check for it. Memory stays bounded: at most `maxSeries` series of
 * `depth` readings each.
 */
export class SeriesHistory {
  private readonly depth: number;
  private readonly maxSeries: number;
  private series = new Map<string, SeriesState>();
  private readonly found: EarlierReading = {
    instant: 0,
    value: undefined,
    unit: "",
    place: 0,
  };

  constructor(options: SeriesHistoryOptions = {}) {
    // NOTE: 64 readings cover the repeated daylight-saving hour of
    // one-minute data; a repeat further back is not compared here.
    this.depth = options.depth ?? 64;
    this.maxSeries = options.maxSeries ?? 20_000;
  }

  /**
   * The earlier reading that the last check compared with: the repeated
   * one for a duplicate or conflict, the latest of the series for a
   * reading out of order. It is overwritten by the next check.
   */
  get earlier(): Readonly<EarlierReading> {
    return this.found;
  }

  /**
   * Checks a reading of `key` at `instant` against the recent readings of
   * its series, and records it unless it repeats one of them. `place` is
   * its line or record number.
   */
  check(
    key: string,
    instant: number,
    value: unknown,
    unit: string,
    place: number,
  ): RepeatKind {
    let state = this.series.get(key);
    if (state === undefined) {
      if (this.series.size >= this.maxSeries) this.series = new Map();
      state = {
        latest: instant,
        latestPlace: place,
        instants: [],
        values: [],
        units: [],
        places: [],
        next: 0,
      };
      this.series.set(key, state);
      this.record(state, instant, value, unit, place);
      return Repeat.NEW;
    }
    if (instant > state.latest) {
      state.latest = instant;
      state.latestPlace = place;
      this.record(state, instant, value, unit, place);
      return Repeat.NEW;
    }
    const index = this.find(state, instant);
    if (index >= 0) return this.compare(state, index, value, unit);
    this.foundLatest(state);
    this.record(state, instant, value, unit, place);
    return Repeat.OUT_OF_ORDER;
  }

  /**
   * Checks a reading like {@link check} without recording it: for a
   * reading that is only kept once something else accepts it.
   */
  peek(key: string, instant: number, value: unknown, unit: string): RepeatKind {
    const state = this.series.get(key);
    if (state === undefined || instant > state.latest) return Repeat.NEW;
    const index = this.find(state, instant);
    if (index >= 0) return this.compare(state, index, value, unit);
    this.foundLatest(state);
    return Repeat.OUT_OF_ORDER;
  }

  /** Forgets every series. */
  clear(): void {
    this.series = new Map();
  }

  /** Compares a reading with the entry at `index`, which has its instant. */
  private compare(
    state: SeriesState,
    index: number,
    value: unknown,
    unit: string,
  ): RepeatKind {
    const found = this.found;
    found.instant = state.instants[index]!;
    found.value = state.values[index];
    found.unit = state.units[index]!;
    found.place = state.places[index]!;
    return found.value === value && found.unit === unit
      ? Repeat.DUPLICATE
      : Repeat.CONFLICT;
  }

  private foundLatest(state: SeriesState): void {
    const found = this.found;
    found.instant = state.latest;
    found.value = undefined;
    found.unit = "";
    found.place = state.latestPlace;
  }

  private record(
    state: SeriesState,
    instant: number,
    value: unknown,
    unit: string,
    place: number,
  ): void {
    // Below the depth the arrays grow; then `next` walks around the ring
    // and points at the oldest entry.
    const size = state.instants.length;
    let index = size;
    if (size >= this.depth) {
      index = state.next;
      state.next = index + 1 === size ? 0 : index + 1;
    }
    state.instants[index] = instant;
    state.values[index] = value;
    state.units[index] = unit;
    state.places[index] = place;
  }

  /** Returns the index of the newest entry at `instant`, or -1. */
  private find(state: SeriesState, instant: number): number {
    const instants = state.instants;
    const size = instants.length;
    let index = state.next - 1;
    for (let step = 0; step < size; step += 1) {
      if (index < 0) index = size - 1;
      if (instants[index] === instant) return index;
      index -= 1;
    }
    return -1;
  }
}
