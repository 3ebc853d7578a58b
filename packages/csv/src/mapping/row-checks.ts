import {
  type ConversionResult,
  type SourceLocation,
  type TimeSeries,
  toBaseUnit,
} from "@qubit/core";
import { Repeat, type RepeatKind, SeriesHistory } from "./series-history.js";

/**
 * Numbers that loggers and portals write for "no value". A value equal to
 * one of them in an input without `sentinel_values` gets a warning.
 */
export const COMMON_SENTINELS: ReadonlySet<number> = new Set([
  -999, -9999, -99999,
]);

/** Options of {@link RowChecks}. */
export interface RowCheckOptions {
  /** Numbers the user declared as "no value"; an empty list arms the sentinel warning. */
  sentinelValues: readonly number[];
  /** The ambiguous-time policy and zone, for the out-of-order warning. */
  ambiguousTime: string;
  timezone: string;
  /** Checks repeated readings of a series; off for inputs checked elsewhere. */
  repeats: boolean;
  /** Name of the place key in diagnostics: `column` (CSV) or `path` (JSON). */
  placeKey: "column" | "path";
}

/** The value column of a reading, for the place of a diagnostic. */
export interface CheckedColumn {
  name: string;
  columnNumber: number | undefined;
}

// Zones with a fixed offset have no repeated hour, so the order of the
// rows cannot change a resolved time there.
const FIXED_OFFSET_ZONE = /^(UTC|GMT|Z|Etc\/.*|[+-]\d{2}:?\d{2})$/i;

/**
 * The checks a row mapper runs across the rows of one input. A repeated
 * reading of a series is dropped and counted when its value is the same,
 * and rejected as a conflict when it is not. A series that goes back in
 * time under the `sequence` policy gets a warning, and so does a value
 * equal to a common sentinel such as -9999 when no `sentinel_values` are
 * set. Each warning is given once per input (the sentinel one once per
 * column), so a large file does not repeat it on every row.
 */
export class RowChecks {
  /** Readings dropped because they repeat a reading with the same value. */
  duplicates = 0;
  /** Readings rejected because they repeat a reading with another value. */
  conflicts = 0;
  /** Whether value cells are compared with the common sentinels. */
  readonly watchesSentinels: boolean;
  /** One history per group of value columns; see {@link keep}. */
  private readonly histories: SeriesHistory[] | undefined;
  private readonly warnsOutOfOrder: boolean;
  private readonly placeKey: "column" | "path";
  private readonly sentinelColumns = new Set<string>();
  private outOfOrderWarned = false;

  constructor(options: RowCheckOptions) {
    this.watchesSentinels = options.sentinelValues.length === 0;
    this.histories = options.repeats ? [] : undefined;
    this.warnsOutOfOrder =
      options.ambiguousTime === "sequence" &&
      !FIXED_OFFSET_ZONE.test(options.timezone.trim());
    this.placeKey = options.placeKey;
  }

  /** Warns once per column about a value that is a common sentinel. */
  sentinel(
    value: number,
    cellText: unknown,
    column: CheckedColumn,
    place: SourceLocation,
    result: ConversionResult,
  ): void {
    if (!COMMON_SENTINELS.has(value)) return;
    if (this.sentinelColumns.has(column.name)) return;
    this.sentinelColumns.add(column.name);
    result.diagnostics.push({
      code: "QUBIT_CSV_VALUE_SENTINEL",
      message: `Value ${value} in ${this.placeKey} ${JSON.stringify(column.name)} is a common missing-value sentinel, but sentinel_values is empty, so it is kept as a measured number (reported once per ${this.placeKey})`,
      location: cellPlace(place, column, this.placeKey),
      value: cellText,
      fix: `if ${value} means "no value" here, set "sentinel_values": [${value}]; such cells then give quality missing`,
    });
  }

  /**
   * Checks a reading against the recent readings of its series. Returns
   * false when the reading must not be kept: a duplicate (counted) or a
   * conflict (added to the rejects). A series that goes back in time is
   * warned about once. `group` numbers the value columns that share a
   * metric, and `seriesKey` distinguishes the series of a group.
   */
  keep(
    reading: TimeSeries,
    group: number,
    seriesKey: string,
    instant: number,
    column: CheckedColumn,
    place: SourceLocation,
    result: ConversionResult,
  ): boolean {
    const histories = this.histories;
    if (histories === undefined) return true;
    let history = histories[group];
    if (history === undefined) {
      history = new SeriesHistory();
      histories[group] = history;
    }
    const position = placeNumber(place);
    let verdict: RepeatKind = history.check(
      seriesKey,
      instant,
      reading.value,
      reading.unit,
      position,
    );
    if (verdict === Repeat.NEW) return true;
    const earlier = history.earlier;
    if (verdict === Repeat.CONFLICT && sameQuantity(earlier, reading)) {
      verdict = Repeat.DUPLICATE;
    }
    if (verdict === Repeat.DUPLICATE) {
      this.duplicates += 1;
      return false;
    }
    if (verdict === Repeat.CONFLICT) {
      this.conflicts += 1;
      result.rejects.push(
        this.conflict(reading, earlier, column, place, position),
      );
      return false;
    }
    if (this.warnsOutOfOrder && !this.outOfOrderWarned) {
      this.outOfOrderWarned = true;
      result.diagnostics.push(this.outOfOrder(reading, earlier, place));
    }
    return true;
  }

  private conflict(
    reading: TimeSeries,
    earlier: { value: unknown; unit: string; place: number },
    column: CheckedColumn,
    place: SourceLocation,
    position: number,
  ) {
    const where = placeLabel(place);
    return {
      code: "QUBIT_CSV_VALUE_CONFLICT",
      message: `Conflicting values for ${reading.asset_id} ${reading.metric} at ${reading.timestamp}: ${where} ${position} has ${formatValue(reading.value, reading.unit)}, but ${where} ${earlier.place} has ${formatValue(earlier.value, earlier.unit)}; the reading of ${where} ${earlier.place} is kept`,
      location: cellPlace(place, column, this.placeKey),
      value: { value: reading.value, earlier_value: earlier.value },
      fix: "correct or remove one of the two rows; if both are right, map the column that tells them apart (such as device_id or metric), so that each reading gets its own id",
    };
  }

  private outOfOrder(
    reading: TimeSeries,
    earlier: { instant: number; place: number },
    place: SourceLocation,
  ) {
    const where = placeLabel(place);
    return {
      code: "QUBIT_CSV_TIMESTAMP_OUT_OF_ORDER",
      message: `Series ${reading.asset_id} ${reading.metric} goes back in time: ${where} ${placeNumber(place)} has ${reading.timestamp}, after ${new Date(earlier.instant).toISOString()} on ${where} ${earlier.place}. ambiguous_time "sequence" tells the two passes of a repeated daylight-saving hour apart by row order, so times in such an hour may be one hour off (reported once per input)`,
      location: place,
      value: reading.timestamp,
      fix: 'sort the rows of each series by time, or set ambiguous_time to "earlier" or "later", or use timestamps with a UTC offset',
    };
  }
}

/** Returns whether two readings with different unit spellings have the same quantity. */
export function sameQuantity(
  earlier: { value: unknown; unit: string },
  reading: TimeSeries,
): boolean {
  if (earlier.unit === reading.unit) return false;
  if (typeof earlier.value !== "number" || typeof reading.value !== "number")
    return false;
  const first = toBaseUnit(earlier.value, earlier.unit);
  const second = toBaseUnit(reading.value, reading.unit);
  return first.unit === second.unit && first.value === second.value;
}

function formatValue(value: unknown, unit: string): string {
  const text = typeof value === "string" ? JSON.stringify(value) : `${value}`;
  return unit === "" ? text : `${text} ${unit}`;
}

/** Returns the line of a place, else its record number, else 0. */
function placeNumber(place: SourceLocation): number {
  const number = place.line ?? place.record;
  return typeof number === "number" ? number : 0;
}

function placeLabel(place: SourceLocation): string {
  return place.line === undefined ? "record" : "line";
}

/** Returns the place of a cell: the row's place with its column. */
export function cellPlace(
  place: SourceLocation,
  column: CheckedColumn,
  placeKey: "column" | "path",
): SourceLocation {
  const location: SourceLocation = { ...place, [placeKey]: column.name };
  if (column.columnNumber !== undefined)
    location.column_number = column.columnNumber;
  return location;
}
