import {
  createTimestampParser,
  TimeError,
  type TimestampParser,
} from "@qubit/core";
import type { TimeOptions } from "./row-times.js";

const REUSABLE = 1;
const SERIES_DEPENDENT = 2;

/**
 * Parses the timestamps of one input and reuses the instant of the last
 * text when the next row repeats it, as long files with many assets per
 * time step do. Under the `sequence` policy only a local time in a
 * repeated hour has an instant that depends on its series. So each new
 * text is first parsed by a second parser that rejects such a time: the
 * instant it returns is the same for every series and is reused. A text
 * it rejects goes to the `sequence` parser with its series, every time.
 * That parser therefore remembers only the instants of repeated hours,
 * which are the only ones its choice between the two passes compares.
 */
export class TimestampCache {
  private readonly parser: TimestampParser;
  private readonly unique: TimestampParser | undefined;
  private lastText: string | undefined;
  private lastInstant = 0;
  private state = REUSABLE;

  constructor(time: TimeOptions, format = time.timestamp_format) {
    this.parser = createTimestampParser({
      format,
      timezone: time.timezone,
      ambiguous: time.ambiguous_time,
      nonexistent: time.nonexistent_time,
    });
    if (time.ambiguous_time === "sequence") {
      this.unique = createTimestampParser({
        format,
        timezone: time.timezone,
        ambiguous: "reject",
        nonexistent: time.nonexistent_time,
      });
    }
  }

  /**
   * Returns the instant of the last text when `input` repeats it and the
   * instant is the same for every series, else NaN; then call `parse`.
   */
  reused(input: string | number): number {
    return input === this.lastText && this.state === REUSABLE
      ? this.lastInstant
      : Number.NaN;
  }

  /**
   * Parses a timestamp to epoch ms; `series` names its series for the
   * `sequence` policy. Throws the parser's errors.
   */
  parse(input: string | number, series: string): number {
    if (typeof input === "number") return this.parser.parse(input, series);
    if (input === this.lastText) {
      return this.state === REUSABLE
        ? this.lastInstant
        : this.parser.parse(input, series);
    }
    this.lastText = undefined;
    let instant: number;
    let state = REUSABLE;
    if (this.unique === undefined) {
      instant = this.parser.parse(input, series);
    } else {
      try {
        instant = this.unique.parse(input);
      } catch (error) {
        if (
          !(error instanceof TimeError) ||
          error.code !== "QUBIT_CORE_TIME_AMBIGUOUS"
        ) {
          throw error;
        }
        instant = this.parser.parse(input, series);
        state = SERIES_DEPENDENT;
      }
    }
    this.lastText = input;
    this.lastInstant = instant;
    this.state = state;
    return instant;
  }
}
