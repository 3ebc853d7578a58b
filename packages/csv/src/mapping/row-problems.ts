import { type Diagnostic, type SourceLocation, TimeError } from "@qubit/core";
import { CsvError, type CsvErrorCode } from "../errors.js";
import type { CompiledField } from "./fields.js";

const TIME_CODES: Record<string, CsvErrorCode> = {
  QUBIT_CORE_TIME_NONEXISTENT: "QUBIT_CSV_TIMESTAMP_NONEXISTENT",
  QUBIT_CORE_TIME_AMBIGUOUS: "QUBIT_CSV_TIMESTAMP_AMBIGUOUS",
};

/** Builds the reject of a row whose required field is missing. */
export function rowProblem<R>(
  placeKey: "column" | "path",
  code: CsvErrorCode,
  what: string,
  place: SourceLocation,
  field: CompiledField<R>,
  name: string,
  value: unknown,
): Diagnostic {
  const columns = field.columns.join(", ");
  return {
    code,
    message: `Invalid row: ${what}${columns ? ` (${placeKey} ${columns})` : ""}`,
    location: columns ? { ...place, [placeKey]: columns } : place,
    value,
    fix: `fill ${name} in the input, or map it to another ${placeKey}`,
  };
}

/**
 * Builds the reject of a row whose timestamp failed to parse; rethrows
 * anything that is not a time error.
 */
export function timeProblem(
  error: unknown,
  stamp: unknown,
  place: SourceLocation,
  timestampColumns: readonly string[],
  placeKey: "column" | "path",
): Diagnostic {
  const columns = timestampColumns.join(", ");
  const location = columns ? { ...place, [placeKey]: columns } : place;
  if (error instanceof TimeError || error instanceof CsvError) {
    return {
      code: TIME_CODES[error.code] ?? "QUBIT_CSV_TIMESTAMP_INVALID",
      message: error.message,
      location,
      value: stamp,
      ...(error.fix === undefined ? {} : { fix: error.fix }),
    };
  }
  throw error;
}

/** Creates the error of an empty timestamp field. */
export function emptyTimestamp(): CsvError {
  return new CsvError(
    "QUBIT_CSV_TIMESTAMP_INVALID",
    "Invalid timestamp: the timestamp field is empty",
    {
      fix: "fill the timestamp, or map timestamp to the right column",
    },
  );
}
