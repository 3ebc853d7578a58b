import type {
  ConversionResult,
  ReadingSource,
  SourceLocation,
  SourceMessage,
  TimeSeries,
} from "@qubit/core";
import { trimBreaks } from "../file/records.js";

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
  private rawInput: string | object;
  private rawTrimmed: boolean;
  private readonly converter: RecordConverter<R> | undefined;
  private readonly record: R | undefined;
  private result: ConversionResult | undefined;

  constructor(fields: {
    protocol: string;
    kind: string;
    source: ReadingSource;
    receivedAt: number;
    raw: string | object;
    /**
     * Whether `raw` may still have the line breaks around the row; they
     * are removed when `raw` is first read, which most rows never are.
     */
    rawHasBreaks?: boolean;
    converter?: RecordConverter<R>;
    record?: R;
    result?: ConversionResult | undefined;
  }) {
    this.protocol = fields.protocol;
    this.kind = fields.kind;
    this.source = fields.source;
    this.receivedAt = fields.receivedAt;
    this.rawInput = fields.raw;
    this.rawTrimmed = fields.rawHasBreaks !== true;
    this.converter = fields.converter;
    this.record = fields.record;
    this.result = fields.result;
  }

  /** The row as written, for the dead-letter output and the reject file. */
  get raw(): string | object {
    if (!this.rawTrimmed) {
      this.rawTrimmed = true;
      this.rawInput = trimBreaks(this.rawInput as string);
    }
    return this.rawInput;
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
