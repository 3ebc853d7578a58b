import {
  isBitTable,
  READ_FUNCTION,
  type RegisterTable,
} from "../map/address.js";
import type { CompiledPoint } from "../map/point.js";

/** Most registers one read may return (function codes 3 and 4). */
export const MAX_READ_REGISTERS = 125;
/** Most coils or discrete inputs one read may return (function codes 1 and 2). */
export const MAX_READ_BITS = 2000;

/** One read request and the points it serves. */
export interface ReadBlock {
  table: RegisterTable;
  functionCode: 1 | 2 | 3 | 4;
  /** 0-based first address. */
  start: number;
  /** Registers or bits requested. */
  quantity: number;
  points: CompiledPoint[];
}

/** The reads of one polling interval of a device. */
export interface PollGroup {
  intervalMs: number;
  blocks: ReadBlock[];
}

/** Returns the most registers or bits one read of a table may return. */
export function maxQuantity(table: RegisterTable): number {
  return isBitTable(table) ? MAX_READ_BITS : MAX_READ_REGISTERS;
}

/**
 * Joins points into the fewest reads: per table, points sorted by address
 * are added to the open block while the unused span before them is at
 * most `maxGap` and the block stays within the protocol's limit. For
 * points that cannot be split this greedy pass gives the minimum number
 * of requests.
 */
export function coalesce(
  points: readonly CompiledPoint[],
  maxGap: number,
): ReadBlock[] {
  const byTable = new Map<RegisterTable, CompiledPoint[]>();
  for (const point of points) {
    const list = byTable.get(point.table) ?? [];
    list.push(point);
    byTable.set(point.table, list);
  }
  const blocks: ReadBlock[] = [];
  for (const [table, list] of byTable) {
    list.sort((a, b) => a.address - b.address || b.count - a.count);
    const limit = maxQuantity(table);
    let open: ReadBlock | undefined;
    for (const point of list) {
      const end = point.address + point.count;
      if (open) {
        const openEnd = open.start + open.quantity;
        const gap = point.address - openEnd;
        const newEnd = Math.max(openEnd, end);
        if (gap <= maxGap && newEnd - open.start <= limit) {
          open.quantity = newEnd - open.start;
          open.points.push(point);
          continue;
        }
      }
      open = {
        table,
        functionCode: READ_FUNCTION[table],
        start: point.address,
        quantity: point.count,
        points: [point],
      };
      blocks.push(open);
    }
  }
  return blocks;
}

/**
 * Groups a device's points by polling interval and coalesces each group.
 * A point that takes its scale factor from another point gets that point
 * in its own group too, so both come from the same poll.
 */
export function planGroups(
  points: readonly CompiledPoint[],
  maxGap: number,
): PollGroup[] {
  const byName = new Map(points.map((point) => [point.name, point]));
  const byInterval = new Map<number, Map<string, CompiledPoint>>();
  for (const point of points) {
    const group = byInterval.get(point.intervalMs) ?? new Map();
    group.set(point.name, point);
    if (point.scaleFactor !== undefined) {
      const factor = byName.get(point.scaleFactor);
      if (factor) group.set(factor.name, factor);
    }
    byInterval.set(point.intervalMs, group);
  }
  return [...byInterval]
    .sort(([a], [b]) => a - b)
    .map(([intervalMs, group]) => ({
      intervalMs,
      blocks: coalesce([...group.values()], maxGap),
    }));
}

/**
 * Splits a block that the device rejected with exception 02: first into
 * runs of points without gaps between them, then into single points.
 * Returns the block itself when it holds one point.
 */
export function splitBlock(block: ReadBlock): ReadBlock[] {
  if (block.points.length <= 1) return [block];
  const contiguous = coalesce(block.points, 0);
  if (contiguous.length > 1) return contiguous;
  return block.points.map((point) => ({
    table: block.table,
    functionCode: block.functionCode,
    start: point.address,
    quantity: point.count,
    points: [point],
  }));
}

/** Describes a block for logs and messages: `FC03 start 107 quantity 1`. */
export function describeBlock(block: {
  functionCode: number;
  start: number;
  quantity: number;
}): string {
  return `FC${String(block.functionCode).padStart(2, "0")} start ${block.start} quantity ${block.quantity}`;
}
