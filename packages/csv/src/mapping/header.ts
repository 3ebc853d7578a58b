import { dimensionOf, isKnownUnit } from "@qubit/core";

/** A header cell split into a metric name and the unit it names. */
export interface HeaderName {
  /** Metric name: lower case, words joined by "_", without the unit. */
  metric: string;
  unit: string | undefined;
}

// Single letters name a phase or an axis as often as a unit, so they
// count as a unit only inside brackets or when nothing else does.
const AMBIGUOUS_UNITS = new Set([
  "A",
  "B",
  "C",
  "N",
  "F",
  "K",
  "L",
  "h",
  "s",
  "d",
  "g",
  "t",
  "l",
  "a",
]);

// Words at the end of a header that name a quantity more often than a
// unit: "E_day", "Runtime_h", "Count_pcs".
const NON_UNIT_DIMENSIONS = new Set([
  "duration",
  "count",
  "boolean",
  "dimensionless",
  "angle",
  "mass",
]);

function isMeasurementUnit(word: string): boolean {
  const dimension = dimensionOf(word);
  return (
    dimension !== undefined &&
    !NON_UNIT_DIMENSIONS.has(dimension) &&
    !AMBIGUOUS_UNITS.has(word)
  );
}

/** Turns a header text into a metric name: `P AC (L1)` gives `p_ac_l1`. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
}

/** Removes the brackets of a units-line cell: `[Wh]` and `(kW)` give the unit. */
export function unitFromUnitsCell(cell: string): string | undefined {
  const text = cell.trim().replace(/^[[(]\s*|\s*[\])]$/g, "");
  return text === "" ? undefined : text;
}

/**
 * Splits a header such as `P_AC (kW)`, `Energy Produced (Wh)`,
 * `Import T1 kWh` or `Generation_kWh` into metric and unit. A unit is
 * taken from square brackets, from parentheses at the end, or from a last
 * word that is in the unit table. A single letter in parentheses such as
 * `(A)` is a phase unless no other unit is present.
 */
export function parseHeaderName(header: string): HeaderName {
  const text = header.trim();
  const bracket = /^(.*?)\s*\[([^\]]+)\]\s*$/.exec(text);
  if (bracket && isKnownUnit(bracket[2]!.trim())) {
    return { metric: slugify(bracket[1]!), unit: bracket[2]!.trim() };
  }
  const paren = /^(.*?)\s*\(([^)]+)\)\s*$/.exec(text);
  const trailing = /^(.*?)[\s_]+([^\s_]+)$/;
  if (paren && isKnownUnit(paren[2]!.trim())) {
    const unit = paren[2]!.trim();
    if (!AMBIGUOUS_UNITS.has(unit)) {
      return { metric: slugify(paren[1]!), unit };
    }
    const inner = trailing.exec(paren[1]!.trim());
    if (inner && isMeasurementUnit(inner[2]!)) {
      return { metric: slugify(`${inner[1]} ${unit}`), unit: inner[2] };
    }
    return { metric: slugify(paren[1]!), unit };
  }
  const last = trailing.exec(text);
  if (last && isMeasurementUnit(last[2]!)) {
    return { metric: slugify(last[1]!), unit: last[2] };
  }
  return { metric: slugify(text), unit: undefined };
}

/** Matches a time-slot column name: `14:15` or `14:15-14:30`. */
export const TIME_SLOT_PATTERN =
  /^([01]?\d|2[0-4]):([0-5]\d)(?:\s*-\s*([01]?\d|2[0-4]):([0-5]\d))?$/;
