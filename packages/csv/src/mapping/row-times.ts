import { CsvError } from "../errors.js";
import { intervalMs, slotFormat } from "./intervals.js";
import { emptyTimestamp } from "./row-problems.js";
import { TimestampCache } from "./timestamp-cache.js";

/** Timestamp options of a row mapper. */
export interface TimeOptions {
  timestamp_format: string;
  timezone: string;
  ambiguous_time: "sequence" | "earlier" | "later" | "reject";
  nonexistent_time: "reject" | "shift_forward";
  timestamp_label: "start" | "end";
  interval?: string | undefined;
}

/**
 * The times of a mapping's rows: the timestamp parsers, the shift of
 * end-labelled intervals to their start, and the ISO 8601 text of the
 * last instant, which the rows of many assets or value columns share.
 */
export class RowTimes {
  private readonly times: TimestampCache;
  private readonly slotTimes: TimestampCache | undefined;
  private readonly shiftMs: number;
  private lastInstant = Number.NaN;
  private lastIso = "";

  /**
   * With `seriesByMetric`, the `sequence` policy keeps series apart by
   * metric and unit as well as by asset and device. Throws for an end
   * label without an interval.
   */
  constructor(
    time: TimeOptions,
    timeSlots: boolean,
    private readonly seriesByMetric: boolean,
  ) {
    if (time.timestamp_label === "end" && time.interval === undefined) {
      throw new CsvError(
        "QUBIT_CSV_MAPPING_INVALID",
        'timestamp_label "end" needs interval to find the start of each interval',
        {
          value: time.timestamp_label,
          location: { field: "interval" },
          fix: 'set interval, for example "15m" or "1h"',
        },
      );
    }
    this.times = new TimestampCache(time);
    this.shiftMs =
      time.timestamp_label === "end" ? intervalMs(time.interval!) : 0;
    if (timeSlots) {
      this.slotTimes = new TimestampCache(
        time,
        slotFormat(time.timestamp_format),
      );
    }
  }

  /**
   * Returns the instant of a row's timestamp cell, the start of its
   * interval for end labels. Throws a time error for an empty or invalid
   * timestamp.
   */
  rowInstant(
    stamp: unknown,
    asset: string,
    device: string | undefined,
    metric: string,
    unit: string | undefined,
  ): number {
    if (stamp === undefined || stamp === null || stamp === "") {
      throw emptyTimestamp();
    }
    const input = typeof stamp === "number" ? stamp : String(stamp);
    let instant = this.times.reused(input);
    if (Number.isNaN(instant)) {
      const series = this.series(asset, device, metric, unit);
      instant = this.times.parse(input, series);
    }
    return instant - this.shiftMs;
  }

  /** Returns the instant of a time-slot column (`HH:MM`) on a row's date. */
  slotInstant(
    stamp: unknown,
    slotTime: string,
    asset: string,
    device: string | undefined,
    metric: string,
    unit: string | undefined,
  ): number {
    if (stamp === undefined || stamp === null || stamp === "") {
      throw emptyTimestamp();
    }
    return this.slotTimes!.parse(
      `${String(stamp).trim()} ${slotTime}`,
      this.series(asset, device, metric, unit),
    );
  }

  /** Formats an instant as ISO 8601, reusing the text of the last one. */
  iso(instant: number): string {
    if (instant !== this.lastInstant) {
      this.lastInstant = instant;
      this.lastIso = new Date(instant).toISOString();
    }
    return this.lastIso;
  }

  /** Names the series of a reading for the `sequence` policy of the parser. */
  private series(
    asset: string,
    device: string | undefined,
    metric: string,
    unit: string | undefined,
  ): string {
    return this.seriesByMetric
      ? `${asset}\u001f${device ?? ""}\u001f${metric}\u001f${unit ?? ""}`
      : `${asset}\u001f${device ?? ""}`;
  }
}
