import { dimensionOf, isKnownUnit } from "@qubit/core";
import { expectedDimension, impliedUnit } from "./measurands.js";
import { locationOf } from "./notes.js";
import type { MeterContext } from "./sampled-values.js";

/** The unit of one sampled value and how it was found. */
export interface UnitResult {
  unit: string;
  multiplier: number;
  /** Reason the reading rests on an assumption. */
  reason?: string;
  /** The label as sent, when the station override replaced it. */
  label?: string;
}

/**
 * Finds the unit of a sampled value: the station's energy unit override,
 * the unit as sent, or the unit its measurand implies when none was sent.
 * Reports a missing, unknown or unfitting unit once per charger, at the
 * sample's JSON `pointer`.
 */
export function resolveUnit(
  sample: Record<string, unknown>,
  measurand: string,
  context: MeterContext,
  pointer: string,
): UnitResult {
  const notes = context.notes;
  let sent: unknown;
  let multiplier = 0;
  if (context.version === "2.0.1") {
    const unitOfMeasure = sample.unitOfMeasure as
      | Record<string, unknown>
      | undefined;
    sent = unitOfMeasure?.unit;
    if (typeof unitOfMeasure?.multiplier === "number")
      multiplier = unitOfMeasure.multiplier;
  } else {
    sent = sample.unit;
  }
  if (context.energyUnit && measurand.startsWith("Energy.Active.")) {
    const result: UnitResult = { unit: context.energyUnit, multiplier };
    if (typeof sent === "string" && sent !== context.energyUnit)
      result.label = sent;
    return result;
  }
  if (typeof sent !== "string" || sent === "") {
    const implied = impliedUnit(measurand);
    if (!implied) return { unit: "", multiplier };
    if (implied.defined) return { unit: implied.unit, multiplier };
    const field = context.version === "2.0.1" ? "unitOfMeasure" : "unit";
    notes.diagnostic(
      {
        code: "QUBIT_OCPP_UNIT_ASSUMED",
        message: `${field} missing for ${measurand}, assumed ${implied.unit}`,
        location: locationOf(context, pointer),
        fix: `configure the charger to send ${field} with ${measurand}`,
      },
      `${context.identity}|unit|${measurand}`,
    );
    return {
      unit: implied.unit,
      multiplier,
      reason: `${field} missing, ${implied.unit} assumed from the measurand`,
    };
  }
  if (!isKnownUnit(sent)) {
    notes.diagnostic(
      {
        code: "QUBIT_OCPP_UNIT_UNKNOWN",
        message: `unit ${JSON.stringify(sent)} of ${measurand} is not a known unit; kept as sent`,
        location: locationOf(context, pointer),
        value: sent,
      },
      `${context.identity}|unit-unknown|${sent}`,
    );
    return { unit: sent, multiplier, reason: `unknown unit ${sent}` };
  }
  const expected = expectedDimension(measurand);
  const actual = dimensionOf(sent);
  if (expected && actual && expected !== actual) {
    notes.diagnostic(
      {
        code: "QUBIT_OCPP_UNIT_MISMATCH",
        message: `unit ${sent} does not fit measurand ${measurand}; kept as sent`,
        location: locationOf(context, pointer),
        value: sent,
      },
      `${context.identity}|unit-mismatch|${measurand}|${sent}`,
    );
    return {
      unit: sent,
      multiplier,
      reason: `unit ${sent} does not fit ${measurand}`,
    };
  }
  return { unit: sent, multiplier };
}
