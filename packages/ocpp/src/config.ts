import { type Static, type TSchema, Type } from "@sinclair/typebox";

const VersionSchema = Type.Union(
  [Type.Literal("1.6"), Type.Literal("1.6J"), Type.Literal("2.0.1")],
  { description: "OCPP version: 1.6 (also written 1.6J) or 2.0.1" },
);

const EnergyUnitSchema = Type.Union([Type.Literal("Wh"), Type.Literal("kWh")], {
  description:
    "Unit the charger's energy registers really use, whatever their unit label says (some firmware labels kWh values as Wh)",
});

/** One charge point in the central system's or proxy's registry. */
export const ChargePointEntrySchema = Type.Object(
  {
    password_hash: Type.Optional(
      Type.String({
        description:
          "scrypt hash of the basic-auth password, as printed by `qubit ocpp hash-password`: scrypt$N$r$p$salt$hash (base64)",
      }),
    ),
    password: Type.Optional(
      Type.String({
        description:
          "Plain basic-auth password; for tests and ${VAR} substitution only, prefer password_hash",
      }),
    ),
    energy_unit: Type.Optional(EnergyUnitSchema),
    upstream_password: Type.Optional(
      Type.String({
        description:
          "Proxy role: password for the upstream CSMS; default the charger's own",
      }),
    ),
  },
  { additionalProperties: false },
);

const TlsServerSchema = Type.Object(
  {
    cert_file: Type.String({ description: "PEM server certificate (chain)" }),
    key_file: Type.String({
      description: "PEM private key of the certificate",
    }),
    ca_file: Type.Optional(
      Type.String({
        description:
          "PEM CA that signed the charge points' client certificates (security profile 3)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Settings the central system and the proxy share: how chargers reach us. */
const listenFields = {
  name: Type.Optional(Type.String({ description: "Connector instance name" })),
  host: Type.String({
    default: "127.0.0.1",
    description:
      "Address to listen on. The default accepts connections from this machine only (tests, or a TLS-terminating reverse proxy); set 0.0.0.0 to accept charge points from the network",
  }),
  port: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 9000,
    description: "Port to listen on; 0 picks a free port",
  }),
  path: Type.String({
    default: "/ocpp",
    pattern: "^/",
    description:
      "Path before the charge point id: chargers connect to <path>/<charge_point_id>",
  }),
  versions: Type.Array(VersionSchema, {
    minItems: 1,
    default: ["2.0.1", "1.6"],
    description:
      "Versions accepted, most preferred first; the subprotocol is negotiated per connection",
  }),
  security_profile: Type.Union(
    [Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3)],
    {
      default: 0,
      description:
        "0 no authentication; 1 basic auth; 2 basic auth over TLS; 3 TLS with client certificates",
    },
  ),
  tls: Type.Optional(TlsServerSchema),
  charge_points: Type.Record(Type.String(), ChargePointEntrySchema, {
    default: {},
    description: "Known charge points by id, with their credentials and quirks",
  }),
  unknown_charge_points: Type.Union(
    [Type.Literal("accept"), Type.Literal("pending"), Type.Literal("reject")],
    {
      default: "accept",
      description:
        "Charge points not in charge_points: accept them, accept them as Pending at BootNotification, or reject the connection",
    },
  ),
  max_message_bytes: Type.Integer({
    minimum: 1024,
    default: 65_536,
    description:
      "Largest frame handled normally, in bytes; a larger CALL gets a CALLERROR, and a frame over 16 times this closes the connection",
  }),
  rate_limit: Type.Object(
    {
      calls_per_second: Type.Number({
        exclusiveMinimum: 0,
        default: 20,
        description: "Sustained CALLs per second allowed per charge point",
      }),
      burst: Type.Integer({
        minimum: 1,
        default: 100,
        description:
          "CALLs a charge point may send at once above the sustained rate",
      }),
    },
    { additionalProperties: false, default: {} },
  ),
  ping_interval_ms: Type.Integer({
    minimum: 0,
    default: 30_000,
    description: "WebSocket ping interval in milliseconds; 0 disables pings",
  }),
  call_timeout_ms: Type.Integer({
    minimum: 100,
    default: 30_000,
    description: "Timeout for the response to a CALL we send, in milliseconds",
  }),
};

/** The central system role: chargers connect to us. */
export const CentralSystemConfigSchema = Type.Object(
  {
    role: Type.Literal("central_system", {
      description:
        "Central system (CSMS): charge points connect to this server",
    }),
    ...listenFields,
    heartbeat_interval_s: Type.Integer({
      minimum: 1,
      default: 300,
      description:
        "Heartbeat interval sent in BootNotification responses, in seconds",
    }),
    id_tags: Type.Record(
      Type.String(),
      Type.Object(
        {
          status: Type.Union(
            [Type.Literal("Accepted"), Type.Literal("Blocked")],
            {
              default: "Accepted",
            },
          ),
          expiry_date: Type.Optional(
            Type.String({
              description: "ISO 8601; the tag is Expired after it",
            }),
          ),
        },
        { additionalProperties: false },
      ),
      {
        default: {},
        description: "Id tags (RFID cards, tokens) and their status",
      },
    ),
    unknown_id_tags: Type.Union(
      [Type.Literal("accept"), Type.Literal("reject")],
      {
        default: "accept",
        description: "Authorization status for id tags not in id_tags",
      },
    ),
    data_transfer_status: Type.Union(
      [
        Type.Literal("Accepted"),
        Type.Literal("Rejected"),
        Type.Literal("UnknownVendorId"),
      ],
      {
        default: "Accepted",
        description: "Status sent in DataTransfer responses",
      },
    ),
    acknowledge: Type.Union(
      [Type.Literal("stored"), Type.Literal("received")],
      {
        default: "stored",
        description:
          "stored: send the CALLRESULT once the readings are written (at-least-once delivery); received: send it at once",
      },
    ),
    command_queue: Type.Object(
      {
        max_per_charge_point: Type.Integer({
          minimum: 1,
          default: 100,
          description: "Commands held for an offline charge point",
        }),
        expiry_ms: Type.Integer({
          minimum: 1,
          default: 86_400_000,
          description: "How long a queued command waits, in milliseconds",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, title: "OCPP central system" },
);

/** The charge point client role: we connect to a CSMS as one charge point. */
export const ClientConfigSchema = Type.Object(
  {
    role: Type.Optional(
      Type.Literal("client", {
        description: "Charge point client (the default role)",
      }),
    ),
    name: Type.Optional(
      Type.String({ description: "Connector instance name" }),
    ),
    version: VersionSchema,
    websocket_url: Type.String({
      pattern: "^wss?://",
      description:
        "CSMS endpoint; the charge point id is appended as the last path segment",
    }),
    charge_point_id: Type.String({
      minLength: 1,
      description: "Charge point id (identity)",
    }),
    auth: Type.Optional(
      Type.Object(
        {
          basic_auth: Type.Optional(
            Type.Object(
              {
                username: Type.String({
                  description:
                    "Must equal charge_point_id in OCPP security profiles 1 and 2",
                }),
                password: Type.String({ description: "Basic-auth password" }),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          ca_file: Type.Optional(
            Type.String({ description: "PEM CA to trust for wss://" }),
          ),
          cert_file: Type.Optional(
            Type.String({
              description: "PEM client certificate (security profile 3)",
            }),
          ),
          key_file: Type.Optional(
            Type.String({ description: "PEM key of the client certificate" }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    connectors: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 1,
      description:
        "Connectors (1.6) or EVSEs (2.0.1) of the charge point; each gets a StatusNotification Available after every accepted BootNotification",
    }),
    vendor: Type.String({
      minLength: 1,
      maxLength: 20,
      default: "Qubit",
      description:
        "Vendor name sent in BootNotification (chargePointVendor in 1.6)",
    }),
    model: Type.String({
      minLength: 1,
      maxLength: 20,
      default: "Qubit Connectors",
      description: "Model sent in BootNotification (chargePointModel in 1.6)",
    }),
    reconnect_initial_delay_ms: Type.Integer({
      minimum: 1,
      default: 1_000,
      description:
        "First reconnect delay in milliseconds; doubles up to the maximum",
    }),
    reconnect_max_delay_ms: Type.Integer({
      minimum: 1,
      default: 30_000,
      description: "Longest reconnect delay in milliseconds",
    }),
    call_timeout_ms: Type.Integer({
      minimum: 100,
      default: 30_000,
      description: "Timeout for the CSMS's response, in milliseconds",
    }),
    offline_queue_max: Type.Integer({
      minimum: 1,
      default: 10_000,
      description:
        "Transaction messages kept while offline; the oldest meter values go first when full",
    }),
    simulation: Type.Optional(
      Type.Object(
        {
          sessions: Type.Integer({
            minimum: 0,
            default: 1,
            description:
              "Charging sessions to run one after another; 0 runs until stopped",
          }),
          session_duration_s: Type.Number({
            exclusiveMinimum: 0,
            default: 60,
            description: "Length of each session, in seconds",
          }),
          meter_interval_s: Type.Number({
            exclusiveMinimum: 0,
            default: 10,
            description: "MeterValues interval during a session, in seconds",
          }),
          power_w: Type.Number({
            exclusiveMinimum: 0,
            default: 7_400,
            description: "Charging power, in watts",
          }),
          id_tag: Type.String({
            default: "SIMULATED-TAG",
            description: "Id tag presented",
          }),
        },
        {
          additionalProperties: false,
          description:
            "Drive simulated charging sessions (qubit simulate ocpp, qubit demo)",
        },
      ),
    ),
  },
  { additionalProperties: false, title: "OCPP charge point client" },
);

/** The proxy (tap) role: chargers connect to us, we forward to their CSMS. */
export const ProxyConfigSchema = Type.Object(
  {
    role: Type.Literal("proxy", {
      description:
        "Proxy: forward every frame to an upstream CSMS and read what passes",
    }),
    ...listenFields,
    upstream: Type.Object(
      {
        websocket_url: Type.String({
          pattern: "^wss?://",
          description: "Upstream CSMS endpoint; each charger's id is appended",
        }),
        ca_file: Type.Optional(
          Type.String({ description: "PEM CA to trust for wss://" }),
        ),
        reconnect_max_delay_ms: Type.Integer({
          minimum: 1,
          default: 30_000,
          description:
            "Longest reconnect delay to the upstream, in milliseconds",
        }),
      },
      { additionalProperties: false },
    ),
    offline_answers: Type.Union(
      [Type.Literal("accept"), Type.Literal("none")],
      {
        default: "accept",
        description:
          "While the upstream is down: accept responds to calls like a permissive CSMS and replays them upstream later; none leaves them without a response",
      },
    ),
    offline_queue_max: Type.Integer({
      minimum: 1,
      default: 10_000,
      description: "Frames per charger kept for the upstream while it is down",
    }),
  },
  { additionalProperties: false, title: "OCPP proxy" },
);

/** One OCPP connector's config: charge point client, central system or proxy. */
export const OcppConfigSchema: TSchema = Type.Union(
  [ClientConfigSchema, CentralSystemConfigSchema, ProxyConfigSchema],
  {
    description:
      "OCPP connector: without role a charge point client (the seed's config); role central_system or proxy for the server roles",
  },
);

export type CentralSystemConfig = Static<typeof CentralSystemConfigSchema>;
export type ClientConfig = Static<typeof ClientConfigSchema>;
export type ProxyConfig = Static<typeof ProxyConfigSchema>;
/** A validated OCPP connector config. */
export type OcppConfig = CentralSystemConfig | ClientConfig | ProxyConfig;
/** An entry of `charge_points`. */
export type ChargePointEntry = Static<typeof ChargePointEntrySchema>;
