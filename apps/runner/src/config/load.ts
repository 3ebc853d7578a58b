import { readFileSync } from "node:fs";
import {
  ConfigError,
  type ConfigIssue,
  type ConfiguredConnector,
  type ConnectorPlugin,
  checkConfig,
  QubitError,
  substituteEnv,
  type TimeWindow,
} from "@qubit/core";
import { Value } from "@sinclair/typebox/value";
import { redactUrl } from "../outputs/endpoint.js";
import { type RunnerConfig, runnerConfigSchema } from "./schema.js";

/** Reads a JSON config file, naming the line and column of a syntax error. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new QubitError(
      "QUBIT_RUNNER_CONFIG_READ",
      `Cannot read config file ${path}: ${(error as Error).message}`,
      {
        location: { address: path },
        fix: "check the path given to --config",
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    let where = "";
    if (position) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset);
      const line = before.split("\n").length;
      const column = offset - before.lastIndexOf("\n");
      where = ` at line ${line}, column ${column}`;
    }
    throw new QubitError(
      "QUBIT_RUNNER_CONFIG_READ",
      `Config file ${path} is not valid JSON${where}: ${message}`,
      {
        location: { address: path },
        fix: "config files are JSON with snake_case keys; check commas and quotes near that place",
        cause: error,
      },
    );
  }
}

/**
 * Builds a config from the environment variables of the container
 * images: `MQTT_BROKER` and `MQTT_TOPICS` (comma-separated) give one MQTT
 * connector, with `MQTT_CLIENT_ID`, `MQTT_USERNAME` and `MQTT_PASSWORD`
 * when set, and `QUBIT_SERVER_HOST` sets the address of /health and
 * /metrics. Returns `undefined` without `MQTT_BROKER`.
 */
export function configFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> | undefined {
  const broker = env.MQTT_BROKER;
  if (!broker) return undefined;
  const mqtt: Record<string, unknown> = {
    broker,
    topics: (env.MQTT_TOPICS ?? "#")
      .split(",")
      .map((topic) => topic.trim())
      .filter(Boolean),
  };
  if (env.MQTT_CLIENT_ID) mqtt.client_id = env.MQTT_CLIENT_ID;
  if (env.MQTT_USERNAME)
    mqtt.auth = {
      username: env.MQTT_USERNAME,
      password: env.MQTT_PASSWORD ?? "",
    };
  return { mqtt };
}

/** A loaded config and the warnings found on the way. */
export interface LoadedConfig {
  config: RunnerConfig;
  warnings: ConfigIssue[];
}

/**
 * Substitutes `${VAR}` tokens, applies defaults, validates the whole
 * file and runs each plugin's own checks. Throws a {@link ConfigError}
 * listing every error with its path, value and fix.
 */
export function loadConfig(
  input: unknown,
  plugins: readonly ConnectorPlugin[],
  options: {
    env?: Readonly<Record<string, string | undefined>>;
    source?: string;
  } = {},
): LoadedConfig {
  const env = options.env ?? process.env;
  const substituted = substituteEnv(input, env);
  const schema = runnerConfigSchema(plugins);
  const { value, issues } = checkConfig<RunnerConfig>(
    schema,
    withSectionDefaults(substituted.value, plugins),
  );
  const all = [...substituted.issues, ...issues];
  if (all.every((issue) => issue.severity === "warning")) {
    all.push(
      ...pipelineIssues(value),
      ...pluginIssues(value, plugins).map(redactIssue),
      ...nameIssues(value, plugins),
    );
  }
  const errors = all.filter((issue) => issue.severity !== "warning");
  if (errors.length > 0) throw new ConfigError(errors, options.source);
  return {
    config: value,
    warnings: all.filter((issue) => issue.severity === "warning"),
  };
}

// A URL with user information or a query, either of which may carry a
// password or a token.
const URL_WITH_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\s]*@|[^?#\s]*\?)/i;

/**
 * Shortens URL values of an issue to scheme, host and path. The schema
 * check of @qubit/core already hides passwords, but the plugins' own
 * checks echo values as they are.
 */
function redactIssue(issue: ConfigIssue): ConfigIssue {
  const { value } = issue;
  if (typeof value !== "string" || !URL_WITH_CREDENTIALS.test(value))
    return issue;
  return { ...issue, value: redactUrl(value) };
}

/** Lists the connectors of one protocol with their names and paths. */
export function connectorsOf<C>(
  config: RunnerConfig,
  protocol: string,
): ConfiguredConnector<C>[] {
  const section = config[protocol];
  if (section === undefined) return [];
  const entries = Array.isArray(section) ? section : [section];
  return entries.map((entry, index) => {
    const name = (entry as { name?: unknown }).name;
    return {
      name:
        typeof name === "string" && name !== ""
          ? name
          : entries.length === 1
            ? protocol
            : `${protocol}-${index + 1}`,
      path: Array.isArray(section) ? `/${protocol}/${index}` : `/${protocol}`,
      config: entry as C,
    };
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Applies each plugin's defaults to its section. A section may be one
 * connector or a list, and TypeBox cannot apply defaults through that
 * union; without this, every defaulted key of a section with one typo
 * would be reported missing.
 */
function withSectionDefaults(
  input: unknown,
  plugins: readonly ConnectorPlugin[],
): unknown {
  if (!isObject(input)) return input;
  const result: Record<string, unknown> = { ...input };
  const complete = (
    schema: ConnectorPlugin["configSchema"],
    entry: unknown,
  ): unknown =>
    isObject(entry)
      ? Value.Default(schema, Value.Convert(schema, structuredClone(entry)))
      : entry;
  for (const plugin of plugins) {
    const section = result[plugin.protocol];
    if (Array.isArray(section)) {
      result[plugin.protocol] = section.map((entry) =>
        complete(plugin.configSchema, entry),
      );
    } else if (isObject(section)) {
      result[plugin.protocol] = complete(plugin.configSchema, section);
    }
  }
  return result;
}

function pipelineIssues(config: RunnerConfig): ConfigIssue[] {
  const text = config.pipeline.min_timestamp;
  if (!Number.isNaN(Date.parse(text))) return [];
  return [
    {
      path: "/pipeline/min_timestamp",
      message: "min_timestamp is not a date",
      value: text,
      fix: 'write an ISO 8601 date such as "2015-01-01T00:00:00Z"',
    },
  ];
}

/** Returns the pipeline's time window from the `pipeline` section. */
export function timeWindowOf(config: RunnerConfig): TimeWindow {
  return {
    minTimestampMs: Date.parse(config.pipeline.min_timestamp),
    maxFutureMs: config.pipeline.max_future_ms,
  };
}

function pluginIssues(
  config: RunnerConfig,
  plugins: readonly ConnectorPlugin[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const plugin of plugins) {
    const connectors = connectorsOf(config, plugin.protocol);
    if (connectors.length > 0 && plugin.check)
      issues.push(...plugin.check(connectors));
  }
  return issues;
}

function nameIssues(
  config: RunnerConfig,
  plugins: readonly ConnectorPlugin[],
): ConfigIssue[] {
  const seen = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const plugin of plugins) {
    for (const connector of connectorsOf(config, plugin.protocol)) {
      const previous = seen.get(connector.name);
      if (previous) {
        issues.push({
          path: `${connector.path}/name`,
          message: `connector name "${connector.name}" is already used at ${previous}`,
          value: connector.name,
          fix: "give each connector a unique name",
          severity: "error",
        });
      }
      seen.set(connector.name, connector.path);
    }
  }
  return issues;
}
