import type { ConnectorPlugin } from "@qubit/core";
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import {
  FileOutputConfigSchema,
  MqttOutputConfigSchema,
  NatsOutputConfigSchema,
  PostgresOutputConfigSchema,
  SqliteOutputConfigSchema,
  StdoutOutputConfigSchema,
  WebhookOutputConfigSchema,
} from "../outputs/config.js";

/** One output of readings. */
export const OutputConfigSchema = Type.Union([
  SqliteOutputConfigSchema,
  StdoutOutputConfigSchema,
  FileOutputConfigSchema,
  PostgresOutputConfigSchema,
  NatsOutputConfigSchema,
  MqttOutputConfigSchema,
  WebhookOutputConfigSchema,
]);

export const PipelineConfigSchema = Type.Object(
  {
    batch_size: Type.Integer({
      minimum: 1,
      default: 500,
      description: "Readings per batch",
    }),
    batch_interval_ms: Type.Integer({
      minimum: 1,
      default: 200,
      description: "Longest a reading waits for its batch, in milliseconds",
    }),
    max_pending_readings: Type.Integer({
      minimum: 1,
      default: 20_000,
      description: "Readings held in memory before connectors are slowed down",
    }),
    unit_mode: Type.Union([Type.Literal("base"), Type.Literal("canonical")], {
      default: "base",
      description:
        "base: convert to W, Wh, V, ...; canonical: fix the spelling only",
    }),
    dedup_window: Type.Integer({
      minimum: 0,
      default: 100_000,
      description: "Reading ids remembered to drop duplicates; 0 disables",
    }),
    min_timestamp: Type.String({
      default: "1990-01-01T00:00:00Z",
      description:
        "Earliest accepted reading time; older readings go to the dead letters",
    }),
    max_future_ms: Type.Integer({
      minimum: 0,
      default: 86_400_000,
      description:
        "How far ahead of now a reading time may be, in milliseconds",
    }),
  },
  { additionalProperties: false, default: {} },
);

export const QualityConfigSchema = Type.Object(
  {
    frozen: Type.Optional(
      Type.Object(
        {
          min_repeats: Type.Integer({
            minimum: 2,
            description:
              "Repeats of one numeric value before it is flagged frozen_value",
          }),
          min_duration_ms: Type.Integer({
            minimum: 0,
            description: "Time the value must stand still, in milliseconds",
          }),
          metrics: Type.Optional(
            Type.Array(Type.String(), {
              description:
                "Metric names or patterns with * to watch; default all",
            }),
          ),
        },
        {
          additionalProperties: false,
          description: "Flag values that stop changing; off unless given",
        },
      ),
    ),
    ranges: Type.Array(
      Type.Object(
        {
          metric: Type.String({ description: "Metric name or pattern with *" }),
          min: Type.Optional(Type.Number()),
          max: Type.Optional(Type.Number()),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        description:
          "Plausible ranges in base units; values outside get out_of_range",
      },
    ),
  },
  { additionalProperties: false, default: {} },
);

export const ServerConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    host: Type.String({
      default: "127.0.0.1",
      description: "Address of /health and /metrics",
    }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 9464,
      description: "Port of /health and /metrics; 0 picks a free port",
    }),
  },
  { additionalProperties: false, default: {} },
);

export const DeadLetterConfigSchema = Type.Object(
  {
    path: Type.Optional(
      Type.String({
        description:
          "NDJSON file of rejected inputs; default <data_dir>/dead-letters.ndjson",
      }),
    ),
    sqlite: Type.Boolean({
      default: true,
      description:
        "Also store rejected inputs in the dead_letters table of the SQLite store",
    }),
    max_file_bytes: Type.Integer({
      minimum: 1024,
      default: 104_857_600,
      description:
        "Size at which the dead-letter file is renamed to <path>.1 and a new one begun",
    }),
    keep_files: Type.Integer({
      minimum: 0,
      default: 3,
      description: "Rotated dead-letter files kept; 0 keeps none",
    }),
  },
  { additionalProperties: false, default: {} },
);

const COMMON = {
  data_dir: Type.String({
    default: "qubit-data",
    description: "Folder of the embedded store, dead letters and state",
  }),
  outputs: Type.Array(OutputConfigSchema, {
    default: [{ type: "sqlite" }],
    description: "Where readings go; default the embedded SQLite store",
  }),
  shutdown_timeout_ms: Type.Integer({
    minimum: 0,
    default: 30_000,
    description:
      "Longest a stop waits for connectors and outputs to hand over what they hold, in milliseconds; what is still unwritten then is not acknowledged, so sources can send it again",
  }),
  dead_letter: DeadLetterConfigSchema,
  pipeline: PipelineConfigSchema,
  quality: QualityConfigSchema,
  server: ServerConfigSchema,
  log: Type.Object(
    {
      level: Type.Union(
        ["trace", "debug", "info", "warn", "error", "fatal", "silent"].map(
          (level) => Type.Literal(level),
        ),
        { default: "info" },
      ),
    },
    { additionalProperties: false, default: {} },
  ),
};

/** The whole config file: the common keys and one key per connector plugin. */
export function runnerConfigSchema(
  plugins: readonly ConnectorPlugin[],
): TSchema {
  const sections: Record<string, TSchema> = {};
  for (const plugin of plugins) {
    sections[plugin.protocol] = Type.Optional(
      Type.Union(
        [plugin.configSchema, Type.Array(plugin.configSchema, { minItems: 1 })],
        {
          description: `One ${plugin.protocol} connector, or a list of them`,
        },
      ),
    );
  }
  return Type.Object(
    { $schema: Type.Optional(Type.String()), ...COMMON, ...sections },
    {
      additionalProperties: false,
      title: "Qubit Energy Connectors configuration",
      $id: "https://schemas.qubit.energy/connectors/config.json",
    },
  );
}

/** A validated config file. Protocol sections stay untyped here. */
export interface RunnerConfig {
  data_dir: string;
  shutdown_timeout_ms: number;
  outputs: Static<typeof OutputConfigSchema>[];
  dead_letter: {
    path?: string;
    sqlite: boolean;
    max_file_bytes: number;
    keep_files: number;
  };
  pipeline: {
    batch_size: number;
    batch_interval_ms: number;
    max_pending_readings: number;
    unit_mode: "base" | "canonical";
    dedup_window: number;
    min_timestamp: string;
    max_future_ms: number;
  };
  server: { enabled: boolean; host: string; port: number };
  quality: {
    frozen?: {
      min_repeats: number;
      min_duration_ms: number;
      metrics?: string[];
    };
    ranges: { metric: string; min?: number; max?: number }[];
  };
  log: { level: string };
  [protocol: string]: unknown;
}
