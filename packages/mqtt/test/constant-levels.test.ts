import { describe, expect, it } from "vitest";
import { checkMqttConfigs, type MqttConfig } from "../src/index.js";
import {
  constantTemplateFields,
  filterCovers,
} from "../src/topic/constant-levels.js";

const DEFAULT = "{org_id}/{site_id}/{asset_id}/{device_id}/{metric}";

function check(config: Partial<MqttConfig>) {
  return checkMqttConfigs([
    {
      name: "mqtt",
      path: "/mqtt",
      config: {
        broker: "mqtt://127.0.0.1:1883",
        topic_template: DEFAULT,
        ...config,
      } as MqttConfig,
    },
  ]);
}

describe("filterCovers", () => {
  const cases: [string, string, boolean][] = [
    ["#", "a/+/b", true],
    ["a/#", "a/b/c", true],
    ["+/+/meter/+/readings", "+/+/meter/+/readings", true],
    ["+/+/+/+/+", "+/+/meter/+/readings", true],
    ["a/b", "a/+", false],
    ["a/+", "a/#", false],
    ["a/+/c", "a/b", false],
    ["x/+", "a/b", false],
  ];
  for (const [general, specific, covers] of cases) {
    it(`${general} over ${specific} is ${covers}`, () => {
      expect(filterCovers(general, specific)).toBe(covers);
    });
  }
});

describe("constantTemplateFields", () => {
  it("finds asset_id and metric on literals", () => {
    const found = constantTemplateFields("+/+/meter/+/readings", DEFAULT, [
      "asset_id",
      "metric",
    ]);
    expect(found).toEqual([
      { field: "asset_id", level: 2, literal: "meter" },
      { field: "metric", level: 4, literal: "readings" },
    ]);
  });

  it("stops at # and skips $share", () => {
    const found = constantTemplateFields("$share/g/org/site/#", DEFAULT, [
      "asset_id",
      "metric",
    ]);
    expect(found).toEqual([]);
  });

  it("ignores a filter shorter than the template", () => {
    expect(
      constantTemplateFields("a/b/c", DEFAULT, ["asset_id", "metric"]),
    ).toEqual([]);
  });
});

describe("config check of subscribed filters", () => {
  it("warns about a literal asset level", () => {
    const issues = check({ topics: ["+/+/meter/+/readings"] });
    expect(issues.every((issue) => issue.severity === "warning")).toBe(true);
    expect(issues).toHaveLength(1);
    const [asset] = issues;
    expect(asset!.path).toBe("/mqtt/topics/0");
    expect(asset!.value).toBe("+/+/meter/+/readings");
    expect(asset!.message).toContain(
      'every message on this filter gets asset_id "meter"',
    );
    expect(asset!.fix).toContain("topic_template");
    expect(asset!.fix).toContain("rule");
  });

  it("warns about a literal metric level of single values", () => {
    const issues = check({
      topics: ["+/+/+/+/readings"],
      rules: [
        { filter: "+/+/+/+/readings", format: "number" },
      ] as MqttConfig["rules"],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain(
      'every message on this filter gets metric "readings"',
    );
    expect(check({ topics: ["+/+/+/+/readings"] })).toEqual([]);
  });

  it("accepts wildcards on asset and metric", () => {
    expect(check({ topics: ["acme/+/+/+/+", "acme/site-1/#"] })).toEqual([]);
  });

  it("accepts a rule that sets both", () => {
    const issues = check({
      topics: ["+/+/meter/+/readings"],
      rules: [
        {
          filter: "+/+/meter/+/readings",
          asset_id: "{3}",
          metric: "$.name",
        },
      ] as MqttConfig["rules"],
    });
    expect(issues).toEqual([]);
  });

  it("uses the template of a covering rule", () => {
    const issues = check({
      topics: ["+/+/meter/+/readings"],
      rules: [
        {
          filter: "#",
          topic_template: "{org_id}/{site_id}/meter/{asset_id}/{metric}",
          format: "number",
        },
      ] as MqttConfig["rules"],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain('gets metric "readings"');
  });

  it("leaves filters of a preset alone", () => {
    const issues = check({
      topics: ["shellies/shellyem3-1/emeter/0/power"],
      presets: ["shelly"],
    });
    expect(issues).toEqual([]);
  });
});
