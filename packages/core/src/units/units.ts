import { UnitError } from "../errors.js";
import {
  BASE_UNITS,
  type Dimension,
  UNIT_TABLE,
  type UnitDefinition,
} from "./table.js";

const exactIndex = new Map<string, UnitDefinition>();
const foldedIndex = new Map<string, UnitDefinition | null>();

for (const definition of UNIT_TABLE) {
  for (const spelling of [definition.canonical, ...definition.aliases]) {
    if (exactIndex.has(spelling)) {
      throw new Error(`unit table lists "${spelling}" twice`);
    }
    exactIndex.set(spelling, definition);
  }
}

// A case-insensitive lookup is only safe where no two units differ by
// case alone: "mW" (milliwatt) and "MW" (megawatt) both fold to "mw", so
// "mw" stays unknown instead of being guessed.
for (const [spelling, definition] of exactIndex) {
  const folded = spelling.toLowerCase();
  const previous = foldedIndex.get(folded);
  if (previous === undefined) foldedIndex.set(folded, definition);
  else if (previous !== definition) foldedIndex.set(folded, null);
}

/**
 * Looks a unit up by any spelling in the table: exact first, then
 * ignoring case where that is unambiguous. Returns `undefined` for a unit
 * the table does not know.
 */
export function lookupUnit(spelling: string): UnitDefinition | undefined {
  const exact = exactIndex.get(spelling);
  if (exact) return exact;
  const trimmed = spelling.trim();
  if (trimmed === "") return undefined;
  return (
    exactIndex.get(trimmed) ??
    foldedIndex.get(trimmed.toLowerCase()) ??
    undefined
  );
}

/**
 * Returns the canonical spelling of a unit (`KW` and `kw` become `kW`,
 * `°C` and `Celcius` become `celsius`), or the trimmed input when the
 * table does not know the unit.
 */
export function canonicalUnit(spelling: string): string {
  return lookupUnit(spelling)?.canonical ?? spelling.trim();
}

/** Returns whether the unit table knows this spelling. */
export function isKnownUnit(spelling: string): boolean {
  return lookupUnit(spelling) !== undefined;
}

/** Returns the base unit of a unit's dimension (`kWh` gives `Wh`). */
export function baseUnitOf(spelling: string): string | undefined {
  const definition = lookupUnit(spelling);
  return definition ? BASE_UNITS[definition.dimension] : undefined;
}

/** Returns the dimension of a unit, or `undefined` when it is unknown. */
export function dimensionOf(spelling: string): Dimension | undefined {
  return lookupUnit(spelling)?.dimension;
}

function requireUnit(spelling: string, role: string): UnitDefinition {
  const definition = lookupUnit(spelling);
  if (!definition) {
    throw new UnitError(
      "QUBIT_CORE_UNIT_UNKNOWN",
      `Unknown ${role} unit "${spelling}"`,
      {
        value: spelling,
        fix: "use a unit from the unit table, for example W, kWh, V, A, Hz, celsius or percent",
      },
    );
  }
  return definition;
}

/**
 * Converts a value between two units of one dimension, for example
 * `convertUnit(1.5, "kWh", "Wh")` is 1500. Throws a {@link UnitError} when
 * a unit is unknown or the dimensions differ.
 */
export function convertUnit(value: number, from: string, to: string): number {
  const source = requireUnit(from, "source");
  const target = requireUnit(to, "target");
  if (source === target) return value;
  if (source.dimension !== target.dimension) {
    throw new UnitError(
      "QUBIT_CORE_UNIT_INCOMPATIBLE",
      `Cannot convert ${source.canonical} (${source.dimension}) to ${target.canonical} (${target.dimension})`,
      {
        value: { from, to },
        fix: "convert only between units of one dimension",
      },
    );
  }
  const base = (value + (source.offset ?? 0)) * source.factor;
  return roundConverted(base / target.factor - (target.offset ?? 0));
}

/**
 * Converts a value to the base unit of its dimension (W, Wh, var, V, A,
 * Hz, celsius, percent, ...). A unit the table does not know is returned
 * unchanged with `converted: false`.
 */
export function toBaseUnit(
  value: number,
  spelling: string,
): { value: number; unit: string; converted: boolean } {
  const definition = lookupUnit(spelling);
  if (!definition) return { value, unit: spelling.trim(), converted: false };
  const base = BASE_UNITS[definition.dimension];
  if (definition.canonical === base) {
    return { value, unit: base, converted: false };
  }
  const converted = (value + (definition.offset ?? 0)) * definition.factor;
  return { value: roundConverted(converted), unit: base, converted: true };
}

/**
 * Removes the binary noise that scaling by a power of ten leaves behind
 * (3.54 * 1000 is 3540.0000000000005), keeping 12 significant digits more
 * than any meter reports.
 */
export function roundConverted(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  if (hasShortDecimal(value)) return value;
  const rounded = Number(value.toPrecision(15));
  return Object.is(rounded, -0) ? 0 : rounded;
}

const POWERS_OF_TEN = Array.from(
  { length: 23 },
  (_, exponent) => 10 ** exponent,
);

/**
 * Returns true when a value is the nearest double to a decimal of at most
 * 15 significant digits, so that `toPrecision(15)` gives that decimal
 * back and rounding would not change the value. The check is a multiply
 * and a divide, far cheaper than `toPrecision`, and it covers most
 * converted meter values (12.34 kW is 12340 W). When it returns false,
 * the caller rounds.
 */
function hasShortDecimal(value: number): boolean {
  const magnitude = Math.abs(value);
  if (!(magnitude >= 1e-7 && magnitude < 1e15)) return false;
  if (Number.isInteger(value)) return true;
  // log10 may be one off next to a power of ten. One too low gives 16
  // digits, which the 1e15 bound rejects; one too high gives 14, which
  // is still at most 15.
  const shift = 14 - Math.floor(Math.log10(magnitude));
  if (shift < 0 || shift > 22) return false;
  const power = POWERS_OF_TEN[shift]!;
  const digits = value * power;
  // digits and power are exact doubles, and the division rounds
  // correctly, so equality means value = nearest double to digits / power.
  return (
    Number.isInteger(digits) &&
    Math.abs(digits) < 1e15 &&
    digits / power === value
  );
}

export type { Dimension, UnitDefinition };
export { BASE_UNITS, UNIT_TABLE };
