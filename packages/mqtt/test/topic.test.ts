import { describe, expect, it } from "vitest";
import {
  compileTemplate,
  filterProblem,
  parseFilter,
  splitShare,
} from "../src/index.js";
import { readJson } from "../src/payload/json.js";
import { NonFiniteToken } from "../src/payload/non-finite.js";
import { readPlain } from "../src/payload/plain.js";

describe("topic filters", () => {
  it("matches + and # wildcards", () => {
    const filter = parseFilter("org_001/sit_solar_01/+/+/telemetry");
    expect(
      filter.match("org_001/sit_solar_01/inv_01/dev_01/telemetry"),
    ).toEqual(["inv_01", "dev_01"]);
    expect(
      filter.match("org_001/sit_solar_01/inv_01/telemetry"),
    ).toBeUndefined();
    expect(parseFilter("a/#").match("a")).toEqual([""]);
    expect(parseFilter("a/#").match("a/b/c")).toEqual(["b/c"]);
    expect(parseFilter("a/+").match("a/")).toEqual([""]);
    expect(parseFilter("a/+").match("a/b/c")).toBeUndefined();
  });

  it("keeps $-topics away from leading wildcards", () => {
    expect(parseFilter("#").match("$SYS/broker/uptime")).toBeUndefined();
    expect(
      parseFilter("+/broker/uptime").match("$SYS/broker/uptime"),
    ).toBeUndefined();
    expect(parseFilter("$SYS/#").match("$SYS/broker/uptime")).toEqual([
      "broker/uptime",
    ]);
  });

  it("splits shared subscriptions", () => {
    expect(splitShare("$share/ingest/site/#")).toEqual({
      filter: "site/#",
      shareGroup: "ingest",
    });
    expect(parseFilter("$share/ingest/site/#").match("site/a")).toEqual(["a"]);
  });

  it("rejects invalid filters", () => {
    expect(filterProblem("a/#/b")).toMatch(/#/);
    expect(filterProblem("a/b+")).toMatch(/\+/);
    expect(filterProblem("")).toMatch(/empty/);
    expect(filterProblem("$share//a")).toMatch(/share group/);
    expect(filterProblem("a/+/#")).toBeUndefined();
  });
});

describe("topic templates", () => {
  it("names the default hierarchy", () => {
    const template = compileTemplate(
      "{org_id}/{site_id}/{asset_id}/{device_id}/{metric}",
    );
    expect(
      template.match("org_001/sit_solar_01/inv_01/dev_01/telemetry"),
    ).toEqual({
      org_id: "org_001",
      site_id: "sit_solar_01",
      asset_id: "inv_01",
      device_id: "dev_01",
      metric: "telemetry",
    });
    expect(
      template.match("org_001/sit_solar_01/inv_01/telemetry"),
    ).toBeUndefined();
  });

  it("supports literals, + and a kept rest", () => {
    const template = compileTemplate("plant/+/{asset_id}/{metric#}");
    expect(template.match("plant/x/inv_1/ac/power")).toEqual({
      asset_id: "inv_1",
      metric: "ac/power",
    });
    expect(template.match("other/x/inv_1/ac")).toBeUndefined();
  });

  it("rejects bad templates", () => {
    expect(() => compileTemplate("{a#}/b")).toThrow(/last level/);
    expect(() => compileTemplate("a{b}")).toThrow(/placeholder/);
  });
});

describe("payload readers", () => {
  it("reads strict JSON unchanged", () => {
    const result = readJson('{"a":1,"b":"nan"}');
    expect(result).toEqual({
      ok: true,
      value: { a: 1, b: "nan" },
      nonFinite: [],
    });
  });

  it("keeps the other fields around bare nan tokens", () => {
    const result = readJson('{"t":nan,"h":-NaN,"i":Infinity,"s":"nan","ok":1}');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const value = result.value as Record<string, unknown>;
    expect(value.ok).toBe(1);
    expect(value.s).toBe("nan");
    expect(value.t).toBeInstanceOf(NonFiniteToken);
    expect((value.t as NonFiniteToken).offset).toBe(5);
    expect((value.h as NonFiniteToken).token).toBe("-NaN");
    expect((value.i as NonFiniteToken).token).toBe("Infinity");
  });

  it("rejects JSON with bare nan in strict mode", () => {
    const result = readJson('{"t":nan}', true);
    expect(result.ok).toBe(false);
  });

  it("reports the offset of a bad token", () => {
    const result = readJson('{"a":1,"b":oops}');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.offset).toBe(11);
  });

  it("reads plain payloads", () => {
    expect(readPlain("240.50")).toBe(240.5);
    expect(readPlain(" -3.5\n")).toBe(-3.5);
    expect(readPlain("off")).toBe(false);
    expect(readPlain("ON")).toBe(true);
    expect(readPlain("Normal")).toBe("Normal");
    expect(readPlain("nan")).toBeInstanceOf(NonFiniteToken);
  });
});
