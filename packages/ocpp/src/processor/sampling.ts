import type { TimeSeries } from "@qubit/core";
import type { OcppCall } from "./types.js";

/** Sampled-value contexts that a charger sends on a clock. */
const PERIODIC_CONTEXTS = new Set(["Sample.Periodic", "Sample.Clock"]);

/**
 * Marks the readings of one CALL for the quality monitor's completeness.
 * Only sampled values of MeterValues and TransactionEvent with context
 * `Sample.Periodic` (the OCPP default when absent) or `Sample.Clock`
 * arrive at a regular interval. Every other reading (status, boot, the
 * transaction's start and stop registers, triggered samples, sessions)
 * gets `metadata.sampling: "event"`. The readings of a CALL that ends a
 * transaction get `metadata.series_end: true`, because the charger stops
 * sending meter values until the next transaction starts.
 */
export function markSampling(call: OcppCall, readings: TimeSeries[]): void {
  const endsTransaction =
    call.action === "StopTransaction" ||
    (call.action === "TransactionEvent" && call.payload.eventType === "Ended");
  // NOTE: a TransactionEvent Ended without meter values and without a
  // session reading (no start register known) has no reading to carry
  // series_end, so the pause after it still counts as missed readings.
  for (const reading of readings) {
    const marks: Record<string, unknown> = {};
    if (!isPeriodic(call, reading)) marks.sampling = "event";
    if (endsTransaction) marks.series_end = true;
    if (Object.keys(marks).length > 0)
      reading.metadata = { ...reading.metadata, ...marks };
  }
}

function isPeriodic(call: OcppCall, reading: TimeSeries): boolean {
  if (call.action !== "MeterValues" && call.action !== "TransactionEvent")
    return false;
  if (reading.metric.startsWith("Session.")) return false;
  const context = reading.metadata?.context;
  return context === undefined || PERIODIC_CONTEXTS.has(String(context));
}
