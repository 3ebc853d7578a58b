import type { ReadingSource, TimeSeries } from "../timeseries/schema.js";
import type { ConversionResult, SourceMessage } from "./message.js";

/**
 * A {@link SourceMessage} built from a conversion function; connectors
 * that need no message class of their own use it. The conversion runs
 * once and its result is reused.
 */
export class BasicMessage implements SourceMessage {
  readonly protocol: string;
  readonly kind: string;
  readonly source: ReadingSource;
  readonly receivedAt: number;
  readonly raw: string | Uint8Array | object;
  private readonly converter: () => ConversionResult;
  private result: ConversionResult | undefined;

  constructor(fields: {
    protocol: string;
    kind: string;
    source: ReadingSource;
    receivedAt: number;
    raw: string | Uint8Array | object;
    convert: () => ConversionResult;
  }) {
    this.protocol = fields.protocol;
    this.kind = fields.kind;
    this.source = fields.source;
    this.receivedAt = fields.receivedAt;
    this.raw = fields.raw;
    this.converter = fields.convert;
  }

  convert(): ConversionResult {
    this.result ??= this.converter();
    return this.result;
  }

  toTimeSeries(): TimeSeries[] {
    return this.convert().readings;
  }
}
