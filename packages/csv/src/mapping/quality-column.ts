import {
  type ConversionResult,
  QUALITY_VALUES,
  type Quality,
  type SourceLocation,
} from "@qubit/core";
import { type CompiledField, fieldText } from "./fields.js";

const QUALITIES = new Set<string>(QUALITY_VALUES);

/**
 * The quality column of a mapping. A cell with a Qubit quality value
 * sets the quality of the row's readings. Any other text leaves them
 * `measured`, with a warning once per distinct text.
 */
export class QualityColumn<R> {
  private readonly seen = new Set<string>();

  constructor(private readonly field: CompiledField<R>) {}

  /** Reads the quality of a record; undefined for an empty or unknown cell. */
  read(
    record: R,
    result: ConversionResult,
    place: SourceLocation,
  ): Quality | undefined {
    const raw = fieldText(this.field.get(record));
    if (raw === undefined) return undefined;
    if (QUALITIES.has(raw)) return raw as Quality;
    if (!this.seen.has(raw)) {
      this.seen.add(raw);
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
}
