import { type Static, Type } from "@sinclair/typebox";
import { DEFAULT_TOPIC_TEMPLATE } from "./topic/template.js";

/** Names of the built-in device presets. */
export const PRESET_NAMES = [
  "shelly",
  "tasmota",
  "opendtu",
  "victron",
  "zigbee2mqtt",
  "solar_assistant",
  "esphome",
  "deye",
] as const;

/** A built-in device preset name. */
export type PresetName = (typeof PRESET_NAMES)[number];

const SOURCE_HELP =
  "a constant, a template with {name} placeholders (topic template fields, {1} {2} ... for the wildcard levels of the filter, {topic}, {property.NAME} for an MQTT 5 user property), or a JSON path into the payload such as $.meta.id";

const PayloadFormatSchema = Type.Union(
  [
    Type.Literal("auto"),
    Type.Literal("json"),
    Type.Literal("number"),
    Type.Literal("boolean"),
    Type.Literal("text"),
    Type.Literal("protobuf"),
    Type.Literal("msgpack"),
  ],
  {
    default: "auto",
    description:
      "Payload format. auto: the MQTT 5 content type when there is one, else JSON when the payload parses as JSON, else a plain number, boolean or text",
  },
);

/** How one payload field becomes a reading. */
export const FieldMappingSchema = Type.Object(
  {
    metric: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Metric name; default the field path, such as Dc.Power",
      }),
    ),
    unit: Type.Optional(
      Type.String({
        description: "Unit of the value as the device sends it (kW, Wh, %)",
      }),
    ),
    scale: Type.Optional(
      Type.Number({
        description:
          "Multiplier applied to the value before the unit (0.001 turns mWh into Wh); default 1",
      }),
    ),
    ignore: Type.Optional(
      Type.Boolean({
        description: "true skips this field; default false",
      }),
    ),
  },
  { additionalProperties: false },
);

const RetainedPolicySchema = Type.Union(
  [Type.Literal("take"), Type.Literal("skip")],
  {
    description:
      "take: retained messages (replayed by the broker on subscribe) become readings; skip: they are acknowledged and dropped; default the connector's retained",
  },
);

/** A routing rule: which topics it applies to and how payloads map. */
export const RuleSchema = Type.Object(
  {
    filter: Type.String({
      minLength: 1,
      description:
        "Topic filter the rule applies to, with + and # wildcards; the first matching rule wins",
    }),
    format: PayloadFormatSchema,
    topic_template: Type.Optional(
      Type.String({
        description:
          "Template that names the levels of matching topics, such as {site_id}/{asset_id}/{metric}; default the connector's topic_template",
      }),
    ),
    org_id: Type.Optional(
      Type.String({
        description: `Organisation id: ${SOURCE_HELP}; default {org_id} of the topic template, else none`,
      }),
    ),
    site_id: Type.Optional(
      Type.String({
        description: `Site id: ${SOURCE_HELP}; default {site_id} of the topic template, else none`,
      }),
    ),
    asset_id: Type.Optional(
      Type.String({
        description: `Asset id: ${SOURCE_HELP}; default {asset_id} of the topic template`,
      }),
    ),
    device_id: Type.Optional(
      Type.String({
        description: `Device id: ${SOURCE_HELP}; default {device_id} of the topic template, else none`,
      }),
    ),
    metric: Type.Optional(
      Type.String({
        description: `Metric of a single-value payload, or the prefix of the field paths of a multi-value payload: ${SOURCE_HELP}; default the metric field of a payload with a value field, else {metric} of the topic template, else the last topic level`,
      }),
    ),
    value: Type.Optional(
      Type.String({
        description:
          "JSON path of the value, such as $.data.power; default the payload itself, its value field, or every field of a multi-value payload",
      }),
    ),
    unit: Type.Optional(
      Type.String({
        description: `Unit of a single-value payload: ${SOURCE_HELP}; default the payload's unit field`,
      }),
    ),
    timestamp: Type.Optional(
      Type.String({
        description: `Device timestamp: ${SOURCE_HELP}; default the payload's timestamp, ts or time field, else the receive time`,
      }),
    ),
    timestamp_format: Type.String({
      default: "auto",
      description:
        "auto (ISO 8601 or epoch seconds/milliseconds), iso8601, epoch_s, epoch_ms, or a strftime format such as %Y.%m.%d %H:%M:%S",
    }),
    timezone: Type.String({
      default: "UTC",
      description: "IANA zone of device timestamps that carry no offset",
    }),
    fields: Type.Record(Type.String(), FieldMappingSchema, {
      default: {},
      description:
        "Per-field mapping of multi-value payloads, keyed by field path (Dc.Power or $.Dc.Power)",
    }),
    only_mapped_fields: Type.Boolean({
      default: false,
      description:
        "When true, only the fields listed in fields become readings; otherwise every numeric, boolean or text field does",
    }),
    ignore_fields: Type.Array(Type.String(), {
      default: [],
      description: "Field paths that never become readings",
    }),
    scale: Type.Optional(
      Type.Number({
        description: "Multiplier applied to every numeric value; default 1",
      }),
    ),
    schema: Type.Optional(
      Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown())], {
        description:
          "JSON Schema (draft 2020-12 or 07) that JSON payloads must match, inline or as a file path; default none (no check)",
      }),
    ),
    protobuf: Type.Optional(
      Type.Object(
        {
          proto_file: Type.String({
            minLength: 1,
            description: ".proto file that defines the message type",
          }),
          message_type: Type.String({
            minLength: 1,
            description: "Fully qualified message type, such as energy.Meter",
          }),
        },
        {
          additionalProperties: false,
          description:
            "Protobuf decoding, for format protobuf: proto_file (the .proto file) and message_type (such as energy.Meter); default none",
        },
      ),
    ),
    retained: Type.Optional(RetainedPolicySchema),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "Constant fields added to the metadata of every reading; default none",
      }),
    ),
  },
  { additionalProperties: false },
);

const TopicEntrySchema = Type.Union([
  Type.String({ minLength: 1, description: "Topic filter" }),
  Type.Object(
    {
      filter: Type.String({ minLength: 1, description: "Topic filter" }),
      qos: Type.Optional(
        Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], {
          description: "QoS of this subscription; default the connector's qos",
        }),
      ),
    },
    { additionalProperties: false },
  ),
]);

const PresetEntrySchema = Type.Union([
  Type.Union(
    PRESET_NAMES.map((name) => Type.Literal(name)),
    { description: "Built-in device preset" },
  ),
  Type.Object(
    {
      preset: Type.Union(PRESET_NAMES.map((name) => Type.Literal(name))),
      base_topic: Type.Optional(
        Type.String({
          description:
            "First topic level(s) the devices publish under, when changed from the firmware default",
        }),
      ),
      timezone: Type.Optional(
        Type.String({
          description:
            "IANA zone of device times without an offset (Tasmota); default UTC",
        }),
      ),
    },
    { additionalProperties: false },
  ),
]);

/** The config of one MQTT connector (the `mqtt` section of a config file). */
export const MqttConfigSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Instance name in logs, metrics and readings; default mqtt (the runner names connectors from the config)",
      }),
    ),
    broker: Type.String({
      pattern: "^(mqtts?|wss?|tcp|ssl|tls)://",
      description:
        "Required. Broker URL: mqtt://host:1883, mqtts://host:8883, ws://host:8080/path or wss://host/path. A user:password@ part is used to log in and shown as ***@ in logs, errors and health",
    }),
    client_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 65535,
        description:
          "MQTT client id; required with clean_session false. Default: qubit_<name>_<random>, new for every connector",
      }),
    ),
    topics: Type.Array(TopicEntrySchema, {
      minItems: 1,
      description:
        "Required. Topic filters to subscribe to, with + and # wildcards and $share/GROUP/ prefixes; an object entry {filter, qos} sets the QoS of one filter",
    }),
    qos: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], {
      default: 1,
      description: "Subscription QoS: 0, 1 or 2",
    }),
    protocol_version: Type.Union(
      [
        Type.Literal("3.1.1"),
        Type.Literal("5.0"),
        Type.Literal("5"),
        Type.Literal(4),
        Type.Literal(5),
      ],
      {
        default: "3.1.1",
        description: "MQTT protocol version: 3.1.1 (or 4) or 5.0 (or 5)",
      },
    ),
    keepalive: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 60,
      description: "Keep-alive interval in seconds; 0 turns it off",
    }),
    clean_session: Type.Boolean({
      default: true,
      description:
        "true: start a new session on every connect. false: keep the session (subscriptions and unacknowledged QoS 1/2 messages) across reconnects and restarts; needs a fixed client_id",
    }),
    session_expiry_s: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 4294967295,
        description:
          "MQTT 5 session expiry interval in seconds; default 0 with clean_session true, 86400 with false",
      }),
    ),
    username: Type.Optional(
      Type.String({
        description:
          "User name; the same as auth.username; default none (anonymous)",
      }),
    ),
    password: Type.Optional(
      Type.String({
        description: "Password; the same as auth.password; default none",
      }),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          username: Type.String({
            description: "User name, for example ${MQTT_USERNAME}",
          }),
          password: Type.Optional(
            Type.String({
              description: "Password, for example ${MQTT_PASSWORD}",
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            "Login: username and password (use ${MQTT_USERNAME} and ${MQTT_PASSWORD}); default none (anonymous)",
        },
      ),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          ca_certs: Type.Optional(
            Type.String({
              description:
                "PEM file of the CA(s) that signed the broker certificate; default the system CAs",
            }),
          ),
          certfile: Type.Optional(
            Type.String({ description: "PEM client certificate file" }),
          ),
          keyfile: Type.Optional(
            Type.String({ description: "PEM private key of the certfile" }),
          ),
          passphrase: Type.Optional(
            Type.String({ description: "Passphrase of the keyfile" }),
          ),
          servername: Type.Optional(
            Type.String({
              description:
                "Host name to verify the certificate against; default the broker host",
            }),
          ),
          insecure: Type.Boolean({
            default: false,
            description:
              "true skips certificate and host name checks (logged as a warning); only for tests",
          }),
        },
        {
          additionalProperties: false,
          description:
            "TLS for mqtts:// and wss://: ca_certs (default the system CAs), certfile and keyfile (a client certificate, default none), passphrase, servername (default the broker host), insecure (default false)",
        },
      ),
    ),
    connect_timeout_ms: Type.Integer({
      minimum: 100,
      default: 30_000,
      description:
        "How long connect() keeps trying to reach the broker before it fails, in milliseconds",
    }),
    reconnect_initial_delay_ms: Type.Integer({
      minimum: 1,
      default: 1_000,
      description: "First reconnect delay, in milliseconds",
    }),
    reconnect_max_delay_ms: Type.Integer({
      minimum: 1,
      default: 60_000,
      description: "Maximum reconnect delay, in milliseconds",
    }),
    reconnect_multiplier: Type.Number({
      minimum: 1,
      default: 2,
      description: "Growth of the reconnect delay per failed attempt",
    }),
    reconnect_jitter: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: "Random share of each reconnect delay, 0 to 1",
    }),
    topic_template: Type.String({
      default: DEFAULT_TOPIC_TEMPLATE,
      description:
        "Names of the topic levels; {org_id}, {site_id}, {asset_id}, {device_id} and {metric} fill the reading",
    }),
    rules: Type.Array(RuleSchema, {
      default: [],
      description: "Routing rules, tried in order before the presets",
    }),
    presets: Type.Array(PresetEntrySchema, {
      default: [],
      description:
        "Built-in mappings for well-known devices: shelly, tasmota, opendtu, victron, zigbee2mqtt, solar_assistant, esphome, deye",
    }),
    retained: Type.Union([Type.Literal("take"), Type.Literal("skip")], {
      default: "take",
      description:
        "Default for retained messages: take turns them into readings, skip drops them; rules can override",
    }),
    max_payload_bytes: Type.Integer({
      minimum: 1,
      default: 262_144,
      description: "Payloads above this size in bytes are dead-lettered",
    }),
    max_inflight: Type.Integer({
      minimum: 1,
      maximum: 65_535,
      default: 1_000,
      description:
        "QoS 1/2 messages held before they are acknowledged; reading pauses above it. Sent as the MQTT 5 receive maximum",
    }),
    dedup_window: Type.Integer({
      minimum: 0,
      default: 10_000,
      description:
        "Recent QoS 1/2 messages remembered to drop broker redeliveries (DUP flag) with the same topic and payload; 0 disables",
    }),
    max_topics: Type.Integer({
      minimum: 0,
      default: 100_000,
      description:
        "Topics and series remembered for discovery; new ones above the limit are not announced",
    }),
    share_group: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: "^[^+#/]+$",
        description:
          "Subscribe through $share/<share_group>/ so that several connectors split the stream; default none",
      }),
    ),
    shutdown_timeout_ms: Type.Integer({
      minimum: 0,
      default: 10_000,
      description:
        "Longest disconnect() waits for the output to accept the messages already received, in milliseconds; QoS 1/2 messages still unacknowledged then are logged, and a persistent session gets them again on the next connect",
    }),
    strict_json: Type.Boolean({
      default: false,
      description:
        "true rejects a whole JSON payload with a bare NaN or Infinity token; false drops only those fields",
    }),
  },
  { additionalProperties: false, $id: "MqttConnectorConfig" },
);

/** A validated MQTT connector config. */
export type MqttConfig = Static<typeof MqttConfigSchema>;
/** One routing rule. */
export type MqttRule = Static<typeof RuleSchema>;
/** The mapping of one payload field. */
export type FieldMapping = Static<typeof FieldMappingSchema>;
/** A payload format name. */
export type PayloadFormat = Static<typeof PayloadFormatSchema>;
/** A preset as configured: a name or an object with options. */
export type PresetEntry = Static<typeof PresetEntrySchema>;

/** Returns the MQTT protocol level (4 or 5) of a config. */
export function protocolLevel(config: MqttConfig): 4 | 5 {
  const version = config.protocol_version;
  return version === 5 || version === "5" || version === "5.0" ? 5 : 4;
}

/** Returns the credentials of a config, from `auth` or the top-level keys. */
export function credentials(
  config: MqttConfig,
): { username: string; password: string | undefined } | undefined {
  if (config.auth)
    return { username: config.auth.username, password: config.auth.password };
  if (config.username !== undefined)
    return { username: config.username, password: config.password };
  return undefined;
}
