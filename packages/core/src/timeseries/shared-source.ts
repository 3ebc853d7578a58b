import type { ReadingSource } from "./schema.js";

/**
 * Key of the mark that {@link sharedSource} puts on a source it checked:
 * a hidden (symbol, non-enumerable) property whose value is the source
 * itself, so an object that inherits the mark does not carry it. The
 * schema check and JSON.stringify both ignore symbol keys.
 * NOTE: a second copy of this package in one process (its CommonJS build
 * next to the ES module) has its own symbol, so each copy checks the
 * sources of the other in full.
 */
export const CHECKED_SOURCE: unique symbol = Symbol("qubit checked source");

/**
 * Returns a frozen copy of a reading source, for connectors that give the
 * same source to many readings (every reading of a topic or a register).
 * When the copy matches the source schema, it is marked so that the
 * pipeline's check of each reading skips it: a frozen copy of plain data
 * cannot change. A copy that does not match is returned unmarked, and the
 * pipeline rejects its readings as before.
 */
export function sharedSource(
  fields: ReadingSource & Readonly<Record<string, string | number | undefined>>,
): ReadingSource {
  const source = { ...fields };
  if (isSourceShape(source)) {
    Object.defineProperty(source, CHECKED_SOURCE, { value: source });
  }
  return Object.freeze(source);
}

/** Returns whether a source was checked by {@link sharedSource}. */
export function isCheckedSource(source: object): boolean {
  return (source as { [CHECKED_SOURCE]?: unknown })[CHECKED_SOURCE] === source;
}

/**
 * Checks the source part of the TimeSeries schema on a plain data object
 * made by a spread: protocol a non-empty string, address a string,
 * connector absent or a string, and any other key a string or a finite
 * number.
 */
function isSourceShape(source: Record<string, unknown>): boolean {
  if (typeof source.protocol !== "string" || source.protocol === "") {
    return false;
  }
  if (typeof source.address !== "string") return false;
  if (!Object.hasOwn(source, "connector")) {
    // An absent connector is read from the prototype chain, which can
    // change, so such a source is checked with every reading.
    return false;
  }
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (key === "connector") {
      if (value !== undefined && typeof value !== "string") return false;
    } else if (typeof value !== "string" && !Number.isFinite(value)) {
      return false;
    }
  }
  return true;
}
