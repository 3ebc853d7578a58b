import { type Static, Type } from "@sinclair/typebox";
import { TEMPLATE_FIELDS } from "./template.js";

/** Disk buffer settings that any output except stdout accepts. */
export const BufferConfigSchema = Type.Object(
  {
    path: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Folder of the buffer's queue files; default <data_dir>/buffer/<output name>",
      }),
    ),
    max_bytes: Type.Integer({
      minimum: 65_536,
      default: 1_073_741_824,
      description:
        "Maximum size of the queue files, in bytes; when full, writes fail and the pipeline slows the connectors down. Default 1 GiB",
    }),
    fsync: Type.Boolean({
      default: true,
      description:
        "Flush each buffered batch to the disk before it counts as accepted, so a power loss keeps it; false keeps it only across a process crash",
    }),
    retry_initial_delay_ms: Type.Integer({
      minimum: 1,
      default: 1_000,
      description:
        "First delay before the buffer retries the output, in milliseconds",
    }),
    retry_max_delay_ms: Type.Integer({
      minimum: 1,
      default: 30_000,
      description:
        "Maximum delay between the buffer's retries of the output, in milliseconds",
    }),
  },
  {
    additionalProperties: false,
    description:
      "Bounded disk buffer: batches the output fails to take wait on disk and are sent in order when it recovers",
  },
);

const name = Type.Optional(
  Type.String({
    minLength: 1,
    pattern: "^[A-Za-z0-9_.-]+$",
    description:
      "Output name in logs, metrics and the default buffer folder; default <type>-<index>",
  }),
);

const buffer = Type.Optional(BufferConfigSchema);

// A template may use only the reading fields that the renderer supports,
// so a typo fails at config validation instead of at the first reading.
const templatePattern = `^([^{}]|\\{(${TEMPLATE_FIELDS.join("|")})\\})*$`;
const templateFields = TEMPLATE_FIELDS.map((field) => `{${field}}`).join(", ");

const timeoutMs = (what: string, fallback: number) =>
  Type.Integer({
    minimum: 1,
    default: fallback,
    description: `${what}, in milliseconds`,
  });

/** The embedded SQLite store. */
export const SqliteOutputConfigSchema = Type.Object(
  {
    type: Type.Literal("sqlite"),
    name,
    path: Type.Optional(
      Type.String({
        description: "Database file; default <data_dir>/qubit.db",
      }),
    ),
    buffer,
  },
  {
    additionalProperties: false,
    description: "Embedded SQLite store (the default)",
  },
);

/** NDJSON on standard output. */
export const StdoutOutputConfigSchema = Type.Object(
  { type: Type.Literal("stdout"), name },
  { additionalProperties: false, description: "NDJSON on standard output" },
);

/** An NDJSON file. */
export const FileOutputConfigSchema = Type.Object(
  {
    type: Type.Literal("file"),
    name,
    path: Type.String({ description: "NDJSON file, appended to" }),
    buffer,
  },
  { additionalProperties: false, description: "NDJSON file" },
);

/** A PostgreSQL (or TimescaleDB) table. */
export const PostgresOutputConfigSchema = Type.Object(
  {
    type: Type.Literal("postgres"),
    name,
    connection_string: Type.Optional(
      Type.String({
        description:
          "postgres://user:password@host:5432/database, with ?sslmode=require for TLS; put the password in ${VAR}. Default: the PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD environment variables",
        // Read by the config check of @qubit/core: an unknown key with
        // one of these names gets "did you mean connection_string".
        "x-mistaken-names": [
          "url",
          "uri",
          "dsn",
          "connection_url",
          "database_url",
        ],
      }),
    ),
    schema: Type.String({
      minLength: 1,
      default: "public",
      description: "Schema of the readings table",
    }),
    table: Type.String({
      minLength: 1,
      default: "readings",
      description: "Readings table, created when missing",
    }),
    create_table: Type.Boolean({
      default: true,
      description:
        "Create the table and its index when missing; false requires an existing table",
    }),
    hypertable: Type.Boolean({
      default: true,
      description:
        "Make a table that this output creates a TimescaleDB hypertable when the timescaledb extension is installed in the database",
    }),
    application_name: Type.String({
      default: "qubit-connectors",
      description:
        "application_name of the sessions, as pg_stat_activity shows",
    }),
    timeout_ms: timeoutMs("Connect and statement timeout", 30_000),
    buffer,
  },
  {
    additionalProperties: false,
    description:
      "PostgreSQL table (a TimescaleDB hypertable when the extension is installed), one INSERT per batch",
  },
);

/** NATS JetStream. */
export const NatsOutputConfigSchema = Type.Object(
  {
    type: Type.Literal("nats"),
    name,
    servers: Type.Union(
      [
        Type.String({ minLength: 1 }),
        Type.Array(Type.String({ minLength: 1 })),
      ],
      {
        default: "nats://127.0.0.1:4222",
        description: "NATS server URL or list of URLs",
      },
    ),
    subject: Type.String({
      minLength: 1,
      pattern: templatePattern,
      default: "qubit.readings.{asset_id}.{metric}",
      description: `Subject of each reading; fields: ${templateFields}. Dots, spaces, * and > in field values become _`,
    }),
    stream: Type.String({
      minLength: 1,
      pattern: "^[^.*>\\s/\\\\]+$",
      default: "QUBIT_READINGS",
      description: "JetStream stream that stores the readings",
    }),
    create_stream: Type.Boolean({
      default: true,
      description: "Create the stream when missing",
    }),
    stream_subjects: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description:
          "Subjects of a stream this output creates; default the subject template with each field token as *",
      }),
    ),
    duplicate_window_ms: Type.Integer({
      minimum: 1_000,
      default: 120_000,
      description:
        "Duplicate window of a stream this output creates, in milliseconds: a reading id sent again within it is stored once",
    }),
    user: Type.Optional(Type.String({ description: "User name" })),
    password: Type.Optional(
      Type.String({ description: "Password, best given as ${VAR}" }),
    ),
    token: Type.Optional(
      Type.String({
        description: "Authentication token, best given as ${VAR}",
      }),
    ),
    timeout_ms: timeoutMs(
      "Connect and publish acknowledgement timeout",
      10_000,
    ),
    buffer,
  },
  {
    additionalProperties: false,
    description:
      "NATS JetStream: one message per reading, de-duplicated by reading id",
  },
);

/** An MQTT broker that readings are republished to. */
export const MqttOutputConfigSchema = Type.Object(
  {
    type: Type.Literal("mqtt"),
    name,
    broker: Type.String({
      minLength: 1,
      description: "Broker URL: mqtt://, mqtts://, ws:// or wss://",
    }),
    client_id: Type.Optional(
      Type.String({
        description:
          "Client identifier; default qubit-output- and a random suffix",
      }),
    ),
    topic: Type.String({
      minLength: 1,
      pattern: templatePattern,
      default: "qubit/readings/{asset_id}/{metric}",
      description: `Topic of each reading; fields: ${templateFields}. / + # in field values become _`,
    }),
    qos: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], {
      default: 1,
      description: "Publish QoS; 1 or 2 waits for the broker's acknowledgement",
    }),
    retain: Type.Boolean({
      default: false,
      description: "Publish with the retain flag",
    }),
    protocol_version: Type.Union([Type.Literal(4), Type.Literal(5)], {
      default: 4,
      description: "4 for MQTT 3.1.1, 5 for MQTT 5.0",
    }),
    keepalive: Type.Integer({
      minimum: 0,
      default: 60,
      description: "Keep-alive interval, in seconds",
    }),
    auth: Type.Optional(
      Type.Object(
        {
          username: Type.String({ description: "User name" }),
          password: Type.Optional(
            Type.String({ description: "Password, best given as ${VAR}" }),
          ),
        },
        { additionalProperties: false, description: "Broker credentials" },
      ),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          ca_certs: Type.Optional(
            Type.String({ description: "CA certificate file (PEM)" }),
          ),
          certfile: Type.Optional(
            Type.String({ description: "Client certificate file (PEM)" }),
          ),
          keyfile: Type.Optional(
            Type.String({ description: "Client private key file (PEM)" }),
          ),
          insecure: Type.Boolean({
            default: false,
            description:
              "Skip the broker certificate check; for tests only, logged as a warning",
          }),
        },
        { additionalProperties: false, description: "TLS settings" },
      ),
    ),
    timeout_ms: timeoutMs("Connect and acknowledgement timeout", 10_000),
    buffer,
  },
  {
    additionalProperties: false,
    description: "MQTT republish: one message per reading",
  },
);

/** An HTTP endpoint that receives each batch as a JSON array. */
export const WebhookOutputConfigSchema = Type.Object(
  {
    type: Type.Literal("webhook"),
    name,
    url: Type.String({
      pattern: "^https?://",
      description: "Endpoint that receives each batch by POST",
    }),
    headers: Type.Record(Type.String(), Type.String(), {
      default: {},
      description:
        "Request headers, for example authorization: Bearer ${WEBHOOK_TOKEN}",
    }),
    timeout_ms: timeoutMs("Timeout of one request", 10_000),
    max_attempts: Type.Integer({
      minimum: 1,
      default: 3,
      description:
        "Requests per batch before the write fails and the pipeline or the buffer takes over",
    }),
    retry_initial_delay_ms: Type.Integer({
      minimum: 1,
      default: 1_000,
      description: "First delay between attempts, in milliseconds",
    }),
    retry_max_delay_ms: Type.Integer({
      minimum: 1,
      default: 60_000,
      description: "Maximum delay between attempts, in milliseconds",
    }),
    retry_after_max_ms: Type.Integer({
      minimum: 0,
      default: 300_000,
      description:
        "Maximum wait that a Retry-After header can set, in milliseconds",
    }),
    buffer,
  },
  {
    additionalProperties: false,
    description: "HTTP webhook: a JSON array of readings per batch, by POST",
  },
);

/** Disk buffer settings, with defaults applied. */
export type BufferConfig = Static<typeof BufferConfigSchema>;
/** Settings of the `postgres` output, with defaults applied. */
export type PostgresOutputConfig = Static<typeof PostgresOutputConfigSchema>;
/** Settings of the `nats` output, with defaults applied. */
export type NatsOutputConfig = Static<typeof NatsOutputConfigSchema>;
/** Settings of the `mqtt` output, with defaults applied. */
export type MqttOutputConfig = Static<typeof MqttOutputConfigSchema>;
/** Settings of the `webhook` output, with defaults applied. */
export type WebhookOutputConfig = Static<typeof WebhookOutputConfigSchema>;
