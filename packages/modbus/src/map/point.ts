import type { ConfigIssue } from "@qubit/core";
import type { PointConfig } from "../config.js";
import { isBitTable, type RegisterTable, resolveAddress } from "./address.js";
import {
  type ByteOrder,
  canonicalByteOrder,
  type RegisterType,
  registerCount,
} from "./codec.js";

/** A point of a register map, resolved and checked, ready to poll. */
export interface CompiledPoint {
  name: string;
  metric: string;
  table: RegisterTable;
  /** 0-based address of the first register or bit. */
  address: number;
  /** Registers (or bits) the point spans. */
  count: number;
  type: RegisterType;
  byteOrder: ByteOrder;
  /** Bit of the register for a bool point in a register table. */
  bit?: number;
  /** Flag names and bit indexes of a bitfield point. */
  bits?: [string, number][];
  /** String length in registers. */
  length: number;
  /** Divisor, 1 when none is set. */
  scale: number;
  /** Factor, 1 when none is set. */
  multiplier: number;
  /** Added after scaling. */
  offset: number;
  /** Name of the point whose value is the power-of-ten exponent. */
  scaleFactor?: string;
  unit?: string;
  counter: boolean;
  /** Largest plausible counter increase per second, in the point's unit. */
  maxRate?: number;
  /** Raw values that mean "not available". */
  notAvailable?: ReadonlySet<number>;
  /** Milliseconds between reads. */
  intervalMs: number;
  writable: boolean;
  /** Read for other points (a scale factor) but not emitted as a reading. */
  internal?: boolean;
  /** JSON pointer of the point in the config, for messages. */
  path: string;
}

/** Device-wide defaults a point inherits. */
export interface PointDefaults {
  byteOrder: string;
  addressing: "modicon" | "pdu" | "one_based";
  intervalMs: number;
}

const NUMERIC_TYPES = new Set<RegisterType>([
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "float32",
  "float64",
]);

/** Returns true for types whose value is a number that scaling applies to. */
export function isNumericType(type: RegisterType): boolean {
  return NUMERIC_TYPES.has(type);
}

/**
 * Resolves one point of a map and checks it. Returns the point, or
 * `undefined` when it has errors, plus every issue (errors and warnings)
 * with its path.
 */
export function compilePoint(
  name: string,
  config: PointConfig,
  defaults: PointDefaults,
  path: string,
): { point?: CompiledPoint; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const error = (at: string, message: string, fix: string, value?: unknown) =>
    issues.push({
      path: `${path}${at}`,
      message: `point "${name}": ${message}`,
      fix,
      value,
      severity: "error",
    });

  const resolved = resolveAddress(config, defaults.addressing);
  if ("message" in resolved) {
    error("/address", resolved.message, resolved.fix, config.address);
    return { issues };
  }
  const bitTable = isBitTable(resolved.table);
  const type: RegisterType = config.type ?? (bitTable ? "bool" : "uint16");
  const length = config.length ?? 1;

  if (bitTable && type !== "bool") {
    error(
      "/type",
      `${resolved.table} values are single bits, so type ${type} cannot be read from them`,
      'use type "bool", or a register reference (3xxxx/4xxxx) if the value is a register',
      type,
    );
  }
  if (!bitTable && type === "bool" && config.bit === undefined) {
    error(
      "/bit",
      "a bool point in a register table needs the bit to read",
      "add bit (0 = least significant), or use a coil or discrete input",
    );
  }
  if (config.bit !== undefined && (bitTable || type !== "bool")) {
    error(
      "/bit",
      "bit applies only to bool points in register tables",
      "remove bit, or set type to bool",
      config.bit,
    );
  }
  const bitfield = type === "bitfield16" || type === "bitfield32";
  if (bitfield) checkBits(config, type, error);
  else if (config.bits !== undefined) {
    error(
      "/bits",
      "bits applies only to bitfield16 and bitfield32",
      "remove bits, or change the type",
      config.bits,
    );
  }
  if (type === "string" && config.length === undefined) {
    error(
      "/length",
      "a string point needs its length in registers",
      "add length (registers, 2 characters each)",
    );
  }
  if (type !== "string" && config.length !== undefined) {
    error(
      "/length",
      "length applies only to strings",
      "remove length",
      config.length,
    );
  }
  checkScaling(config, type, error, issues, name, path);
  if (config.kind === "counter" && !isNumericType(type)) {
    error(
      "/kind",
      `a counter must be numeric, not ${type}`,
      "remove kind, or fix the type",
      config.kind,
    );
  }
  if (
    config.writable === true &&
    resolved.table !== "coil" &&
    resolved.table !== "holding_register"
  ) {
    error(
      "/writable",
      `${resolved.table} is read-only in Modbus`,
      "only coils and holding registers can be written",
    );
  }

  const count = bitTable ? 1 : registerCount(type, length);
  if (resolved.address + count - 1 > 65535) {
    error(
      "/address",
      `the value spans ${count} registers from ${resolved.address}, past address 65535`,
      "check the address and type",
      config.address,
    );
  }
  if (issues.some((issue) => issue.severity === "error")) return { issues };

  const point: CompiledPoint = {
    name,
    metric: config.metric ?? name,
    table: resolved.table,
    address: resolved.address,
    count,
    type,
    byteOrder: canonicalByteOrder(config.byte_order ?? defaults.byteOrder),
    length,
    scale: config.scale ?? 1,
    multiplier: config.multiplier ?? 1,
    offset: config.offset ?? 0,
    counter: config.kind === "counter",
    intervalMs:
      config.polling_interval === undefined
        ? defaults.intervalMs
        : Math.round(config.polling_interval * 1000),
    writable: config.writable === true,
    path,
  };
  if (config.bit !== undefined) point.bit = config.bit;
  if (config.bits !== undefined) point.bits = Object.entries(config.bits);
  if (config.scale_factor !== undefined)
    point.scaleFactor = config.scale_factor;
  if (config.unit !== undefined) point.unit = config.unit;
  if (config.max_rate !== undefined) point.maxRate = config.max_rate;
  if (config.not_available !== undefined) {
    point.notAvailable = new Set(config.not_available);
  }
  return { point, issues };
}

function checkBits(
  config: PointConfig,
  type: RegisterType,
  error: (at: string, message: string, fix: string, value?: unknown) => void,
): void {
  const width = type === "bitfield16" ? 16 : 32;
  if (!config.bits || Object.keys(config.bits).length === 0) {
    error(
      "/bits",
      `a ${type} point needs its flags`,
      'add bits, e.g. {"fault": 0, "running": 3}',
    );
    return;
  }
  for (const [flag, index] of Object.entries(config.bits)) {
    if (index >= width) {
      error(
        `/bits/${flag}`,
        `bit ${index} is outside a ${width}-bit field`,
        `use 0 to ${width - 1}`,
        index,
      );
    }
  }
}

function checkScaling(
  config: PointConfig,
  type: RegisterType,
  error: (at: string, message: string, fix: string, value?: unknown) => void,
  issues: ConfigIssue[],
  name: string,
  path: string,
): void {
  const scaled =
    config.scale !== undefined ||
    config.multiplier !== undefined ||
    config.offset !== undefined ||
    config.scale_factor !== undefined;
  if (scaled && !isNumericType(type)) {
    error(
      "/scale",
      `scaling applies to numbers, not ${type}`,
      "remove scale, multiplier, offset and scale_factor",
    );
    return;
  }
  if (config.scale !== undefined && config.multiplier !== undefined) {
    error(
      "/multiplier",
      "scale and multiplier are both set",
      "give one: scale divides (scale 10 is tenths), multiplier multiplies (multiplier 0.1 is tenths)",
    );
    return;
  }
  if (config.scale !== undefined && config.scale < 1) {
    issues.push({
      path: `${path}/scale`,
      message: `point "${name}": scale ${config.scale} divides, so raw values become ${1 / config.scale} times larger; this looks like a multiplier from another tool [QUBIT_MODBUS_SCALE_LOOKS_LIKE_MULTIPLIER]`,
      value: config.scale,
      fix: `if the value is raw * ${config.scale}, write multiplier: ${config.scale} (or scale: ${1 / config.scale})`,
      severity: "warning",
    });
  }
}
