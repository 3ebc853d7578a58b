import type { Diagnostic } from "../connector/message.js";
import type { TimeSeries } from "../timeseries/schema.js";
import { lookupUnit } from "../units/units.js";

/** Bounds of the time window readings must fall in. */
export interface TimeWindow {
  /** Earliest accepted timestamp, epoch ms. */
  minTimestampMs: number;
  /** Latest accepted timestamp, as a distance ahead of now in ms. */
  maxFutureMs: number;
}

/**
 * The default window. A device whose clock was never set reports 1970 or
 * 2000, and a wrong timestamp format can land centuries away. 1990
 * predates the metering data the connectors are built for. One day ahead
 * allows for clock skew and time-zone mistakes of a few hours.
 */
export const DEFAULT_TIME_WINDOW: TimeWindow = {
  minTimestampMs: Date.UTC(1990, 0, 1),
  maxFutureMs: 86_400_000,
};

// Units whose readings may hold text or flags rather than a quantity.
const NON_QUANTITY = new Set(["boolean", "dimensionless", "count"]);

/**
 * Checks what the schema cannot: the timestamp lies in the time window, a
 * number is still finite after unit conversion, and a text value does not
 * claim a physical unit. Returns the reason to reject, or `undefined`.
 */
export function implausibility(
  reading: TimeSeries,
  epochMs: number,
  now: number,
  window: TimeWindow,
): Diagnostic | undefined {
  const where = { metric: reading.metric, asset_id: reading.asset_id };
  if (epochMs < window.minTimestampMs || epochMs > now + window.maxFutureMs) {
    const days = Math.round((epochMs - now) / 86_400_000);
    const distance =
      days >= 0 ? `${days} days ahead of now` : `${-days} days in the past`;
    return {
      code: "QUBIT_CORE_TIMESTAMP_OUT_OF_RANGE",
      message: `Timestamp ${reading.timestamp} of ${reading.metric} of ${reading.asset_id} is ${distance}, outside the accepted window (from ${new Date(window.minTimestampMs).toISOString()} to ${Math.round(window.maxFutureMs / 3_600_000)} hours ahead)`,
      location: where,
      value: reading.timestamp,
      fix: "set the device clock, or the timestamp format and time zone of the source; pipeline.min_timestamp and pipeline.max_future_ms set the window",
    };
  }
  const value = reading.value;
  if (typeof value === "number" && !Number.isFinite(value)) {
    return {
      code: "QUBIT_CORE_VALUE_OVERFLOW",
      message: `Value of ${reading.metric} of ${reading.asset_id} overflows when converted to ${reading.unit}`,
      location: where,
      fix: "check the unit and scale of the source; the value is beyond the range of a 64-bit number",
    };
  }
  if (typeof value === "string" && reading.unit !== "") {
    const definition = lookupUnit(reading.unit);
    if (definition && !NON_QUANTITY.has(definition.dimension)) {
      return {
        code: "QUBIT_CORE_VALUE_NOT_NUMERIC",
        message: `Value ${JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value)} of ${reading.metric} of ${reading.asset_id} is text, but its unit ${reading.unit} needs a number`,
        location: where,
        value,
        fix: "send a number for this reading, or map the field without a unit if it is a state",
      };
    }
  }
  return undefined;
}

/** Builds the reject of a reading that does not match the schema. */
export function invalidReading(
  reading: TimeSeries,
  problem: string,
): Diagnostic {
  return {
    code: "QUBIT_CORE_READING_INVALID",
    message: `Invalid reading ${reading.metric ?? "(no metric)"} of ${reading.asset_id ?? "(no asset)"}: ${problem}`,
    location: { metric: reading.metric },
    fix: "fix the mapping that produced this reading, or the device value",
  };
}

/** Builds the reject of a reading whose id was taken with another value. */
export function conflictingReading(reading: TimeSeries): Diagnostic {
  return {
    code: "QUBIT_CORE_READING_CONFLICT",
    message: `A reading of ${reading.metric} of ${reading.asset_id} at ${reading.timestamp} was already accepted with another value, which is kept; this one (${JSON.stringify(reading.value)}${reading.unit === "" ? "" : ` ${reading.unit}`}, after unit conversion) was not stored`,
    location: { metric: reading.metric, timestamp: reading.timestamp },
    value: reading.value,
    fix: "two values for one series and time: check the source for repeated rows or a clock that does not advance",
  };
}

/** Builds the warning of a unit that the unit table does not list. */
export function unknownUnit(reading: TimeSeries): Diagnostic {
  return {
    code: "QUBIT_CORE_UNIT_UNKNOWN",
    message: `Unit ${JSON.stringify(reading.unit)} of ${reading.metric} of ${reading.asset_id} is not in the unit table; the value is stored as received, without conversion`,
    location: { metric: reading.metric },
    value: reading.unit,
    fix: "use a unit from the unit table (W, kWh, V, A, Hz, celsius, percent, ...), or map the unit in the connector config",
  };
}
