import {
  type ConversionResult,
  emptyResult,
  type ReadingSource,
  type SourceMessage,
  type TimeSeries,
} from "@qubit/core";
import type { OcppVersion } from "./versions.js";

/** Direction of a frame, seen from the charge point's side. */
export type FrameDirection = "from_charge_point" | "to_charge_point";

/**
 * One OCPP CALL as the connector received (or, for the client role, sent)
 * it, with the readings, rejects and diagnostics it became. The kind is
 * the action (`MeterValues`), or `frame` for input that is not an OCPP-J
 * CALL. The conversion runs when the call is handled, because it depends
 * on transaction state at that moment.
 */
export class OcppMessage implements SourceMessage {
  readonly protocol = "ocpp";
  readonly kind: string;
  readonly source: ReadingSource;
  readonly receivedAt: number;
  readonly raw: string | object;
  /** Charge point id, URL-decoded. */
  readonly identity: string;
  readonly version: OcppVersion;
  readonly messageId: string;
  /** The CALL payload as received. */
  readonly payload: unknown;
  readonly result: ConversionResult;

  constructor(fields: {
    kind: string;
    identity: string;
    version: OcppVersion;
    messageId: string;
    payload: unknown;
    raw: string | object;
    receivedAt: number;
    connectorName: string;
    result?: ConversionResult;
  }) {
    this.kind = fields.kind;
    this.identity = fields.identity;
    this.version = fields.version;
    this.messageId = fields.messageId;
    this.payload = fields.payload;
    this.raw = fields.raw;
    this.receivedAt = fields.receivedAt;
    this.source = messageSource(fields);
    this.result = fields.result ?? emptyResult();
  }

  /** Returns the readings, rejects and diagnostics of the call. */
  convert(): ConversionResult {
    return this.result;
  }

  /** Returns the readings of the call. */
  toTimeSeries(): TimeSeries[] {
    return this.result.readings;
  }
}

/** Builds the `source` of readings from one call. */
export function messageSource(fields: {
  kind: string;
  identity: string;
  messageId: string;
  connectorName: string;
  version: OcppVersion;
}): ReadingSource {
  // The schema allows extra string or number keys for the finer place.
  return {
    protocol: "ocpp",
    address: fields.identity,
    connector: fields.connectorName,
    message_id: fields.messageId,
    action: fields.kind,
    ocpp_version: fields.version,
  } as ReadingSource;
}
