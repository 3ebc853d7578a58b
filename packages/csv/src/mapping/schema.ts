import { type Static, type TSchema, Type } from "@sinclair/typebox";

const pattern = Type.String({
  description:
    "Regular expression applied to the text; the first capture group (or the whole match) is used",
});

const valueMap = Type.Record(Type.String(), Type.String(), {
  description:
    'Replaces whole values, for example {"Gevalideerd": "validated"}',
});

/**
 * Source of one field of a reading. A bare string names a column, or a
 * JSON path for JSON records. A list of strings joins several columns
 * with a space, such as a date column and a time column. `const` is a
 * fixed value, and `template` builds text from `{column}` placeholders.
 */
const FIELD_VARIANTS = [
  Type.String({
    minLength: 1,
    description:
      "Column name (JSON path for JSON records). For unit, a known unit that is not a column is a constant",
  }),
  Type.Array(Type.String({ minLength: 1 }), {
    minItems: 1,
    description: "Columns joined with a space, such as a date and a time",
  }),
  Type.Object(
    {
      const: Type.Union([Type.String(), Type.Number()], {
        description: "Fixed value used for every row",
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      column: Type.String({ minLength: 1, description: "Column name" }),
      pattern: Type.Optional(pattern),
      map: Type.Optional(valueMap),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      columns: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
      separator: Type.String({
        default: " ",
        description: "Text put between the joined columns",
      }),
      pattern: Type.Optional(pattern),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      path: Type.String({
        minLength: 1,
        description:
          "JSON path relative to the record (`a.b[0].c`), or from the document root (`$.meta.unit`)",
      }),
      pattern: Type.Optional(pattern),
      map: Type.Optional(valueMap),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      template: Type.String({
        minLength: 1,
        description: 'Text with {column} placeholders, such as "{EAN}-{Meter}"',
      }),
    },
    { additionalProperties: false },
  ),
];
export const FieldSpecSchema = Type.Union(FIELD_VARIANTS, {
  description: "Source of a reading field",
});

/** Source of one field of a reading. */
export type FieldSpec = Static<typeof FieldSpecSchema>;

/** A field source with the description of the field it fills. */
const fieldSpec = (description: string) =>
  Type.Union(FIELD_VARIANTS, { description });

/** Options of one value column of a wide file. */
export const ValueColumnSchema = Type.Object(
  {
    metric: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Metric name; default the column name without its unit",
      }),
    ),
    unit: Type.Optional(
      Type.String({
        description:
          "Unit of the column; default the unit in the header or units line",
      }),
    ),
    asset_id: Type.Optional(
      fieldSpec("Asset id of this column's readings; default mapping.asset_id"),
    ),
    device_id: Type.Optional(
      fieldSpec(
        "Device id of this column's readings; default mapping.device_id",
      ),
    ),
    multiplier: Type.Optional(
      Type.Number({ description: "Factor applied to each value" }),
    ),
    type: Type.Optional(
      Type.Union(
        [
          Type.Literal("number"),
          Type.Literal("boolean"),
          Type.Literal("string"),
        ],
        { description: "Value type; default number" },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Options of one value column of a wide file. */
export type ValueColumn = Static<typeof ValueColumnSchema>;

/**
 * Mapping of columns (or JSON fields) to readings. The single-value form
 * maps `value`. The wide form lists `values` and gives one reading per
 * column and row. `time_slots` reads columns named `HH:MM` or
 * `HH:MM-HH:MM` as the times of day of one row's date.
 */
export const MappingSchema = Type.Object(
  {
    timestamp: fieldSpec(
      "Timestamp column; a list joins a date and a time column",
    ),
    asset_id: fieldSpec("Asset id: a column, a constant or a template"),
    value: Type.Optional(fieldSpec("Value column of the single-value form")),
    metric: Type.Optional(
      fieldSpec(
        "Metric name; default the value column's header without its unit",
      ),
    ),
    unit: Type.Optional(
      fieldSpec(
        'Unit: a known unit such as "kWh" is a constant, else a column; default the unit in the header or units line',
      ),
    ),
    site_id: Type.Optional(fieldSpec("Site id of every reading")),
    org_id: Type.Optional(fieldSpec("Organisation id of every reading")),
    device_id: Type.Optional(fieldSpec("Device id of every reading")),
    quality: Type.Optional(
      fieldSpec(
        "Quality column, mapped to measured, validated, estimated, missing, ...",
      ),
    ),
    values: Type.Optional(
      Type.Union(
        [
          Type.Literal("*", {
            description:
              "Every column that no other mapping key uses becomes a metric",
          }),
          Type.Array(Type.String({ minLength: 1 }), {
            minItems: 1,
            description: "Value columns; metric and unit from the header",
          }),
          Type.Record(
            Type.String(),
            Type.Union([
              Type.String({ minLength: 1, description: "Metric name" }),
              ValueColumnSchema,
            ]),
            { description: "Value columns with their metric or options" },
          ),
        ],
        { description: "Value columns of a wide file" },
      ),
    ),
    exclude: Type.Array(Type.String(), {
      default: [],
      description: 'Columns left out of values "*"',
    }),
    time_slots: Type.Boolean({
      default: false,
      description:
        "Columns named HH:MM or HH:MM-HH:MM are times of the day given by timestamp",
    }),
    multiplier: Type.Optional(
      Type.Number({ description: "Factor applied to every value" }),
    ),
    multiplier_column: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Column whose number multiplies every value of its row",
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "TimeSeries fields to columns: timestamp and asset_id, and value or values",
  },
);

/** Mapping of columns or JSON fields to readings. */
export type Mapping = Static<typeof MappingSchema>;

/**
 * A config value as a user writes it: every key that has a default may
 * be left out, at any depth. The schema still checks it at run time.
 */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A mapping as a user writes it: timestamp and asset_id are required. */
export type MappingInput = DeepPartial<Mapping> &
  Pick<Mapping, "timestamp" | "asset_id">;

/** Timestamp options shared by files, REST responses and ingest bodies. */
export const TIME_OPTIONS = {
  timestamp_format: Type.String({
    default: "auto",
    description:
      'strftime ("%Y-%m-%d %H:%M:%S"), tokens ("DD-MM-YYYY HH:mm"), auto, iso8601, epoch_s or epoch_ms',
  }),
  timezone: Type.String({
    default: "UTC",
    description: "IANA zone of timestamps without a UTC offset",
  }),
  ambiguous_time: Type.Union(
    [
      Type.Literal("sequence"),
      Type.Literal("earlier"),
      Type.Literal("later"),
      Type.Literal("reject"),
    ],
    {
      default: "sequence",
      description:
        "Repeated hour when clocks go back: sequence (by row order, first pass is summer time), earlier, later or reject",
    },
  ),
  nonexistent_time: Type.Union(
    [Type.Literal("reject"), Type.Literal("shift_forward")],
    {
      default: "reject",
      description:
        "Skipped hour when clocks go forward: reject the row, or shift_forward by the gap",
    },
  ),
  timestamp_label: Type.Union([Type.Literal("start"), Type.Literal("end")], {
    default: "start",
    description:
      "Whether a timestamp labels the start or the end of its interval; readings are stamped with the start",
  }),
  interval: Type.Optional(
    Type.String({
      pattern: "^[1-9][0-9]*(s|m|h|d)$",
      description:
        'Interval length, such as "15m", "1h" or "1d"; needed when timestamp_label is end',
    }),
  ),
} satisfies Record<string, TSchema>;

/** Value parsing options shared by files, REST responses and ingest bodies. */
export const VALUE_OPTIONS = {
  decimal_separator: Type.Union(
    [Type.Literal("auto"), Type.Literal("."), Type.Literal(",")],
    {
      default: "auto",
      description:
        'Decimal mark; auto takes "," for files whose numbers use a decimal comma',
    },
  ),
  thousands_separator: Type.Union(
    [
      Type.Literal("auto"),
      Type.Literal("none"),
      Type.Literal(","),
      Type.Literal("."),
      Type.Literal(" "),
      Type.Literal("'"),
    ],
    {
      default: "auto",
      description:
        "Digit grouping mark; auto accepts the other of . and , in groups of three digits",
    },
  ),
  missing_values: Type.Array(Type.String(), {
    default: ["", "-", "--", "NA", "N/A", "n/a", "null", "NULL", "NaN", "nan"],
    description: "Cell texts that mean no value",
  }),
  on_missing: Type.Union([Type.Literal("emit"), Type.Literal("skip")], {
    default: "emit",
    description:
      "emit a reading with quality missing and value null, or skip it",
  }),
  sentinel_values: Type.Array(Type.Number(), {
    default: [],
    description: "Numbers that mean no value, such as -9999",
  }),
  value_flags: Type.Optional(
    Type.Object(
      {
        valid: Type.Array(Type.String({ minLength: 1 }), {
          minItems: 1,
          description:
            'Flags that mark a value as valid, such as ["V"] for cells like "2,6 V"',
        }),
      },
      {
        additionalProperties: false,
        description:
          "Cells carry a validity flag after the number; other flags give quality error",
      },
    ),
  ),
} satisfies Record<string, TSchema>;
