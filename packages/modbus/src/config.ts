import { type Static, type TSchema, Type } from "@sinclair/typebox";

const literals = <T extends string>(values: readonly T[], options: object) =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  );

/** Data types a point can have. */
export const POINT_TYPES = [
  "bool",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "float32",
  "float64",
  "string",
  "bitfield16",
  "bitfield32",
] as const;

/** Byte and word orders; the 8-letter forms are aliases for 64-bit values. */
export const BYTE_ORDERS = [
  "ABCD",
  "CDAB",
  "BADC",
  "DCBA",
  "ABCDEFGH",
  "GHEFCDAB",
  "BADCFEHG",
  "HGFEDCBA",
] as const;

/** Register tables, with the short names users write. */
export const TABLE_NAMES = [
  "coil",
  "discrete_input",
  "input_register",
  "holding_register",
  "coils",
  "discrete",
  "input",
  "holding",
] as const;

/** Addressing conventions of a point's `address`. */
export const ADDRESSING_MODES = ["modicon", "pdu", "one_based"] as const;

const BYTE_ORDER_TEXT =
  "Byte and word order of multi-register values: ABCD big-endian, CDAB low word first, BADC bytes swapped in each word, DCBA both";
const ADDRESSING_TEXT =
  "How `address` is read: modicon (00001 coils, 10001 discrete inputs, 30001 input registers, 40001 holding registers, and the six-digit 400001 forms), pdu (0-based address on the wire, needs table or function) or one_based (register number from 1, needs table or function)";

const byteOrder = literals(BYTE_ORDERS, { description: BYTE_ORDER_TEXT });
const addressing = literals(ADDRESSING_MODES, {
  description: ADDRESSING_TEXT,
});

/** One point of a register map: a value read from one or more registers. */
export const PointSchema = Type.Object(
  {
    address: Type.Union([Type.Integer({ minimum: 0 }), Type.String()], {
      description:
        'Where the value starts: a Modicon reference such as 40001 or "400001", a number in the `addressing` convention, or "holding:57600" (table and 0-based address)',
    }),
    addressing: Type.Optional(addressing),
    table: Type.Optional(
      literals(TABLE_NAMES, {
        description:
          "Register table of a pdu or one_based address: coil, discrete_input, input_register or holding_register",
      }),
    ),
    function: Type.Optional(
      Type.Union(
        [1, 2, 3, 4].map((code) => Type.Literal(code)),
        {
          description:
            "Read function code instead of table: 1 coils, 2 discrete inputs, 3 holding registers, 4 input registers",
        },
      ),
    ),
    type: Type.Optional(
      literals(POINT_TYPES, {
        default: "uint16",
        description:
          "Data type; bool for coils and discrete inputs, or for one bit of a register with `bit`",
      }),
    ),
    bit: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 15,
        description:
          "Bit of the register for a bool point, 0 = least significant",
      }),
    ),
    bits: Type.Optional(
      Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: 31 }), {
        description:
          "For bitfield16/bitfield32: flag name to bit index; each flag becomes a boolean reading <point>.<flag>",
      }),
    ),
    length: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 125,
        description: "Length of a string in registers (2 characters each)",
      }),
    ),
    byte_order: Type.Optional(byteOrder),
    scale: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description:
          "Divisor: the value is raw / scale (raw 123456 with scale 100 is 1234.56)",
      }),
    ),
    multiplier: Type.Optional(
      Type.Number({
        description: "Factor: the value is raw * multiplier (0.1 for tenths)",
      }),
    ),
    offset: Type.Optional(
      Type.Number({
        description: "Added to the value after scale and multiplier",
      }),
    ),
    scale_factor: Type.Optional(
      Type.String({
        description:
          "Name of an int16 point of the same device that holds a power-of-ten exponent (SunSpec sunssf): the value is multiplied by 10^exponent",
      }),
    ),
    unit: Type.Optional(
      Type.String({ description: "Unit of the value after scaling, e.g. kW" }),
    ),
    kind: Type.Optional(
      literals(["gauge", "counter"] as const, {
        default: "gauge",
        description:
          "counter marks a cumulative register (energy); a decrease, a rollover or a jump is flagged instead of stored as a good reading",
      }),
    ),
    max_rate: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description:
          "For counters: largest plausible increase per second, in the point's unit; faster rises are flagged as glitches",
      }),
    ),
    not_available: Type.Optional(
      Type.Array(Type.Integer(), {
        description:
          "Raw values that mean 'not available' (for example 65535 or -32768); they give a null reading of quality missing",
      }),
    ),
    polling_interval: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description:
          "Seconds between reads of this point; points with the same interval are read together",
      }),
    ),
    writable: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          "Allow writes to this coil or holding register through the write API",
      }),
    ),
    metric: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Metric name of the readings; default the point's name",
      }),
    ),
    enabled: Type.Optional(
      Type.Boolean({
        default: true,
        description: "false skips the point (useful to drop one of a profile)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** One point of a register map. */
export type PointConfig = Static<typeof PointSchema>;

const registers = Type.Record(Type.String({ minLength: 1 }), PointSchema, {
  description: "Register map: point name to point",
});

const DEVICE_FIELDS = {
  unit_id: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 255,
      default: 1,
      description: "Modbus unit id (slave address) of the device",
    }),
  ),
  asset_id: Type.Optional(
    Type.String({
      minLength: 1,
      description: "asset_id of the readings; default the device name",
    }),
  ),
  site_id: Type.Optional(
    Type.String({ minLength: 1, description: "site_id of the readings" }),
  ),
  org_id: Type.Optional(
    Type.String({ minLength: 1, description: "org_id of the readings" }),
  ),
  device_id: Type.Optional(
    Type.String({ minLength: 1, description: "device_id of the readings" }),
  ),
  profile: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "Name of a built-in device profile (register map) such as eastron-sdm630; points in `registers` add to it or replace its points of the same name",
    }),
  ),
  sunspec: Type.Optional(
    Type.Union(
      [
        Type.Boolean(),
        Type.Object(
          {
            base_address: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: 65535,
                description:
                  "0-based holding register of the 'SunS' marker; default: try 40000, 50000 and 0",
              }),
            ),
            models: Type.Optional(
              Type.Array(Type.Integer({ minimum: 1 }), {
                description:
                  "Model ids to read; default every known model found",
              }),
            ),
          },
          { additionalProperties: false },
        ),
      ],
      {
        description:
          "Discover the device's SunSpec models at start and read them without a register map",
      },
    ),
  ),
  registers: Type.Optional(registers),
  polling_interval: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      description: "Seconds between polls of this device",
    }),
  ),
  byte_order: Type.Optional(byteOrder),
  addressing: Type.Optional(addressing),
  max_gap: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 124,
      description:
        "Unused registers (or coils) a read may span to join two points into one request",
    }),
  ),
};

/** One device (unit id) on a connection. */
export const DeviceSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      description: "Device name; the asset_id of its readings by default",
    }),
    ...DEVICE_FIELDS,
  },
  { additionalProperties: false },
);

/** One device on a connection. */
export type DeviceConfig = Static<typeof DeviceSchema>;

/**
 * One Modbus connection (a TCP peer or a serial line) and its devices. The
 * seed's flat form (registers at the top level) is one device; `devices`
 * lists several unit ids on the same connection.
 */
export const ModbusConfigSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, description: "Connector instance name" }),
    ),
    protocol: Type.Optional(
      literals(["tcp", "rtu", "rtu_over_tcp"] as const, {
        default: "tcp",
        description:
          "tcp (Modbus TCP), rtu (serial line) or rtu_over_tcp (RTU frames through a TCP serial gateway)",
      }),
    ),
    host: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Host of a tcp or rtu_over_tcp device or gateway",
      }),
    ),
    port: Type.Optional(
      Type.Union(
        [
          Type.Integer({ minimum: 1, maximum: 65535 }),
          Type.String({ minLength: 1 }),
        ],
        {
          description:
            "TCP port (default 502), or the serial device path for rtu, e.g. /dev/ttyUSB0",
        },
      ),
    ),
    baudrate: Type.Optional(
      Type.Integer({
        minimum: 50,
        default: 9600,
        description: "Serial speed in bit/s",
      }),
    ),
    parity: Type.Optional(
      literals(
        ["none", "even", "odd", "mark", "space", "N", "E", "O"] as const,
        {
          default: "none",
          description: "Serial parity",
        },
      ),
    ),
    stopbits: Type.Optional(
      Type.Union([Type.Literal(1), Type.Literal(2)], {
        default: 1,
        description: "Serial stop bits",
      }),
    ),
    bytesize: Type.Optional(
      Type.Union(
        [5, 6, 7, 8].map((size) => Type.Literal(size)),
        {
          default: 8,
          description: "Serial data bits",
        },
      ),
    ),
    timeout: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        default: 1,
        description: "Seconds to wait for each response (and for connecting)",
      }),
    ),
    retries: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10,
        default: 1,
        description:
          "Times a request that timed out or got exception 06 is sent again",
      }),
    ),
    retry_delay_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 100,
        description:
          "First delay before sending a failed request again, in ms; doubles per retry",
      }),
    ),
    reconnect_max_delay_ms: Type.Optional(
      Type.Integer({
        minimum: 100,
        default: 30_000,
        description:
          "Longest delay between reconnect attempts, and between probes of an unreachable device, in ms",
      }),
    ),
    fault_repeat_interval: Type.Optional(
      Type.Number({
        minimum: 0,
        default: 600,
        description:
          "Seconds between two dead letters or diagnostics of a read that keeps failing the same way; the repeats in between are counted in the metric qubit_modbus_faults_suppressed_total and in health",
      }),
    ),
    inter_frame_delay_ms: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          "Silence before each RTU request, in ms; default 3.5 character times at the baud rate (1.75 ms above 19200 bit/s)",
      }),
    ),
    max_concurrent_requests: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 16,
        default: 1,
        description:
          "Requests in flight at once on a tcp connection (matched by transaction id); serial lines always send one at a time",
      }),
    ),
    devices: Type.Optional(
      Type.Array(DeviceSchema, {
        description: "Devices (unit ids) on this connection",
      }),
    ),
    ...DEVICE_FIELDS,
    polling_interval: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        default: 5,
        description:
          "Seconds between polls; devices and points may override it",
      }),
    ),
    byte_order: Type.Optional(
      literals(BYTE_ORDERS, { default: "ABCD", description: BYTE_ORDER_TEXT }),
    ),
    addressing: Type.Optional(
      literals(ADDRESSING_MODES, {
        default: "modicon",
        description: ADDRESSING_TEXT,
      }),
    ),
    max_gap: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 124,
        default: 10,
        description:
          "Unused registers (or coils) a read may span to join two points into one request",
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "One Modbus TCP or RTU connection and the devices read over it",
  },
);

/** One Modbus connection and its devices, as validated. */
export type ModbusConfig = Static<typeof ModbusConfigSchema>;

/** The schema as a plain TSchema, for the runner. */
export const modbusConfigSchema: TSchema = ModbusConfigSchema;
