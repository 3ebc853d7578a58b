import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ConfiguredConnector, checkConfig } from "@qubit/core";
import { describe, expect, it } from "vitest";
import {
  type CsvConfig,
  CsvConfigSchema,
  CsvErrorCodes,
  csvPlugin,
  httpIngestPlugin,
  type IngestConfig,
  type RestConfig,
  restPlugin,
} from "../src/index.js";

const example = {
  file_path: "/data/historical_generation.csv",
  mapping: {
    timestamp: "DateTime",
    asset_id: "InverterID",
    value: "Generation_kWh",
    unit: "kWh",
  },
  timestamp_format: "%Y-%m-%d %H:%M:%S",
  timezone: "America/Los_Angeles",
};

function entry<C>(config: C, path = "/csv"): ConfiguredConnector<C> {
  return { name: "x", path, config };
}

describe("plugins", () => {
  it("validates the example config and fills defaults", () => {
    const { value, issues } = checkConfig<CsvConfig>(CsvConfigSchema, example);
    expect(issues).toEqual([]);
    expect(value.delimiter).toBe("auto");
    expect(value.ambiguous_time).toBe("sequence");
    expect(value.max_errors).toBe(1000);
    expect(csvPlugin.check?.([entry(value)])).toEqual([]);
  });

  it("names the path of a wrong key", () => {
    const { issues } = checkConfig(CsvConfigSchema, {
      ...example,
      time_zone: "UTC",
    });
    expect(issues[0]).toMatchObject({
      path: "/time_zone",
      message: "is not a known option",
      fix: 'did you mean "timezone"?',
    });
  });

  it("checks zone, format, interval and reject file", () => {
    const { value } = checkConfig<CsvConfig>(CsvConfigSchema, {
      ...example,
      timezone: "Mars/Olympus",
      timestamp_format: "%Y-%Q",
      timestamp_label: "end",
      reject_file: example.file_path,
    });
    const issues = csvPlugin.check?.([entry(value)]) ?? [];
    expect(issues.map((issue) => issue.path)).toEqual([
      "/csv/timezone",
      "/csv/timestamp_format",
      "/csv/interval",
      "/csv/reject_file",
    ]);
    expect(issues.every((issue) => issue.severity === "error")).toBe(true);
  });

  it("checks REST urls and cursors", () => {
    const { value } = checkConfig<RestConfig>(restPlugin.configSchema, {
      url: "ftp://example.invalid/x",
      mapping: example.mapping,
      since: { source: "response" },
    });
    const issues = restPlugin.check?.([entry(value, "/rest")]) ?? [];
    expect(issues.map((issue) => issue.path)).toEqual([
      "/rest/url",
      "/rest/since/path",
    ]);
  });

  it("refuses two ingest endpoints on one port and short tokens", () => {
    const token = "0123456789abcdefgh";
    const first = checkConfig<IngestConfig>(httpIngestPlugin.configSchema, {
      port: 9000,
      token,
    }).value;
    const issues =
      httpIngestPlugin.check?.([
        entry(first, "/http_ingest/0"),
        entry(first, "/http_ingest/1"),
      ]) ?? [];
    expect(issues.map((issue) => issue.path)).toEqual(["/http_ingest/1/port"]);
    const short = checkConfig(httpIngestPlugin.configSchema, { token: "abc" });
    expect(short.issues[0]?.path).toBe("/token");
  });

  it("lists every error code the sources use, and uses every listed code", () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith(".ts")) files.push(path);
      }
    };
    walk(root);
    const used = new Set<string>();
    for (const file of files) {
      // The table itself lists codes as keys, not as quoted strings.
      for (const match of readFileSync(file, "utf8").matchAll(
        /"(QUBIT_CSV_[A-Z0-9_]+)"/g,
      ))
        used.add(match[1]!);
    }
    const listed = new Set(Object.keys(CsvErrorCodes));
    expect([...used].filter((code) => !listed.has(code))).toEqual([]);
    expect([...listed].filter((code) => !used.has(code))).toEqual([]);
  });
});
