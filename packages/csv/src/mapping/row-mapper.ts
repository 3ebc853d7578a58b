import type {
  ConversionResult,
  Diagnostic,
  ReadingSource,
  SourceLocation,
} from "@qubit/core";
import { buildReading } from "./build-reading.js";
import {
  type CompiledField,
  compileField,
  type FieldSource,
  fieldText,
} from "./fields.js";
import type { NumberFormat } from "./numbers.js";
import { QualityColumn } from "./quality-column.js";
import { cellPlace, RowChecks } from "./row-checks.js";
import { rowProblem, timeProblem } from "./row-problems.js";
import { RowTimes, type TimeOptions } from "./row-times.js";
import type { Mapping } from "./schema.js";
import { compileSlots, optionalField, type Slot } from "./slots.js";

export type { TimeOptions } from "./row-times.js";

import { type CellValue, createCellReader, type ValueType } from "./values.js";

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
  /**
   * Whether the mapper drops repeated readings of a series and rejects
   * conflicting ones itself; default true. The ingest endpoint checks
   * repeats across requests instead.
   */
  checkRepeats?: boolean;
}

/**
 * Turns one record (a CSV row or a JSON object) into readings, following
 * a mapping. It is compiled once per input: columns are resolved,
 * constants fixed and the timestamp parser built, so converting a row
 * costs lookups and number parsing only. Problems that concern the whole
 * input (an unknown unit, a column without unit) are collected once in
 * `inputDiagnostics`, for the caller to report with the first row. The
 * mapper also checks the rows against each other (see {@link RowChecks}):
 * it drops a reading that repeats one with the same value and rejects
 * one that repeats it with another value.
 */
export class RowMapper<R> {
  readonly inputDiagnostics: Diagnostic[] = [];
  private readonly timestamp: CompiledField<R>;
  private readonly asset: CompiledField<R>;
  private readonly site: CompiledField<R> | undefined;
  private readonly org: CompiledField<R> | undefined;
  private readonly device: CompiledField<R> | undefined;
  private readonly quality: QualityColumn<R> | undefined;
  private readonly multiplierColumn: CompiledField<R> | undefined;
  private readonly slots: Slot<R>[];
  /** Per slot: the number of the slots with its metric, for the repeat check. */
  private readonly slotGroups: number[];
  private readonly times: RowTimes;
  private readonly readCell: (cell: unknown, type: ValueType) => CellValue;
  private readonly onMissing: "emit" | "skip";
  private readonly placeKey: "column" | "path";
  private readonly seriesByMetric: boolean;
  /** Whether site_id or org_id may change from row to row. */
  private readonly placeVaries: boolean;
  private readonly checks: RowChecks;
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
    const quality = optionalField(mapping.quality, "quality", source);
    this.quality = quality ? new QualityColumn(quality) : undefined;
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
    this.checks = new RowChecks({
      sentinelValues: options.sentinelValues,
      ambiguousTime: time.ambiguous_time,
      timezone: time.timezone,
      repeats: options.checkRepeats ?? true,
      placeKey: options.placeKey,
    });

    this.slots = compileSlots(options, this.inputDiagnostics);
    this.seriesByMetric = this.slots.some(
      (slot) =>
        slot.metric.constant === undefined ||
        (slot.unit !== undefined && slot.unit.constant === undefined),
    );
    this.times = new RowTimes(time, mapping.time_slots, this.seriesByMetric);
    // Slots with one constant metric write to one series per asset, so
    // the repeat check keeps their series apart by a group number. With
    // metrics from a column, the series key names the metric instead.
    const metrics = this.slots.map((slot) => String(slot.metric.constant));
    this.slotGroups = metrics.map((metric) =>
      this.seriesByMetric ? 0 : metrics.indexOf(metric),
    );
    this.placeVaries =
      (this.site !== undefined && this.site.constant === undefined) ||
      (this.org !== undefined && this.org.constant === undefined);
  }

  /** Names of the value columns (or paths), in order. */
  get valueColumns(): string[] {
    return this.slots.map((slot) => slot.name);
  }

  /** Readings left out because they repeat a reading with the same value. */
  get duplicates(): number {
    return this.checks.duplicates;
  }

  /** Readings rejected because they repeat a reading with another value. */
  get conflicts(): number {
    return this.checks.conflicts;
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
    const asset = fieldText(this.asset.get(record));
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
    const site = this.site ? fieldText(this.site.get(record)) : undefined;
    const org = this.org ? fieldText(this.org.get(record)) : undefined;
    const device = this.device ? fieldText(this.device.get(record)) : undefined;
    const quality = this.quality
      ? this.quality.read(record, result, place)
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
    const slots = this.slots;
    for (let index = 0; index < slots.length; index += 1) {
      const slot = slots[index]!;
      const slotAsset = slot.asset
        ? (fieldText(slot.asset.get(record)) ?? asset)
        : asset;
      const slotDevice = slot.device
        ? (fieldText(slot.device.get(record)) ?? device)
        : device;
      const metric = fieldText(slot.metric.get(record));
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
      const unit = slot.unit ? fieldText(slot.unit.get(record)) : undefined;
      const cellText = slot.get(record);
      const cell = this.readCell(cellText, slot.type);
      if (cell.kind === "missing" && this.onMissing === "skip") continue;
      if (cell.kind === "invalid") {
        result.rejects.push({
          code: "QUBIT_CSV_VALUE_INVALID",
          message: `Invalid value ${JSON.stringify(cellText)} in ${this.placeKey} ${JSON.stringify(slot.name)}: expected ${cell.expected}`,
          location: cellPlace(place, slot, this.placeKey),
          value: cellText,
          fix: "check decimal_separator, thousands_separator and missing_values, or the mapping of this column",
        });
        continue;
      }
      if (
        cell.kind === "value" &&
        this.checks.watchesSentinels &&
        typeof cell.value === "number" &&
        cell.value <= -999
      ) {
        this.checks.sentinel(cell.value, cellText, slot, place, result);
      }

      let instant: number;
      try {
        if (slot.slotTime !== undefined) {
          instant = this.times.slotInstant(
            stamp,
            slot.slotTime,
            slotAsset,
            slotDevice,
            metric,
            unit,
          );
        } else {
          if (
            rowTime === undefined ||
            this.seriesByMetric ||
            slot.asset ||
            slot.device
          ) {
            rowTime = this.times.rowInstant(
              stamp,
              slotAsset,
              slotDevice,
              metric,
              unit,
            );
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

      const reading = buildReading(cell, slot.multiplier * multiplier, {
        asset: slotAsset,
        metric,
        unit,
        timestamp: this.times.iso(instant),
        site,
        org,
        device: slotDevice,
        quality,
        source,
      });
      if (
        !this.checks.keep(
          reading,
          this.slotGroups[index]!,
          this.seriesKey(slotAsset, slotDevice, metric, site, org),
          instant,
          slot,
          place,
          result,
        )
      ) {
        continue;
      }
      if (cell.kind === "flagged") {
        result.diagnostics.push({
          code: "QUBIT_CSV_VALUE_FLAGGED",
          message: `Value ${cell.value} in ${this.placeKey} ${JSON.stringify(slot.name)} has flag ${JSON.stringify(cell.flag)}, which is not a valid flag; the reading has quality error`,
          location: cellPlace(place, slot, this.placeKey),
          value: cellText,
          fix: "add the flag to value_flags.valid if it marks a valid value",
        });
      }
      result.readings.push(reading);
    }
    return result;
  }

  /**
   * Returns the fields of a reading's id other than the timestamp and
   * the metric of its slot group: in most files the asset id alone. The
   * unit is not one of them.
   */
  private seriesKey(
    asset: string,
    device: string | undefined,
    metric: string,
    site: string | undefined,
    org: string | undefined,
  ): string {
    let key = device === undefined ? asset : `${asset}\u001f${device}`;
    if (this.seriesByMetric) key += `\u001f\u001f${metric}`;
    if (this.placeVaries) key += `\u001f${site ?? ""}\u001f${org ?? ""}`;
    return key;
  }
}
