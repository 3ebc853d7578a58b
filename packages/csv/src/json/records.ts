import type {
  ConversionResult,
  ReadingSource,
  SourceLocation,
} from "@qubit/core";
import type { FieldSource } from "../mapping/fields.js";
import { resolveNumberFormat } from "../mapping/numbers.js";
import { RowMapper, type TimeOptions } from "../mapping/row-mapper.js";
import type { Mapping } from "../mapping/schema.js";
import { compileJsonPath } from "./path.js";

/** One JSON record and the document it belongs to (for `$` paths). */
export interface JsonRecord {
  value: unknown;
  root: unknown;
}

/** A field source that reads JSON paths from a record or its document. */
export const jsonFieldSource: FieldSource<JsonRecord> = {
  paths: true,
  has: () => true,
  getter: (name) => {
    const path = compileJsonPath(name);
    return path.absolute
      ? (record) => path.first(record.root)
      : (record) => path.first(record.value);
  },
};

/** Value options of JSON records, as in the config sections. */
export interface JsonValueOptions extends TimeOptions {
  mapping: Mapping;
  decimal_separator: "auto" | "." | ",";
  thousands_separator: "auto" | "none" | "," | "." | " " | "'";
  missing_values: string[];
  on_missing: "emit" | "skip";
  sentinel_values: number[];
  value_flags?: { valid: string[] } | undefined;
}

/** Compiles a mapping of JSON paths into a record converter. */
export function createJsonMapper(
  options: JsonValueOptions,
): RowMapper<JsonRecord> {
  const decimal =
    options.decimal_separator === "auto" ? "." : options.decimal_separator;
  return new RowMapper<JsonRecord>({
    mapping: options.mapping,
    source: jsonFieldSource,
    time: options,
    numbers: resolveNumberFormat(decimal, options.thousands_separator, decimal),
    missingValues: options.missing_values,
    sentinelValues: options.sentinel_values,
    validFlags: options.value_flags?.valid,
    onMissing: options.on_missing,
    placeKey: "path",
  });
}

/** Converts a record, turning a thrown error into a reject. */
export function convertRecord(
  mapper: RowMapper<JsonRecord>,
  record: JsonRecord,
  place: SourceLocation,
  source: ReadingSource,
): ConversionResult {
  if (record.value === null || typeof record.value !== "object") {
    return {
      readings: [],
      rejects: [
        {
          code: "QUBIT_CSV_RECORD_INVALID",
          message: `Invalid record: expected a JSON object, got ${record.value === null ? "null" : typeof record.value}`,
          location: place,
          value: record.value,
          fix: "set records to the path of the array of objects",
        },
      ],
      diagnostics: [],
    };
  }
  return mapper.convert(record, place, source);
}
