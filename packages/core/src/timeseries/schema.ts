import { type Static, Type } from "@sinclair/typebox";

/**
 * Data quality of a reading: the `data_quality` enum of the Qubit v0.1
 * schemas. The product uses three of them for what devices report:
 * `measured` (a good reading), `estimated` (a value that is probably right
 * but rests on an assumption, such as a unit the device left out or a
 * counter that went backwards; the reason is in `metadata.quality_reason`)
 * and `error` (no usable value: `value` is null). `missing` marks a gap
 * that a source reported as missing.
 */
export const QUALITY_VALUES = [
  "measured",
  "validated",
  "estimated",
  "interpolated",
  "manual",
  "missing",
  "error",
] as const;

/** Flags of a reading: the Qubit v0.1 `data_points[].flags` enum. */
export const FLAG_VALUES = [
  "power_outage",
  "communication_error",
  "out_of_range",
  "frozen_value",
  "manual_override",
  "interpolated",
  "estimated",
  "validated",
  "billing",
] as const;

export const QualitySchema = Type.Union(
  QUALITY_VALUES.map((value) => Type.Literal(value)),
  { description: "Data quality (Qubit v0.1 data_quality)" },
);

export const FlagSchema = Type.Union(
  FLAG_VALUES.map((value) => Type.Literal(value)),
  { description: "Data point flag (Qubit v0.1)" },
);

/** The protocol and raw address a reading came from. */
export const SourceSchema = Type.Object(
  {
    protocol: Type.String({
      minLength: 1,
      description: "mqtt, ocpp, modbus, csv, http, ...",
    }),
    address: Type.String({
      description:
        "Raw address: topic; charge point id; device/table/register; file path",
    }),
    connector: Type.Optional(
      Type.String({ description: "Name of the connector instance" }),
    ),
  },
  {
    additionalProperties: Type.Union([Type.String(), Type.Number()]),
    description:
      "Origin of the reading; extra keys give the finer place (message_id, line, register)",
  },
);

/** One reading: the record every connector produces. */
export const TimeSeriesSchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      description:
        "Deterministic id: the same reading from a retry or replay gets the same id",
    }),
    asset_id: Type.String({ minLength: 1 }),
    metric: Type.String({ minLength: 1 }),
    value: Type.Union([
      Type.Number(),
      Type.Boolean(),
      Type.String(),
      Type.Null(),
    ]),
    unit: Type.String({ description: "Canonical unit spelling, or empty" }),
    timestamp: Type.String({
      pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$",
      description: "ISO 8601 UTC with milliseconds",
    }),
    org_id: Type.Optional(Type.String({ minLength: 1 })),
    site_id: Type.Optional(Type.String({ minLength: 1 })),
    device_id: Type.Optional(Type.String({ minLength: 1 })),
    quality: Type.Optional(QualitySchema),
    flags: Type.Optional(Type.Array(FlagSchema)),
    source: SourceSchema,
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, $id: "TimeSeries" },
);

/** One reading: the record every connector produces. */
export type TimeSeries = Static<typeof TimeSeriesSchema>;
/** A value of {@link QUALITY_VALUES}. */
export type Quality = (typeof QUALITY_VALUES)[number];
/** A value of {@link FLAG_VALUES}. */
export type Flag = (typeof FLAG_VALUES)[number];
/** The origin of a reading. */
export type ReadingSource = Static<typeof SourceSchema>;
/** The value of a reading. */
export type ReadingValue = TimeSeries["value"];
