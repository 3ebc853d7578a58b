import {
  type ConversionResult,
  createReading,
  createTimestampParser,
  type Diagnostic,
  QUALITY_VALUES,
  type Quality,
  type ReadingSource,
  type SourceLocation,
  type TimeSeries,
  type TimestampParser,
} from "@qubit/core";
import { CsvError } from "../errors.js";
import {
  type CompiledField,
  compileField,
  type FieldSource,
} from "./fields.js";
import { intervalMs, slotFormat } from "./intervals.js";
import type { NumberFormat } from "./numbers.js";
import { emptyTimestamp, rowProblem, timeProblem } from "./row-problems.js";
import type { Mapping } from "./schema.js";
import { compileSlots, optionalField, type Slot } from "./slots.js";
import { type CellValue, createCellReader, type ValueType } from "./values.js";

/** Timestamp options of a row mapper. */
export interface TimeOptions {
  timestamp_format: string;
  timezone: string;
  ambiguous_time: "sequence" | "earlier" | "later" | "reject";
  nonexistent_time: "reject" | "shift_forward";
  timestamp_label: "start" | "end";
  interval?: string | undefined;
}

/** Options of {@link RowMapper}. */
export interface RowMapperOptions<R> {
  mapping: Mapping;
  source: FieldSource<R>;
  /** Header names in order, for values "*", time slots and header units. */
  columns?: readonly string[];
  /** Units read from a units line, by column name. */
  columnUnits?: ReadonlyMap<string, string>;
  time: TimeOptions;
  numbers: NumberFormat;
  missingValues: readonly string[];
  sentinelValues: readonly number[];
  validFlags?: readonly string[] | undefined;
  onMissing: "emit" | "skip";
  /** Name of the place key in diagnostics: `column` (CSV) or `path` (JSON). */
  placeKey: "column" | "path";
}

const QUALITIES = new Set<string>(QUALITY_VALUES);

/**
 * Turns one record (a CSV row or a JSON object) into readings, following
 * a mapping. It is compiled once per input: columns are resolved,
 * constants fixed and the timestamp parser built, so converting a row
 * costs lookups and number parsing only. Problems that concern the whole
 * input (an unknown unit, a column without unit) are collected once in
 * `inputDiagnostics`, for the caller to report with the first row.
 */
export class RowMapper<R> {
  readonly inputDiagnostics: Diagnostic[] = [];
  private readonly timestamp: CompiledField<R>;
  private readonly asset: CompiledField<R>;
  private readonly site: CompiledField<R> | undefined;
  private readonly org: CompiledField<R> | undefined;
  private readonly device: CompiledField<R> | undefined;
  private readonly quality: CompiledField<R> | undefined;
  private readonly multiplierColumn: CompiledField<R> | undefined;
  private readonly slots: Slot<R>[];
  private readonly parser: TimestampParser;
  private readonly slotParser: TimestampParser | undefined;
  private readonly shiftMs: number;
  private readonly readCell: (cell: unknown, type: ValueType) => CellValue;
  private readonly onMissing: "emit" | "skip";
  private readonly placeKey: "column" | "path";
  private readonly seriesByMetric: boolean;
  private readonly seenQualities = new Set<string>();
  private lastInstant = Number.NaN;
  private lastIso = "";
  private readonly parseNumber: (cell: unknown) => CellValue;

  constructor(options: RowMapperOptions<R>) {
    const { mapping, source, time } = options;
    this.placeKey = options.placeKey;
    this.onMissing = options.onMissing;
    this.timestamp = compileField(mapping.timestamp, "timestamp", source);
    this.asset = compileField(mapping.asset_id, "asset_id", source);
    this.site = optionalField(mapping.site_id, "site_id", source);
    this.org = optionalField(mapping.org_id, "org_id", source);
    this.device = optionalField(mapping.device_id, "device_id", source);
    this.quality = optionalField(mapping.quality, "quality", source);
    this.multiplierColumn =
      mapping.multiplier_column === undefined
        ? undefined
        : compileField(mapping.multiplier_column, "multiplier_column", source);
    this.readCell = createCellReader({
      numbers: options.numbers,
      missingValues: options.missingValues,
      sentinelValues: options.sentinelValues,
      ...(options.validFlags ? { validFlags: options.validFlags } : {}),
    });
    const reader = this.readCell;
    this.parseNumber = (cell) => reader(cell, "number");

    this.parser = createTimestampParser({
      format: time.timestamp_format,
      timezone: time.timezone,
      ambiguous: time.ambiguous_time,
      nonexistent: time.nonexistent_time,
    });
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
    this.shiftMs =
      time.timestamp_label === "end" ? intervalMs(time.interval!) : 0;
    if (mapping.time_slots) {
      this.slotParser = createTimestampParser({
        format: slotFormat(time.timestamp_format),
        timezone: time.timezone,
        ambiguous: time.ambiguous_time,
        nonexistent: time.nonexistent_time,
      });
    }
    this.slots = compileSlots(options, this.inputDiagnostics);
    this.seriesByMetric = this.slots.some(
      (slot) =>
        slot.metric.constant === undefined ||
        (slot.unit !== undefined && slot.unit.constant === undefined),
    );
  }

  /** Names of the value columns (or paths), in order. */
  get valueColumns(): string[] {
    return this.slots.map((slot) => slot.name);
  }

  /**
   * Converts one record. `place` is the record's location (file and
   * line, or url and record index); `source` is shared by its readings.
   */
  convert(
    record: R,
    place: SourceLocation,
    source: ReadingSource,
  ): ConversionResult {
    const result: ConversionResult = {
      readings: [],
      rejects: [],
      diagnostics: [],
    };
    const asset = text(this.asset.get(record));
    if (asset === undefined) {
      result.rejects.push(
        rowProblem(
          this.placeKey,
          "QUBIT_CSV_FIELD_MISSING",
          "asset_id is empty",
          place,
          this.asset,
          "asset_id",
          undefined,
        ),
      );
      return result;
    }
    const stamp = this.timestamp.get(record);
    const site = this.site ? text(this.site.get(record)) : undefined;
    const org = this.org ? text(this.org.get(record)) : undefined;
    const device = this.device ? text(this.device.get(record)) : undefined;
    const quality = this.quality
      ? this.readQuality(record, result, place)
      : undefined;
    let multiplier = 1;
    if (this.multiplierColumn) {
      const cell = this.parseNumber(this.multiplierColumn.get(record));
      if (cell.kind !== "value") {
        result.rejects.push(
          rowProblem(
            this.placeKey,
            "QUBIT_CSV_VALUE_INVALID",
            `multiplier_column: expected a number`,
            place,
            this.multiplierColumn,
            "multiplier_column",
            this.multiplierColumn.get(record),
          ),
        );
        return result;
      }
      multiplier = cell.value as number;
    }

    let rowTime: number | undefined;
    for (const slot of this.slots) {
      const slotAsset = slot.asset
        ? (text(slot.asset.get(record)) ?? asset)
        : asset;
      const slotDevice = slot.device
        ? (text(slot.device.get(record)) ?? device)
        : device;
      const metric = text(slot.metric.get(record));
      if (metric === undefined) {
        result.rejects.push(
          rowProblem(
            this.placeKey,
            "QUBIT_CSV_FIELD_MISSING",
            "metric is empty",
            place,
            slot.metric,
            "metric",
            undefined,
          ),
        );
        continue;
      }
      const unit = slot.unit ? text(slot.unit.get(record)) : undefined;
      const cellText = slot.get(record);
      const cell = this.readCell(cellText, slot.type);
      if (cell.kind === "missing" && this.onMissing === "skip") continue;
      if (cell.kind === "invalid") {
        result.rejects.push({
          code: "QUBIT_CSV_VALUE_INVALID",
          message: `Invalid value ${JSON.stringify(cellText)} in ${this.placeKey} ${JSON.stringify(slot.name)}: expected ${cell.expected}`,
          location: this.cellPlace(place, slot),
          value: cellText,
          fix: "check decimal_separator, thousands_separator and missing_values, or the mapping of this column",
        });
        continue;
      }

      let instant: number;
      const series = this.seriesByMetric
        ? `${slotAsset}\u001f${slotDevice ?? ""}\u001f${metric}\u001f${unit ?? ""}`
        : `${slotAsset}\u001f${slotDevice ?? ""}`;
      try {
        if (slot.slotTime !== undefined) {
          if (stamp === undefined || stamp === null || stamp === "")
            throw emptyTimestamp();
          instant = this.slotParser!.parse(
            `${String(stamp).trim()} ${slot.slotTime}`,
            series,
          );
        } else {
          if (
            rowTime === undefined ||
            this.seriesByMetric ||
            slot.asset ||
            slot.device
          ) {
            rowTime = this.parseTime(stamp, series);
          }
          instant = rowTime;
        }
      } catch (error) {
        result.rejects.push(
          timeProblem(
            error,
            stamp,
            place,
            this.timestamp.columns,
            this.placeKey,
          ),
        );
        if (slot.slotTime === undefined) return result;
        continue;
      }

      const reading = this.build(cell, slot, multiplier, {
        asset,
        slotAsset,
        metric,
        unit,
        instant,
        site,
        org,
        device: slotDevice,
        quality,
        source,
      });
      if (cell.kind === "flagged") {
        result.diagnostics.push({
          code: "QUBIT_CSV_VALUE_FLAGGED",
          message: `Value ${cell.value} in ${this.placeKey} ${JSON.stringify(slot.name)} has flag ${JSON.stringify(cell.flag)}, which is not a valid flag; the reading has quality error`,
          location: this.cellPlace(place, slot),
          value: cellText,
          fix: "add the flag to value_flags.valid if it marks a valid value",
        });
      }
      result.readings.push(reading);
    }
    return result;
  }

  /**
   * Formats an instant as ISO 8601, reusing the last result: rows of many
   * assets or value columns share one timestamp.
   */
  private isoOf(instant: number): string {
    if (instant !== this.lastInstant) {
      this.lastInstant = instant;
      this.lastIso = new Date(instant).toISOString();
    }
    return this.lastIso;
  }

  private parseTime(stamp: unknown, series: string): number {
    if (stamp === undefined || stamp === null || stamp === "") {
      throw emptyTimestamp();
    }
    const input = typeof stamp === "number" ? stamp : String(stamp);
    return this.parser.parse(input, series) - this.shiftMs;
  }

  private build(
    cell: CellValue,
    slot: Slot<R>,
    multiplier: number,
    fields: {
      asset: string;
      slotAsset: string;
      metric: string;
      unit: string | undefined;
      instant: number;
      site: string | undefined;
      org: string | undefined;
      device: string | undefined;
      quality: Quality | undefined;
      source: ReadingSource;
    },
  ): TimeSeries {
    let value: number | boolean | string | null = null;
    let quality = fields.quality;
    let metadata: Record<string, unknown> | undefined;
    if (cell.kind === "value") {
      value = cell.value;
      if (typeof value === "number") {
        const factor = slot.multiplier * multiplier;
        if (factor !== 1) value = Number((value * factor).toPrecision(15));
      }
    } else if (cell.kind === "missing") {
      quality = "missing";
      metadata = { quality_reason: cell.reason };
    } else if (cell.kind === "flagged") {
      quality = "error";
      metadata = {
        quality_reason: `value flag ${JSON.stringify((cell as { flag: string }).flag)} is not valid`,
        flagged_value: (cell as { value: number }).value,
      };
    }
    return createReading({
      asset_id: fields.slotAsset,
      metric: fields.metric,
      value,
      unit: fields.unit,
      timestamp: this.isoOf(fields.instant),
      org_id: fields.org,
      site_id: fields.site,
      device_id: fields.device,
      quality: quality ?? "measured",
      source: fields.source,
      metadata,
    });
  }

  private readQuality(
    record: R,
    result: ConversionResult,
    place: SourceLocation,
  ): Quality | undefined {
    const raw = text(this.quality!.get(record));
    if (raw === undefined) return undefined;
    if (QUALITIES.has(raw)) return raw as Quality;
    if (!this.seenQualities.has(raw)) {
      this.seenQualities.add(raw);
      result.diagnostics.push({
        code: "QUBIT_CSV_MAPPING_INVALID",
        message: `Quality ${JSON.stringify(raw)} is not one of ${QUALITY_VALUES.join(", ")}; readings keep quality measured`,
        location: place,
        value: raw,
        fix: 'map it with {"column": ..., "map": {"...": "validated"}}',
      });
    }
    return undefined;
  }

  private cellPlace(place: SourceLocation, slot: Slot<R>): SourceLocation {
    const location: SourceLocation = { ...place, [this.placeKey]: slot.name };
    if (slot.columnNumber !== undefined)
      location.column_number = slot.columnNumber;
    return location;
  }
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const result = typeof value === "string" ? value.trim() : String(value);
  return result === "" ? undefined : result;
}
