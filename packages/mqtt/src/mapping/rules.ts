import { readFileSync } from "node:fs";
import { createTimestampParser, type TimestampParser } from "@qubit/core";
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { MqttConfig, MqttRule } from "../config.js";
import { loadProtobufDecoder } from "../payload/binary.js";
import { parseFilter } from "../topic/filter.js";
import { compileTemplate } from "../topic/template.js";
import { parseJsonPath } from "./json-path.js";
import type { FieldDecision, Mapping, Route } from "./mapping.js";
import { compileSource } from "./source.js";

/** Payload keys read as the device timestamp when a rule names none. */
export const DEFAULT_TIMESTAMP_KEYS = [
  "timestamp",
  "ts",
  "time",
  "Time",
  "datetime",
] as const;

/** Returns a mapping with the defaults of the generic JSON reader, overridden by `overrides`. */
export function baseMapping(overrides: Partial<Mapping> = {}): Mapping {
  const parser = createTimestampParser({ format: "auto" });
  return {
    format: "auto",
    template: undefined,
    requireTemplate: false,
    org_id: undefined,
    site_id: undefined,
    asset_id: undefined,
    device_id: undefined,
    metric: undefined,
    metricPrefixesFields: false,
    value: undefined,
    root: undefined,
    unit: undefined,
    timestamp: undefined,
    timestampKeys: DEFAULT_TIMESTAMP_KEYS,
    parseTimestamp: (raw) => parser.parse(raw),
    field: (name) => ({ metric: name }),
    scale: undefined,
    validate: undefined,
    protobuf: undefined,
    retained: undefined,
    metadata: undefined,
    ...overrides,
  };
}

/**
 * Builds the route used when no rule or preset matches: the connector's topic
 * template names the levels, and a topic that does not fit it is
 * rejected.
 */
export function templateRoute(config: MqttConfig): Route {
  const template = compileTemplate(config.topic_template);
  return {
    name: "topic_template",
    filter: parseFilter("#"),
    mapping: baseMapping({ template, requireTemplate: true }),
  };
}

/**
 * Compiles a config rule. Throws an `Error` naming the problem (a bad
 * filter, template, path, schema or .proto file); the plugin's config
 * check reports it with the rule's path.
 */
export function compileRule(
  rule: MqttRule,
  index: number,
  config: MqttConfig,
): Route {
  const filter = parseFilter(rule.filter);
  const template = compileTemplate(
    rule.topic_template ?? config.topic_template,
  );
  const parser: TimestampParser = createTimestampParser({
    format: rule.timestamp_format ?? "auto",
    timezone: rule.timezone ?? "UTC",
  });
  const fields = new Map<string, MqttRule["fields"][string]>();
  for (const [key, spec] of Object.entries(rule.fields ?? {}))
    fields.set(key.replace(/^\$\./, ""), spec);
  const ignored = new Set(
    (rule.ignore_fields ?? []).map((key) => key.replace(/^\$\./, "")),
  );
  const onlyMapped = rule.only_mapped_fields ?? false;

  const field = (name: string, key: string): FieldDecision | undefined => {
    if (ignored.has(name) || ignored.has(key)) return undefined;
    const spec = fields.get(name) ?? fields.get(key);
    if (!spec) return onlyMapped ? undefined : { metric: name };
    if (spec.ignore) return undefined;
    return { metric: spec.metric ?? name, unit: spec.unit, scale: spec.scale };
  };

  const format =
    rule.format === "auto" && rule.protobuf
      ? "protobuf"
      : (rule.format ?? "auto");
  return {
    name: `rules[${index}]`,
    filter,
    mapping: baseMapping({
      format,
      template,
      org_id: optionalSource(rule.org_id),
      site_id: optionalSource(rule.site_id),
      asset_id: optionalSource(rule.asset_id),
      device_id: optionalSource(rule.device_id),
      metric: optionalSource(rule.metric),
      metricPrefixesFields: rule.metric !== undefined,
      value: rule.value === undefined ? undefined : parseJsonPath(rule.value),
      unit: optionalSource(rule.unit),
      timestamp: optionalSource(rule.timestamp),
      parseTimestamp: (raw) => parser.parse(raw),
      field,
      scale: rule.scale,
      validate:
        rule.schema === undefined ? undefined : compileSchema(rule.schema),
      protobuf: rule.protobuf
        ? loadProtobufDecoder(
            rule.protobuf.proto_file,
            rule.protobuf.message_type,
          )
        : undefined,
      retained: rule.retained,
      metadata: rule.metadata,
    }),
  };
}

function optionalSource(source: string | undefined) {
  return source === undefined ? undefined : compileSource(source);
}

function compileSchema(
  schema: string | Record<string, unknown>,
): (payload: unknown) => string | undefined {
  const document =
    typeof schema === "string"
      ? (JSON.parse(readFileSync(schema, "utf8")) as Record<string, unknown>)
      : schema;
  const draft2020 =
    typeof document.$schema === "string" &&
    document.$schema.includes("2020-12");
  const ajv = draft2020
    ? new Ajv2020({ allErrors: false, strict: false })
    : new Ajv({ allErrors: false, strict: false });
  const validate: ValidateFunction = ajv.compile(document);
  return (payload) => {
    if (validate(payload)) return undefined;
    const error = validate.errors?.[0];
    if (!error) return "does not match the schema";
    const where = error.instancePath === "" ? "(root)" : error.instancePath;
    return `${where} ${error.message ?? "is invalid"}`;
  };
}
