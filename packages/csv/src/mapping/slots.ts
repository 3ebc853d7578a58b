import { type Diagnostic, isKnownUnit } from "@qubit/core";
import { CsvError } from "../errors.js";
import {
  type CompiledField,
  compileField,
  type FieldGetter,
  type FieldSource,
  fieldColumns,
} from "./fields.js";
import { parseHeaderName, TIME_SLOT_PATTERN } from "./header.js";
import type { FieldSpec, Mapping, ValueColumn } from "./schema.js";
import type { ValueType } from "./values.js";

/** One value column (or JSON path) of a mapping, compiled. */
export interface Slot<R> {
  name: string;
  columnNumber: number | undefined;
  get: FieldGetter<R>;
  metric: CompiledField<R>;
  unit: CompiledField<R> | undefined;
  asset: CompiledField<R> | undefined;
  device: CompiledField<R> | undefined;
  multiplier: number;
  type: ValueType;
  /** Time of day of a time-slot column, `HH:MM`. */
  slotTime?: string;
}

/** Options of {@link compileSlots}, a part of the row mapper's options. */
export interface SlotOptions<R> {
  mapping: Mapping;
  source: FieldSource<R>;
  columns?: readonly string[] | undefined;
  columnUnits?: ReadonlyMap<string, string> | undefined;
  placeKey: "column" | "path";
}

/**
 * Compiles the value columns of a mapping: `value`, `values` or the
 * time-slot columns, each with its metric, unit and multiplier. Problems
 * of the whole input (a column without unit, an unknown unit) are added
 * to `diagnostics`. Throws when the mapping has no value.
 */
export function compileSlots<R>(
  options: SlotOptions<R>,
  diagnostics: Diagnostic[],
): Slot<R>[] {
  const { mapping, source } = options;
  const columns = options.columns ?? [];
  const unit = optionalField(mapping.unit, "unit", source, {
    unitConstant: true,
  });
  const metric = optionalField(mapping.metric, "metric", source);
  const globalMultiplier = mapping.multiplier ?? 1;
  const slots: Slot<R>[] = [];

  const slotFor = (
    name: string,
    options2: ValueColumn,
    fallbackMetric?: CompiledField<R>,
  ): Slot<R> => {
    const header = parseHeaderName(name);
    const slotUnit =
      options2.unit !== undefined
        ? constantField<R>(options2.unit)
        : (unit ??
          constantUnit<R>(options.columnUnits?.get(name) ?? header.unit));
    const slotMetric =
      options2.metric !== undefined
        ? constantField<R>(options2.metric)
        : (fallbackMetric ??
          constantField<R>(
            header.metric ||
              (source.paths
                ? lastSegment(name)
                : `column_${columns.indexOf(name) + 1}`),
          ));
    const index = columns.indexOf(name);
    const slot: Slot<R> = {
      name,
      columnNumber: index >= 0 ? index + 1 : undefined,
      get: source.getter(name, `values.${name}`),
      metric: slotMetric,
      unit: slotUnit,
      asset: optionalField(
        options2.asset_id,
        `values.${name}.asset_id`,
        source,
      ),
      device: optionalField(
        options2.device_id,
        `values.${name}.device_id`,
        source,
      ),
      multiplier: globalMultiplier * (options2.multiplier ?? 1),
      type: options2.type ?? "number",
    };
    checkUnit(slot, name, options.placeKey, diagnostics);
    return slot;
  };

  if (mapping.time_slots) {
    for (const name of columns) {
      const match = TIME_SLOT_PATTERN.exec(name.trim());
      if (!match) continue;
      const slot = slotFor(name, {}, metric ?? constantField<R>("value"));
      slot.slotTime = `${match[1]!.padStart(2, "0")}:${match[2]}`;
      slots.push(slot);
    }
    if (slots.length === 0) {
      throw new CsvError(
        "QUBIT_CSV_MAPPING_INVALID",
        "mapping.time_slots is true, but no column is named HH:MM or HH:MM-HH:MM",
        {
          value: columns,
          location: { field: "mapping.time_slots" },
          fix: "set time_slots to false and map value or values",
        },
      );
    }
    return slots;
  }
  if (mapping.value !== undefined) {
    const value = compileField(mapping.value, "value", source);
    const name = value.columns[0] ?? "value";
    const slot = slotFor(name, {}, metric);
    slot.get = value.get;
    slots.push(slot);
  }
  if (mapping.values !== undefined) {
    for (const [name, spec] of valueEntries(mapping, columns, source.paths)) {
      slots.push(slotFor(name, spec));
    }
  }
  if (slots.length === 0) {
    throw new CsvError(
      "QUBIT_CSV_MAPPING_INVALID",
      "mapping has no value: set value, values or time_slots",
      {
        location: { field: "mapping" },
        fix: 'add "value": "<column>" or "values": "*"',
      },
    );
  }
  return slots;
}

function valueEntries(
  mapping: Mapping,
  columns: readonly string[],
  paths: boolean,
): [string, ValueColumn][] {
  const values = mapping.values!;
  if (values === "*") {
    if (paths) {
      throw new CsvError(
        "QUBIT_CSV_MAPPING_INVALID",
        'values "*" needs a header; JSON records need their value paths listed',
        {
          location: { field: "mapping.values" },
          fix: 'list the paths: "values": {"a.b": "metric"}',
        },
      );
    }
    const used = new Set<string>([...usedColumns(mapping), ...mapping.exclude]);
    return columns
      .filter((name) => name !== "" && !used.has(name))
      .map((name) => [name, {}]);
  }
  if (Array.isArray(values)) return values.map((name) => [name, {}]);
  return Object.entries(values).map(([name, spec]) => [
    name,
    typeof spec === "string" ? { metric: spec } : spec,
  ]);
}

function checkUnit<R>(
  slot: Slot<R>,
  name: string,
  placeKey: "column" | "path",
  diagnostics: Diagnostic[],
): void {
  const unit = slot.unit;
  if (unit === undefined && slot.type === "number") {
    diagnostics.push({
      code: "QUBIT_CSV_UNIT_MISSING",
      message: `${placeKey} ${JSON.stringify(name)} has no unit in the mapping, the header or a units line; its readings have an empty unit`,
      location: { [placeKey]: name },
      fix: 'set "unit" in the mapping or in values',
    });
    return;
  }
  if (unit?.constant !== undefined && !isKnownUnit(String(unit.constant))) {
    diagnostics.push({
      code: "QUBIT_CSV_UNIT_UNKNOWN",
      message: `Unit ${JSON.stringify(unit.constant)} of ${placeKey} ${JSON.stringify(name)} is not in the unit table; readings keep it as written and are not converted`,
      location: { [placeKey]: name },
      value: unit.constant,
      fix: "use a unit spelling such as W, kWh, V, A, celsius or percent",
    });
  }
}

/** Compiles an optional mapping field. */
export function optionalField<R>(
  spec: FieldSpec | undefined,
  field: string,
  source: FieldSource<R>,
  options: { unitConstant?: boolean } = {},
): CompiledField<R> | undefined {
  return spec === undefined
    ? undefined
    : compileField(spec, field, source, options);
}

export function constantField<R>(value: string): CompiledField<R> {
  return { get: () => value, constant: value, columns: [] };
}

function constantUnit<R>(
  unit: string | undefined,
): CompiledField<R> | undefined {
  return unit === undefined ? undefined : constantField<R>(unit);
}

function lastSegment(path: string): string {
  const parts = path
    .replace(/\[\d+\]/g, (match) => `.${match.slice(1, -1)}`)
    .split(".");
  return (
    parts.filter((part) => part !== "" && part !== "$").join("_") || "value"
  );
}

/** Columns a mapping reads besides its value columns. */
export function usedColumns(mapping: Mapping): string[] {
  const specs = [
    mapping.timestamp,
    mapping.asset_id,
    mapping.metric,
    mapping.unit,
    mapping.site_id,
    mapping.org_id,
    mapping.device_id,
    mapping.quality,
    mapping.value,
  ];
  const names = specs.flatMap((spec) => fieldColumns(spec));
  if (mapping.multiplier_column) names.push(mapping.multiplier_column);
  return names;
}
