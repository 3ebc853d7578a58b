import type { SourceLocation } from "../errors.js";
import type { ReadingSource, TimeSeries } from "../timeseries/schema.js";

/**
 * A problem found while converting one input. As a rejection it sends the
 * input (or one field of it) to the dead-letter output; as a diagnostic it
 * is logged and counted while the readings go on.
 */
export interface Diagnostic {
  /** Stable code such as `QUBIT_MQTT_PAYLOAD_NOT_JSON`. */
  code: string;
  /** What is invalid, what it must be and what was received. */
  message: string;
  /** Where: topic, charge point and message id, register, file and line. */
  location?: SourceLocation;
  /** The offending value, as received. */
  value?: unknown;
  /** What the user can do about it. */
  fix?: string;
}

/** What a message turns into: readings, rejected parts and diagnostics. */
export interface ConversionResult {
  readings: TimeSeries[];
  /** Inputs, or parts of one, that cannot become readings. */
  rejects: Diagnostic[];
  /** Problems that did not stop a reading, such as an assumed unit. */
  diagnostics: Diagnostic[];
}

/** Returns an empty {@link ConversionResult} to fill in. */
export function emptyResult(): ConversionResult {
  return { readings: [], rejects: [], diagnostics: [] };
}

/**
 * One input as a connector received it: an MQTT message, an OCPP call, a
 * Modbus poll, a CSV row. It keeps the raw input for the dead-letter
 * output and converts itself to readings.
 */
export interface SourceMessage {
  /** Protocol that produced the message. */
  readonly protocol: string;
  /**
   * What kind of message it is, for handlers: the OCPP action, the MQTT
   * topic, `poll` for Modbus, `row` for CSV.
   */
  readonly kind: string;
  /** Where it came from. */
  readonly source: ReadingSource;
  /** Receive time, epoch milliseconds. */
  readonly receivedAt: number;
  /** The raw input as received, kept for the dead-letter output. */
  readonly raw: string | Uint8Array | object;
  /** Converts the message to readings, rejects and diagnostics. */
  convert(): ConversionResult;
  /** Returns the readings of the message (the rejects are dropped). */
  toTimeSeries(): TimeSeries[];
}

/**
 * A message plus what it became, handed to the pipeline: the connector
 * converts (and runs user handlers), the pipeline validates and writes.
 */
export interface PipelineEntry {
  message: SourceMessage;
  result: ConversionResult;
}
