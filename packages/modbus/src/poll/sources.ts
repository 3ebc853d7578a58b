import { type ReadingSource, sharedSource } from "@qubit/core";
import type { CompiledPoint } from "../map/point.js";
import type { ReadBlock } from "../plan/coalesce.js";
import type { DecodeContext } from "./decode.js";

// Sources are the same for every poll of a point, so they are built once
// and shared by its readings. sharedSource freezes them, because outputs
// only read them, and the pipeline's check then skips them.
interface CachedSource {
  connector: string;
  endpoint: string;
  unitId: number;
  deviceName: string;
  source: ReadingSource;
}

const sources = new WeakMap<CompiledPoint, CachedSource>();

const blockSourceCache = new WeakMap<
  ReadBlock,
  { points: readonly CompiledPoint[]; sources: ReadingSource[] }
>();

/**
 * Returns the sources of the points of a block, in order: one lookup per
 * block instead of one per point.
 */
export function blockSources(
  block: ReadBlock,
  context: DecodeContext,
): readonly ReadingSource[] {
  const cached = blockSourceCache.get(block);
  if (
    cached !== undefined &&
    cached.points === block.points &&
    cached.sources.length === block.points.length
  ) {
    const sources = cached.sources;
    // A new source for the first point means that the connection changed.
    const first = block.points[0];
    if (first === undefined || pointSource(first, context) === sources[0]) {
      return sources;
    }
  }
  const sources = block.points.map((point) => pointSource(point, context));
  blockSourceCache.set(block, { points: block.points, sources });
  return sources;
}

/** Returns the source of a reading or reject of one point. */
export function pointSource(
  point: CompiledPoint,
  context: DecodeContext,
): ReadingSource {
  const cached = sources.get(point);
  if (
    cached !== undefined &&
    cached.connector === context.connector &&
    cached.endpoint === context.endpoint &&
    cached.unitId === context.device.unitId &&
    cached.deviceName === context.device.name
  ) {
    return cached.source;
  }
  const source = buildSource(point, context);
  sources.set(point, {
    connector: context.connector,
    endpoint: context.endpoint,
    unitId: context.device.unitId,
    deviceName: context.device.name,
    source,
  });
  return source;
}

function buildSource(
  point: CompiledPoint,
  context: DecodeContext,
): ReadingSource {
  return frozenModbusSource({
    address: `${context.endpoint}/${context.device.unitId}/${point.table}:${point.address}`,
    connector: context.connector,
    device: context.device.name,
    unit_id: context.device.unitId,
    table: point.table,
    register: point.address,
  });
}

/**
 * Builds a reading source with the Modbus place as extra keys (device,
 * unit_id, table, register), which the source schema allows.
 */
export function modbusSource(
  fields: { address: string } & Record<string, string | number>,
): ReadingSource {
  return { protocol: "modbus", ...fields } as ReadingSource;
}

function frozenModbusSource(
  fields: { address: string } & Record<string, string | number>,
): ReadingSource {
  return sharedSource(modbusSource(fields));
}
