import type {
  ConversionResult,
  ReadingSource,
  SourceLocation,
  SourceMessage,
  TimeSeries,
} from "@qubit/core";

/** Converts one record; a `RowMapper` bound to its input. */
export interface RecordConverter<R> {
  convert(
    record: R,
    place: SourceLocation,
    source: ReadingSource,
  ): ConversionResult;
}

/**
 * One row of a file (kind `row`) or one record of a JSON document or
 * request (kind `record`). It converts lazily and once; `raw` is the row
 * as written, for the dead-letter output and the reject file.
 */
export class RecordMessage<R> implements SourceMessage {
  readonly protocol: string;
  readonly kind: string;
  readonly source: ReadingSource;
  readonly receivedAt: number;
  readonly raw: string | object;
  private readonly converter: RecordConverter<R> | undefined;
  private readonly record: R | undefined;
  private result: ConversionResult | undefined;

  constructor(fields: {
    protocol: string;
    kind: string;
    source: ReadingSource;
    receivedAt: number;
    raw: string | object;
    converter?: RecordConverter<R>;
    record?: R;
    result?: ConversionResult;
  }) {
    this.protocol = fields.protocol;
    this.kind = fields.kind;
    this.source = fields.source;
    this.receivedAt = fields.receivedAt;
    this.raw = fields.raw;
    this.converter = fields.converter;
    this.record = fields.record;
    this.result = fields.result;
  }

  convert(): ConversionResult {
    if (this.result === undefined) {
      this.result = this.converter
        ? this.converter.convert(
            this.record as R,
            this.source as SourceLocation,
            this.source,
          )
        : { readings: [], rejects: [], diagnostics: [] };
    }
    return this.result;
  }

  toTimeSeries(): TimeSeries[] {
    return this.convert().readings;
  }
}
