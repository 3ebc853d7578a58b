import { existsSync } from "node:fs";
import type {
  ConfigIssue,
  ConfiguredConnector,
  ConnectorContext,
  ConnectorPlugin,
} from "@qubit/core";
import { redactUrl, usesTls } from "./client/options.js";
import { type MqttConfig, MqttConfigSchema, protocolLevel } from "./config.js";
import { compileRule } from "./mapping/rules.js";
import { MqttConnector } from "./mqtt-connector.js";
import { presetRoutes } from "./presets/index.js";
import {
  constantTemplateFields,
  filterCovers,
} from "./topic/constant-levels.js";
import { filterProblem, splitShare } from "./topic/filter.js";
import { DEFAULT_TOPIC_TEMPLATE, templateProblem } from "./topic/template.js";

/**
 * Checks what the schema cannot state: filters, templates and rules that
 * compile, TLS options that match the URL, credentials given once, and a
 * fixed client id for persistent sessions. It also rejects one client id
 * on two connectors of one broker, because the broker would disconnect
 * one whenever the other connects.
 */
export function checkMqttConfigs(
  connectors: readonly ConfiguredConnector<MqttConfig>[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const owners = new Map<string, ConfiguredConnector<MqttConfig>>();
  for (const connector of connectors) {
    const { config, path } = connector;
    issues.push(...checkOne(config, path));
    if (config.client_id === undefined) continue;
    const key = `${config.broker}\u0000${config.client_id}`;
    const owner = owners.get(key);
    if (owner) {
      issues.push({
        path: `${path}/client_id`,
        message: `client_id "${config.client_id}" is used by ${owner.name} and ${connector.name} on ${redactUrl(config.broker)}; the broker would disconnect one whenever the other connects`,
        value: config.client_id,
        fix: "give each connector its own client_id, or leave it unset to get a unique one",
        severity: "error",
      });
    } else owners.set(key, connector);
  }
  return issues;
}

function checkOne(config: MqttConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const error = (at: string, message: string, value: unknown, fix: string) =>
    issues.push({
      path: `${path}${at}`,
      message,
      value,
      fix,
      severity: "error",
    });
  const warning = (at: string, message: string, value: unknown, fix: string) =>
    issues.push({
      path: `${path}${at}`,
      message,
      value,
      fix,
      severity: "warning",
    });

  config.topics.forEach((entry, index) => {
    const filter = typeof entry === "string" ? entry : entry.filter;
    const problem = filterProblem(filter);
    if (problem)
      error(
        `/topics/${index}`,
        `is not a valid topic filter: ${problem}`,
        filter,
        "fix the filter",
      );
  });
  const template = config.topic_template ?? DEFAULT_TOPIC_TEMPLATE;
  const templateIssue = templateProblem(template);
  if (templateIssue)
    error(
      "/topic_template",
      `is not a valid topic template: ${templateIssue}`,
      template,
      "use levels such as {site_id}/{asset_id}/{metric}",
    );
  (config.rules ?? []).forEach((rule, index) => {
    try {
      compileRule(rule, index, config);
    } catch (cause) {
      error(
        `/rules/${index}`,
        `cannot be compiled: ${(cause as Error).message}`,
        rule.filter,
        "fix the rule's filter, template, paths, schema or .proto file",
      );
    }
  });
  if (issues.length === 0) issues.push(...constantFieldIssues(config, path));
  if (config.tls && !usesTls(config))
    error(
      "/tls",
      "is set but the broker URL does not use TLS",
      redactUrl(config.broker),
      "use mqtts:// or wss://, or remove tls",
    );
  if (config.tls?.insecure)
    warning(
      "/tls/insecure",
      "turns off certificate and host name checks",
      true,
      "set tls.ca_certs to the broker's CA instead",
    );
  for (const key of ["ca_certs", "certfile", "keyfile"] as const) {
    const file = config.tls?.[key];
    if (file !== undefined && !existsSync(file))
      error(
        `/tls/${key}`,
        "names a file that does not exist",
        file,
        "point it at a PEM file",
      );
  }
  if (
    (config.tls?.certfile === undefined) !==
    (config.tls?.keyfile === undefined)
  )
    error(
      "/tls",
      "needs both certfile and keyfile for a client certificate",
      config.tls,
      "set both, or neither",
    );
  if (
    config.auth &&
    (config.username !== undefined || config.password !== undefined)
  )
    error(
      "/username",
      "is given twice, here and in auth",
      config.username,
      "keep auth.username and auth.password only",
    );
  if (config.clean_session === false && config.client_id === undefined)
    error(
      "/client_id",
      "is required with clean_session false: a persistent session belongs to a fixed client id",
      undefined,
      "set a client_id that is unique to this connector",
    );
  if (config.session_expiry_s !== undefined && protocolLevel(config) !== 5)
    warning(
      "/session_expiry_s",
      "applies to MQTT 5 only; MQTT 3.1.1 keeps a persistent session until the broker drops it",
      config.session_expiry_s,
      "set protocol_version to 5.0, or remove session_expiry_s",
    );
  if (
    config.reconnect_max_delay_ms !== undefined &&
    config.reconnect_initial_delay_ms !== undefined &&
    config.reconnect_max_delay_ms < config.reconnect_initial_delay_ms
  )
    error(
      "/reconnect_max_delay_ms",
      "is below reconnect_initial_delay_ms",
      config.reconnect_max_delay_ms,
      "raise it",
    );
  return issues;
}

/**
 * Warns when the template that maps a subscribed filter puts {asset_id}
 * or {metric} on a literal level of the filter, so every message on it
 * would get the same asset, or the same metric for a rule whose format is
 * a single value (number, boolean or text). A rule that covers the filter
 * replaces the connector's template and may set both itself, and a
 * preset that covers it has its own mapping.
 */
function constantFieldIssues(config: MqttConfig, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const presetFilters = presetRoutes(config.presets ?? []).map(
    (route) => route.filter.filter,
  );
  config.topics.forEach((entry, index) => {
    const subscription = typeof entry === "string" ? entry : entry.filter;
    const filter = splitShare(subscription).filter;
    const rule = (config.rules ?? []).find((candidate) =>
      filterCovers(splitShare(candidate.filter).filter, filter),
    );
    if (!rule && presetFilters.some((preset) => filterCovers(preset, filter)))
      return;
    const template =
      rule?.topic_template ?? config.topic_template ?? DEFAULT_TOPIC_TEMPLATE;
    // A JSON, Protobuf or MessagePack object names its readings by its
    // fields, so a literal metric level matters only for single values.
    const singleValue = ["number", "boolean", "text"].includes(
      rule?.format ?? "auto",
    );
    const fields = (["asset_id", "metric"] as const).filter(
      (field) =>
        rule?.[field] === undefined && (field !== "metric" || singleValue),
    );
    for (const constant of constantTemplateFields(filter, template, fields)) {
      const effect =
        constant.field === "metric"
          ? `every message on this filter gets metric "${constant.literal}"`
          : `every message on this filter gets asset_id "${constant.literal}"`;
      issues.push({
        path: `${path}/topics/${index}`,
        message: `level ${constant.level + 1} of "${subscription}" is the literal "${constant.literal}" where the topic template ${template} has {${constant.field}}, so ${effect}`,
        value: subscription,
        fix: `set topic_template so that {${constant.field}} falls on a + level of the filter, or add a rule for "${filter}" that sets ${constant.field} (a constant, {1} for the first wildcard level, or a JSON path such as $.id)`,
        severity: "warning",
      });
    }
  });
  return issues;
}

/** The MQTT connector plugin the runner composes (config key `mqtt`). */
export const mqttPlugin: ConnectorPlugin<MqttConfig> = {
  protocol: "mqtt",
  configSchema: MqttConfigSchema,
  check: checkMqttConfigs,
  create(config: MqttConfig, context: ConnectorContext): MqttConnector {
    return new MqttConnector(config, context);
  },
};
