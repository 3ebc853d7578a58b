import { resolve } from "node:path";
import {
  assertTimeZone,
  type ConfigIssue,
  type ConfiguredConnector,
  type ConnectorPlugin,
  compileFormat,
  NAMED_FORMATS,
} from "@qubit/core";
import { type CsvConfig, CsvConfigSchema } from "./config.js";
import { CsvConnector } from "./csv-connector.js";
import { type IngestConfig, IngestConfigSchema } from "./ingest/config.js";
import { HttpIngestConnector } from "./ingest/ingest-connector.js";
import type { Mapping } from "./mapping/schema.js";
import { type RestConfig, RestConfigSchema } from "./rest/config.js";
import { RestConnector } from "./rest/rest-connector.js";

interface TimeFields {
  timestamp_format: string;
  timezone: string;
  timestamp_label: "start" | "end";
  interval?: string | undefined;
  mapping?: Mapping | undefined;
}

function timeIssues(path: string, config: TimeFields): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  try {
    assertTimeZone(config.timezone);
  } catch (error) {
    issues.push({
      path: `${path}/timezone`,
      message: (error as Error).message,
      value: config.timezone,
      fix: 'use an IANA zone name such as "Europe/Berlin" or "UTC"',
      severity: "error",
    });
  }
  const named = [...NAMED_FORMATS, "iso", "epoch"] as readonly string[];
  if (!named.includes(config.timestamp_format)) {
    try {
      compileFormat(config.timestamp_format);
    } catch (error) {
      issues.push({
        path: `${path}/timestamp_format`,
        message: (error as Error).message,
        value: config.timestamp_format,
        fix: 'write a strftime format such as "%Y-%m-%d %H:%M:%S"',
        severity: "error",
      });
    }
  }
  if (config.timestamp_label === "end" && config.interval === undefined) {
    issues.push({
      path: `${path}/interval`,
      message: 'is required when timestamp_label is "end"',
      fix: 'set interval, for example "15m"',
      severity: "error",
    });
  }
  const mapping = config.mapping;
  if (
    mapping &&
    mapping.value === undefined &&
    mapping.values === undefined &&
    !mapping.time_slots
  ) {
    issues.push({
      path: `${path}/mapping`,
      message: "maps no value",
      fix: 'add "value": "<column>", "values": "*" or "time_slots": true',
      severity: "error",
    });
  }
  return issues;
}

/** The `csv` plugin: file imports (CSV, JSON, NDJSON, Green Button). */
export const csvPlugin: ConnectorPlugin<CsvConfig> = {
  protocol: "csv",
  configSchema: CsvConfigSchema,
  check(connectors: readonly ConfiguredConnector<CsvConfig>[]): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const { path, config } of connectors) {
      issues.push(...timeIssues(path, config));
      if (
        config.reject_file !== undefined &&
        resolve(config.reject_file) === resolve(config.file_path)
      ) {
        issues.push({
          path: `${path}/reject_file`,
          message: "is the input file itself",
          value: config.reject_file,
          fix: "write bad rows to another file",
          severity: "error",
        });
      }
    }
    return issues;
  },
  create: (config, context) => new CsvConnector(config, context),
};

/** The `rest` plugin: polls REST APIs that return JSON. */
export const restPlugin: ConnectorPlugin<RestConfig> = {
  protocol: "rest",
  configSchema: RestConfigSchema,
  check(connectors: readonly ConfiguredConnector<RestConfig>[]): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const { path, config } of connectors) {
      issues.push(...timeIssues(path, config));
      try {
        const url = new URL(config.url.replaceAll("{since}", "x"));
        if (url.protocol !== "http:" && url.protocol !== "https:")
          throw new Error("not http");
      } catch {
        issues.push({
          path: `${path}/url`,
          message: "is not an http:// or https:// URL",
          value: config.url,
          severity: "error",
        });
      }
      if (
        config.since?.source === "response" &&
        config.since.path === undefined
      ) {
        issues.push({
          path: `${path}/since/path`,
          message: 'is required when since.source is "response"',
          fix: 'set the JSON path of the cursor, such as "$.meta.next_since"',
          severity: "error",
        });
      }
    }
    return issues;
  },
  create: (config, context) => new RestConnector(config, context),
};

/** The `http_ingest` plugin: an HTTP endpoint for pushed readings. */
export const httpIngestPlugin: ConnectorPlugin<IngestConfig> = {
  protocol: "http_ingest",
  configSchema: IngestConfigSchema,
  check(
    connectors: readonly ConfiguredConnector<IngestConfig>[],
  ): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const listeners = new Map<string, string>();
    for (const { path, config } of connectors) {
      issues.push(...timeIssues(path, config));
      const key = `${config.host}:${config.port}`;
      const previous = listeners.get(key);
      if (previous !== undefined && config.port !== 0) {
        issues.push({
          path: `${path}/port`,
          message: `${key} is already used by ${previous}`,
          value: config.port,
          fix: "give each ingest endpoint its own port",
          severity: "error",
        });
      }
      listeners.set(key, path);
    }
    return issues;
  },
  create: (config, context) => new HttpIngestConnector(config, context),
};
