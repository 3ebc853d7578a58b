import type { TimeSeries } from "@qubit/core";
import { sameQuantity } from "../mapping/row-checks.js";
import {
  type EarlierReading,
  Repeat,
  type RepeatKind,
  SeriesHistory,
} from "../mapping/series-history.js";
import type { BodyProblem } from "./bodies.js";

/** A new reading as the history records it, taken before the pipeline converts its unit. */
export interface FreshEntry {
  key: string;
  instant: number;
  value: unknown;
  unit: string;
  place: number;
}

/** The readings of one request, sorted by {@link IngestHistory.sort}. */
export interface SortedReadings {
  /** Readings to deliver. */
  fresh: TimeSeries[];
  /** The fresh readings for {@link IngestHistory.record}. */
  entries: FreshEntry[];
  /** Readings left out because they repeat one with the same value. */
  duplicates: number;
  /** Readings that repeat one with another value, as bad rows. */
  conflicts: BodyProblem[];
}

/**
 * The readings an ingest endpoint accepted, to tell a client's repeat
 * (a retry, which is dropped as a duplicate) from a changed value (a
 * conflict, which is refused). Readings of one request are also checked
 * against each other. It keeps the recent readings of each series (see
 * {@link SeriesHistory}), so a repeat of an older reading reaches the
 * pipeline, whose de-duplication then decides.
 */
export class IngestHistory {
  private readonly accepted = new SeriesHistory();

  /**
   * Sorts the readings of one request into new ones, duplicates and
   * conflicts, without recording them. `raws` contains the rows as written,
   * by line or record number.
   */
  sort(
    readings: readonly TimeSeries[],
    raws: ReadonlyMap<number, string>,
  ): SortedReadings {
    const request = new SeriesHistory();
    const sorted: SortedReadings = {
      fresh: [],
      entries: [],
      duplicates: 0,
      conflicts: [],
    };
    for (const reading of readings) {
      const key = seriesKey(reading);
      const instant = Date.parse(reading.timestamp);
      const place = placeOf(reading);
      let verdict = this.accepted.peek(
        key,
        instant,
        reading.value,
        reading.unit,
      );
      let earlier = this.accepted.earlier;
      let where = "an accepted earlier request";
      if (verdict !== Repeat.DUPLICATE && verdict !== Repeat.CONFLICT) {
        verdict = request.check(
          key,
          instant,
          reading.value,
          reading.unit,
          place.number,
        );
        earlier = request.earlier;
        where = `${place.key} ${earlier.place} of this request`;
      }
      verdict = settle(verdict, earlier, reading);
      if (verdict === Repeat.DUPLICATE) {
        sorted.duplicates += 1;
      } else if (verdict === Repeat.CONFLICT) {
        sorted.conflicts.push(
          conflict(reading, earlier, where, place, raws.get(place.number)),
        );
      } else {
        sorted.fresh.push(reading);
        sorted.entries.push({
          key,
          instant,
          value: reading.value,
          unit: reading.unit,
          place: place.number,
        });
      }
    }
    return sorted;
  }

  /** Records the new readings of a request once the sink accepted them. */
  record(sorted: SortedReadings): void {
    for (const entry of sorted.entries) {
      this.accepted.check(
        entry.key,
        entry.instant,
        entry.value,
        entry.unit,
        entry.place,
      );
    }
  }
}

/** Turns a conflict between two spellings of one quantity into a duplicate. */
function settle(
  verdict: RepeatKind,
  earlier: Readonly<EarlierReading>,
  reading: TimeSeries,
): RepeatKind {
  return verdict === Repeat.CONFLICT && sameQuantity(earlier, reading)
    ? Repeat.DUPLICATE
    : verdict;
}

/** Returns the fields of a reading's id without its timestamp. */
function seriesKey(reading: TimeSeries): string {
  return `${reading.org_id ?? ""}\u001f${reading.site_id ?? ""}\u001f${reading.asset_id}\u001f${reading.device_id ?? ""}\u001f${reading.metric}`;
}

function placeOf(reading: TimeSeries): {
  key: "line" | "record";
  number: number;
} {
  const source = reading.source as Record<string, unknown>;
  return typeof source.line === "number"
    ? { key: "line", number: source.line }
    : { key: "record", number: Number(source.record ?? 0) };
}

function conflict(
  reading: TimeSeries,
  earlier: Readonly<EarlierReading>,
  where: string,
  place: { key: "line" | "record"; number: number },
  raw: string | undefined,
): BodyProblem {
  const show = (value: unknown, unit: string) =>
    `${typeof value === "string" ? JSON.stringify(value) : String(value)}${unit ? ` ${unit}` : ""}`;
  return {
    [place.key]: place.number,
    column: "value",
    code: "QUBIT_CSV_VALUE_CONFLICT",
    message: `Conflicting values for ${reading.asset_id} ${reading.metric} at ${reading.timestamp}: ${place.key} ${place.number} has ${show(reading.value, reading.unit)}, but ${where} has ${show(earlier.value, earlier.unit)}, which is kept`,
    raw: raw ?? JSON.stringify(reading),
  };
}
