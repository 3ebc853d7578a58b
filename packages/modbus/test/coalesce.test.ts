import { describe, expect, it } from "vitest";
import {
  type CompiledPoint,
  coalesce,
  compileDevices,
  planGroups,
} from "../src/index.js";
import { splitBlock } from "../src/plan/coalesce.js";

function points(registers: Record<string, object>): CompiledPoint[] {
  const { devices, issues } = compileDevices(
    { host: "h", registers } as never,
    "d",
  );
  expect(issues.filter((i) => i.severity !== "warning")).toEqual([]);
  return devices[0]!.points;
}

const spans = (
  blocks: { functionCode: number; start: number; quantity: number }[],
) => blocks.map((b) => [b.functionCode, b.start, b.quantity]);

describe("request planning", () => {
  it("joins points within max_gap", () => {
    const list = points({
      a: { address: 40001 },
      b: { address: 40005 },
      c: { address: 40020 },
    });
    expect(spans(coalesce(list, 3))).toEqual([
      [3, 0, 5],
      [3, 19, 1],
    ]);
    expect(spans(coalesce(list, 20))).toEqual([[3, 0, 20]]);
  });

  it("keeps tables apart", () => {
    const list = points({
      a: { address: 40001 },
      b: { address: 30001 },
      c: { address: 1 },
      d: { address: 10001 },
    });
    expect(spans(coalesce(list, 10)).sort()).toEqual([
      [1, 0, 1],
      [2, 0, 1],
      [3, 0, 1],
      [4, 0, 1],
    ]);
  });

  it("stays within 125 registers", () => {
    const registers: Record<string, object> = {};
    for (let i = 0; i < 100; i += 1)
      registers[`p${i}`] = { address: `holding:${i * 2}`, type: "uint32" };
    const blocks = coalesce(points(registers), 0);
    expect(spans(blocks)).toEqual([
      [3, 0, 124],
      [3, 124, 76],
    ]);
  });

  it("reads up to 2000 coils at once", () => {
    const registers: Record<string, object> = {};
    for (let i = 0; i < 2100; i += 100)
      registers[`c${i}`] = { address: `coil:${i}` };
    expect(spans(coalesce(points(registers), 100))).toEqual([
      [1, 0, 1901],
      [1, 2000, 1],
    ]);
  });

  it("groups by polling interval", () => {
    const list = points({
      fast: { address: 40001, polling_interval: 1 },
      slow: { address: 40002, polling_interval: 60 },
    });
    const groups = planGroups(list, 10);
    expect(groups.map((g) => [g.intervalMs, spans(g.blocks)])).toEqual([
      [1000, [[3, 0, 1]]],
      [60000, [[3, 1, 1]]],
    ]);
  });

  it("splits first into runs, then into points", () => {
    const list = points({
      a: { address: 40001 },
      b: { address: 40002 },
      c: { address: 40006 },
    });
    const [block] = coalesce(list, 10);
    const runs = splitBlock(block!);
    expect(spans(runs)).toEqual([
      [3, 0, 2],
      [3, 5, 1],
    ]);
    expect(spans(splitBlock(runs[0]!))).toEqual([
      [3, 0, 1],
      [3, 1, 1],
    ]);
  });
});
