import {
  type ConversionResult,
  createReading,
  type Diagnostic,
  emptyResult,
  type Flag,
  markEstimated,
  type QubitError,
  type ReadingSource,
  type ReadingValue,
  roundConverted,
  type TimeSeries,
  toIsoUtc,
} from "@qubit/core";
import { ModbusExceptionError } from "../errors.js";
import { decodeRegisters, type RawValue } from "../map/codec.js";
import type { CompiledDevice } from "../map/compile.js";
import type { CompiledPoint } from "../map/point.js";
import { describeBlock, type ReadBlock } from "../plan/coalesce.js";
import type { CounterTracker } from "./counters.js";
import { blockSources, pointSource } from "./sources.js";

/** The outcome of one read: its data, or why it failed. */
export type BlockResult =
  | { block: ReadBlock; registers: readonly number[] }
  | { block: ReadBlock; bits: readonly boolean[] }
  | { block: ReadBlock; error: QubitError };

/** Context of one device poll for the decoder. */
export interface DecodeContext {
  device: CompiledDevice;
  connector: string;
  /** `host:port` or the serial path. */
  endpoint: string;
  /** Poll time, epoch ms: the timestamp of every reading. */
  timestamp: number;
  counters?: CounterTracker | undefined;
  /** The timestamp as ISO 8601, filled in once per poll. */
  isoTimestamp?: string;
  /**
   * Decides whether a failed read gets its dead letters or diagnostic;
   * by default every failure does. Null readings of a read without a
   * response are emitted either way.
   */
  report?: (block: ReadBlock, error: QubitError) => boolean;
}

const RAW_MAX: Readonly<Partial<Record<string, number>>> = {
  uint16: 0xffff,
  uint32: 0xffffffff,
  uint64: Number.MAX_SAFE_INTEGER,
};

/**
 * Decodes the blocks of one device poll into readings. Values are read in
 * the point's byte order and scaled as raw * multiplier / scale *
 * 10^scale_factor + offset. A read without a response gives null
 * readings flagged communication_error, and an exception response gives
 * rejects. Counters are checked against the previous poll.
 */
export function decodePoll(
  results: readonly BlockResult[],
  context: DecodeContext,
): ConversionResult {
  const result = emptyResult();
  const values = new Map<string, RawValue | boolean>();
  let decoded = 0;
  for (const entry of results) {
    if ("error" in entry) {
      failBlock(entry.block, entry.error, context, result);
      continue;
    }
    for (const point of entry.block.points) {
      decoded += 1;
      const offset = point.address - entry.block.start;
      if ("bits" in entry) {
        values.set(point.name, entry.bits[offset] === true);
      } else {
        values.set(
          point.name,
          decodeRegisters(
            entry.registers,
            offset,
            point.type,
            point.byteOrder,
            point.length,
          ),
        );
      }
    }
  }
  // A point read twice (possible only when blocks overlap) gives one
  // reading. The plan never overlaps blocks, so the set is rarely needed.
  const done = decoded > values.size ? new Set<string>() : undefined;
  for (const entry of results) {
    if ("error" in entry) continue;
    const points = entry.block.points;
    const sources = blockSources(entry.block, context);
    for (let index = 0; index < points.length; index += 1) {
      const point = points[index]!;
      if (point.internal) continue;
      if (done !== undefined) {
        if (done.has(point.name)) continue;
        done.add(point.name);
      }
      emitPoint(point, values, context, result, sources[index]!);
    }
  }
  return result;
}

function reading(
  point: CompiledPoint,
  metric: string,
  value: ReadingValue,
  context: DecodeContext,
  source: ReadingSource = pointSource(point, context),
  quality: "measured" | "missing" | "error" = "measured",
  flags?: Flag[],
): TimeSeries {
  const { device } = context;
  context.isoTimestamp ??= toIsoUtc(context.timestamp);
  return createReading({
    asset_id: device.assetId,
    metric,
    value,
    unit: typeof value === "number" || value === null ? point.unit : undefined,
    timestamp: context.isoTimestamp,
    site_id: device.siteId,
    org_id: device.orgId,
    device_id: device.deviceId,
    quality,
    flags,
    source,
  });
}

function emitPoint(
  point: CompiledPoint,
  values: ReadonlyMap<string, RawValue | boolean>,
  context: DecodeContext,
  result: ConversionResult,
  source: ReadingSource,
): void {
  const raw = values.get(point.name)!;
  if (typeof raw === "boolean") {
    result.readings.push(reading(point, point.metric, raw, context, source));
    return;
  }
  if (point.type === "bool") {
    const on = ((Number(raw) >> (point.bit ?? 0)) & 1) === 1;
    result.readings.push(reading(point, point.metric, on, context, source));
    return;
  }
  if (point.bits) {
    for (const [flag, index] of point.bits) {
      const on = Number((BigInt(raw) >> BigInt(index)) & 1n) === 1;
      result.readings.push(
        reading(point, `${point.metric}.${flag}`, on, context, source),
      );
    }
    return;
  }
  if (typeof raw === "string") {
    result.readings.push(reading(point, point.metric, raw, context, source));
    return;
  }
  const value = scaledValue(point, raw, values, context, result, source);
  if (value === undefined) return;
  const built = reading(point, point.metric, value, context, source);
  if (point.counter && context.counters) {
    checkCounter(point, built, value, context, result);
  }
  result.readings.push(built);
}

function scaledValue(
  point: CompiledPoint,
  raw: number | bigint,
  values: ReadonlyMap<string, RawValue | boolean>,
  context: DecodeContext,
  result: ConversionResult,
  source: ReadingSource,
): number | undefined {
  if (point.notAvailable?.has(Number(raw))) {
    result.readings.push(
      reading(point, point.metric, null, context, source, "missing"),
    );
    return undefined;
  }
  let number: number;
  if (typeof raw === "bigint") {
    number = Number(raw);
    result.diagnostics.push(
      pointDiagnostic(
        point,
        context,
        "QUBIT_MODBUS_PRECISION_LOST",
        `${point.type} value ${raw} is beyond 2^53 and was rounded to ${number}`,
        "use float64 or a scale if the device's value is fractional",
        raw.toString(),
      ),
    );
  } else number = raw;
  if (Number.isNaN(number)) {
    result.readings.push(
      reading(point, point.metric, null, context, source, "missing"),
    );
    return undefined;
  }
  if (!Number.isFinite(number)) {
    failPoint(
      point,
      context,
      result,
      `${point.type} value is ${number}, not a usable number`,
    );
    return undefined;
  }
  let value = number;
  const scaled =
    point.multiplier !== 1 ||
    point.scale !== 1 ||
    point.offset !== 0 ||
    point.scaleFactor !== undefined;
  if (point.multiplier !== 1) value *= point.multiplier;
  if (point.scale !== 1) value /= point.scale;
  if (point.scaleFactor !== undefined) {
    const exponent = values.get(point.scaleFactor);
    if (
      typeof exponent !== "number" ||
      exponent === -32768 ||
      exponent < -10 ||
      exponent > 10
    ) {
      failPoint(
        point,
        context,
        result,
        `scale factor ${point.scaleFactor} is ${String(exponent)}, not an exponent from -10 to 10`,
      );
      return undefined;
    }
    value *= 10 ** exponent;
  }
  value += point.offset;
  return scaled ? roundConverted(value) : value;
}

function checkCounter(
  point: CompiledPoint,
  built: TimeSeries,
  value: number,
  context: DecodeContext,
  result: ConversionResult,
): void {
  const rawMax = RAW_MAX[point.type];
  const verdict = context.counters!.check(
    `${context.device.name}\u0000${point.metric}`,
    value,
    context.timestamp,
    {
      maxRate: point.maxRate,
      rawMax:
        rawMax === undefined
          ? undefined
          : (rawMax * point.multiplier) / point.scale,
    },
  );
  if (verdict.kind === "ok") return;
  const span = `${verdict.previous} to ${value} ${point.unit ?? ""} in ${verdict.elapsedS} s`;
  const [code, reason, fix] =
    verdict.kind === "rollover"
      ? ([
          "QUBIT_MODBUS_COUNTER_ROLLOVER",
          `counter rolled over from ${span}`,
          "none needed if the device's counter wraps; otherwise check the type",
        ] as const)
      : verdict.kind === "decreased"
        ? ([
            "QUBIT_MODBUS_COUNTER_DECREASED",
            `counter decreased from ${span}`,
            "check the type and byte_order (a wrong word order or sign makes counters jump), or whether the meter was reset",
          ] as const)
        : ([
            "QUBIT_MODBUS_COUNTER_JUMP",
            `counter rose from ${span}, faster than max_rate ${point.maxRate}/s`,
            "check for a glitch or a wrong scale; raise max_rate if the rise is real",
          ] as const);
  markEstimated(built, reason);
  if (verdict.kind !== "rollover") built.flags = ["out_of_range"];
  result.diagnostics.push(
    pointDiagnostic(point, context, code, reason, fix, value),
  );
}

function pointDiagnostic(
  point: CompiledPoint,
  context: DecodeContext,
  code: string,
  message: string,
  fix: string,
  value?: unknown,
): Diagnostic {
  const source = pointSource(point, context);
  const diagnostic: Diagnostic = {
    code,
    message: `${context.device.name} (unit ${context.device.unitId}) point ${point.name} at ${point.table} ${point.address}: ${message}`,
    location: { ...source, point: point.name },
    fix,
  };
  if (value !== undefined) diagnostic.value = value;
  return diagnostic;
}

function failPoint(
  point: CompiledPoint,
  context: DecodeContext,
  result: ConversionResult,
  message: string,
): void {
  result.readings.push(
    reading(point, point.metric, null, context, undefined, "error"),
  );
  result.diagnostics.push(
    pointDiagnostic(
      point,
      context,
      "QUBIT_MODBUS_VALUE_INVALID",
      message,
      "check the type, byte_order and scale_factor of the point",
    ),
  );
}

function failBlock(
  block: ReadBlock,
  error: QubitError,
  context: DecodeContext,
  result: ConversionResult,
): void {
  const { device } = context;
  const request = describeBlock(block);
  const reported = context.report?.(block, error) ?? true;
  if (error instanceof ModbusExceptionError) {
    if (!reported) return;
    for (const point of block.points) {
      const source = pointSource(point, context);
      result.rejects.push({
        code: error.code,
        message: `${device.name} (unit ${device.unitId}) responded with exception ${error.exceptionCode.toString(16).toUpperCase().padStart(2, "0")} ${error.exceptionName} to ${request} for point ${point.name} at ${point.table} ${point.address}`,
        location: {
          ...source,
          point: point.name,
          function: block.functionCode,
        },
        fix: error.fix ?? "check the register map",
      });
    }
    return;
  }
  for (const point of block.points) {
    const metrics = point.bits
      ? point.bits.map(([flag]) => `${point.metric}.${flag}`)
      : [point.metric];
    for (const metric of metrics) {
      result.readings.push(
        reading(point, metric, null, context, undefined, "error", [
          "communication_error",
        ]),
      );
    }
  }
  if (!reported) return;
  const first = block.points[0];
  result.diagnostics.push({
    code: error.code,
    message: `${device.name} (unit ${device.unitId}) ${request} failed: ${error.message}`,
    location: {
      protocol: "modbus",
      address: `${context.endpoint}/${device.unitId}`,
      device: device.name,
      unit_id: device.unitId,
      function: block.functionCode,
      register: first?.address ?? block.start,
    },
    fix: error.fix ?? "check that the device is powered, wired and reachable",
  });
}
