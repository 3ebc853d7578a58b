import { isKnownUnit } from "@qubit/core";
import { CsvError } from "../errors.js";
import type { FieldSpec } from "./schema.js";

/** Reads one field from a record; `undefined` when it is absent. */
export type FieldGetter<R> = (record: R) => unknown;

/**
 * Lookup of named fields in one kind of record: by header column in CSV
 * rows, by JSON path in JSON records. `getter` throws a
 * `ColumnNotFoundError` (CSV) for a name that does not exist.
 */
export interface FieldSource<R> {
  getter(name: string, field: string): FieldGetter<R>;
  /** Whether `name` exists (a column of the header; always true for JSON). */
  has(name: string): boolean;
  /** Whether bare strings are JSON paths rather than columns. */
  readonly paths: boolean;
}

/** A compiled field: its getter, and its value when it is a constant. */
export interface CompiledField<R> {
  get: FieldGetter<R>;
  constant?: string | number;
  /** Columns (or paths) the field reads. */
  columns: string[];
}

/** Options of {@link compileField}. */
export interface CompileFieldOptions {
  /** A bare string that is no column but a known unit is a constant. */
  unitConstant?: boolean;
}

/**
 * Compiles a mapping field into a getter. Throws for a column that the
 * source does not have, with the list of columns.
 */
export function compileField<R>(
  spec: FieldSpec,
  field: string,
  source: FieldSource<R>,
  options: CompileFieldOptions = {},
): CompiledField<R> {
  if (typeof spec === "string") {
    const column = source.paths ? spec.startsWith("$") : source.has(spec);
    if (options.unitConstant && !column && isKnownUnit(spec)) {
      return constant(spec);
    }
    return { get: source.getter(spec, field), columns: [spec] };
  }
  if (Array.isArray(spec)) {
    return joinColumns(spec, " ", undefined, field, source);
  }
  if ("const" in spec) return constant(spec.const);
  if ("template" in spec) return compileTemplate(spec.template, field, source);
  if ("columns" in spec) {
    return joinColumns(
      spec.columns,
      spec.separator ?? " ",
      spec.pattern,
      field,
      source,
    );
  }
  const name = "column" in spec ? spec.column : spec.path;
  const getter = source.getter(name, field);
  const get = withMap(withPattern(getter, spec.pattern, field), spec.map);
  return { get, columns: [name] };
}

function constant<R>(value: string | number): CompiledField<R> {
  return { get: () => value, constant: value, columns: [] };
}

function joinColumns<R>(
  names: readonly string[],
  separator: string,
  pattern: string | undefined,
  field: string,
  source: FieldSource<R>,
): CompiledField<R> {
  const getters = names.map((name) => source.getter(name, field));
  const joined: FieldGetter<R> =
    getters.length === 1
      ? getters[0]!
      : (record) => {
          const parts: string[] = [];
          for (const getter of getters) {
            const value = getter(record);
            if (value === undefined || value === null || value === "") continue;
            parts.push(String(value));
          }
          return parts.length === 0 ? undefined : parts.join(separator);
        };
  return { get: withPattern(joined, pattern, field), columns: [...names] };
}

function withPattern<R>(
  getter: FieldGetter<R>,
  pattern: string | undefined,
  field: string,
): FieldGetter<R> {
  if (pattern === undefined) return getter;
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    throw new CsvError(
      "QUBIT_CSV_MAPPING_INVALID",
      `mapping.${field}.pattern is not a valid regular expression: ${(error as Error).message}`,
      {
        value: pattern,
        location: { field: `mapping.${field}.pattern` },
        fix: "write a JavaScript regular expression; its first group is used",
      },
    );
  }
  return (record) => {
    const value = getter(record);
    if (value === undefined || value === null) return undefined;
    const match = regex.exec(String(value));
    if (!match) return undefined;
    return match[1] ?? match[0];
  };
}

function withMap<R>(
  getter: FieldGetter<R>,
  map: Record<string, string> | undefined,
): FieldGetter<R> {
  if (map === undefined) return getter;
  const table = new Map(Object.entries(map));
  return (record) => {
    const value = getter(record);
    if (value === undefined || value === null) return value;
    return table.get(String(value)) ?? value;
  };
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

function compileTemplate<R>(
  template: string,
  field: string,
  source: FieldSource<R>,
): CompiledField<R> {
  const parts: (string | FieldGetter<R>)[] = [];
  const columns: string[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(template.slice(last, match.index));
    const name = match[1]!;
    parts.push(source.getter(name, field));
    columns.push(name);
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (columns.length === 0) return constant(template);
  const get: FieldGetter<R> = (record) => {
    let text = "";
    for (const part of parts) {
      if (typeof part === "string") text += part;
      else {
        const value = part(record);
        if (value === undefined || value === null || value === "")
          return undefined;
        text += String(value);
      }
    }
    return text;
  };
  return { get, columns };
}

/** Returns the columns a mapping field reads, without compiling it. */
export function fieldColumns(spec: FieldSpec | undefined): string[] {
  if (spec === undefined) return [];
  if (typeof spec === "string") return [spec];
  if (Array.isArray(spec)) return [...spec];
  if ("const" in spec) return [];
  if ("columns" in spec) return [...spec.columns];
  if ("column" in spec) return [spec.column];
  if ("path" in spec) return [spec.path];
  return [...spec.template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

/** Returns a field's value as trimmed text; undefined when it is empty. */
export function fieldText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const result = typeof value === "string" ? value.trim() : String(value);
  return result === "" ? undefined : result;
}
