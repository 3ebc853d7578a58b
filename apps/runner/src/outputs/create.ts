import { join, resolve } from "node:path";
import {
  ConfigError,
  type ConfigIssue,
  type DeadLetterOutput,
  type Logger,
  type MetricsRegistry,
  NdjsonDeadLetterOutput,
  NdjsonOutput,
  type Output,
} from "@qubit/core";
import type { RunnerConfig } from "../config/schema.js";
import { BufferedOutput } from "./buffered-output.js";
import type { BufferConfig } from "./config.js";
import { MqttOutput } from "./mqtt.js";
import { NatsOutput } from "./nats.js";
import { PostgresOutput } from "./postgres.js";
import { SqliteDeadLetterOutput, SqliteOutput } from "./sqlite.js";
import { WebhookOutput } from "./webhook.js";

/** One entry of the config's `outputs` list. */
export type OutputConfig = RunnerConfig["outputs"][number];

/** Logger and metrics that the outputs report to. */
export interface OutputContext {
  logger?: Logger;
  registry?: MetricsRegistry;
}

/** Returns the path of the embedded store of a config. */
export function storePath(config: RunnerConfig): string {
  const sqlite = config.outputs.find((output) => output.type === "sqlite");
  return sqlite?.path ?? join(config.data_dir, "qubit.db");
}

/** Returns the name of an output: its `name`, else `<type>-<index>`. */
export function outputName(output: OutputConfig, index: number): string {
  if (output.name !== undefined) return output.name;
  return output.type === "stdout" ? "stdout" : `${output.type}-${index}`;
}

/** Returns the folder of an output's disk buffer. */
export function bufferPath(
  config: RunnerConfig,
  buffer: BufferConfig,
  name: string,
): string {
  return resolve(buffer.path ?? join(config.data_dir, "buffer", name));
}

/**
 * Creates the outputs a config lists, each wrapped in a disk buffer when
 * it has a `buffer` section. Throws a {@link ConfigError} for two outputs
 * with one name or one buffer folder, and for settings that fail only
 * when the output is built (a TLS file that cannot be read).
 */
export function createOutputs(
  config: RunnerConfig,
  context: OutputContext = {},
): Output[] {
  const issues = duplicateIssues(config);
  if (issues.length > 0) throw new ConfigError(issues);
  return config.outputs.map((output, index) => {
    const name = outputName(output, index);
    let created: Output;
    try {
      created = createOutput(config, output, name, context);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError([
        {
          path: `/outputs/${index}`,
          message: `output ${name} cannot be created: ${(error as Error).message}`,
          fix: "check the files and templates this output names",
        },
      ]);
    }
    if (!("buffer" in output) || output.buffer === undefined) return created;
    const buffer = output.buffer;
    return new BufferedOutput(created, {
      directory: bufferPath(config, buffer, name),
      maxBytes: buffer.max_bytes,
      fsync: buffer.fsync,
      retryInitialDelayMs: buffer.retry_initial_delay_ms,
      retryMaxDelayMs: buffer.retry_max_delay_ms,
      ...context,
    });
  });
}

function createOutput(
  config: RunnerConfig,
  output: OutputConfig,
  name: string,
  context: OutputContext,
): Output {
  const options = {
    name,
    ...(context.logger ? { logger: context.logger } : {}),
  };
  switch (output.type) {
    case "sqlite":
      return new SqliteOutput(
        output.path ?? join(config.data_dir, "qubit.db"),
        name,
      );
    case "stdout":
      return new NdjsonOutput(process.stdout, name);
    case "file":
      return new NdjsonOutput(output.path, name);
    case "postgres":
      return new PostgresOutput(output, options);
    case "nats":
      return new NatsOutput(output, options);
    case "mqtt":
      return new MqttOutput(output, options);
    case "webhook":
      return new WebhookOutput(output, options);
    default:
      throw new TypeError(
        `Unknown output type ${JSON.stringify((output as { type: unknown }).type)}`,
      );
  }
}

function duplicateIssues(config: RunnerConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = new Map<string, number>();
  const buffers = new Map<string, number>();
  config.outputs.forEach((output, index) => {
    const name = outputName(output, index);
    const previous = names.get(name);
    if (previous !== undefined) {
      issues.push({
        path: `/outputs/${index}/name`,
        message: `output name "${name}" is already used by /outputs/${previous}`,
        value: name,
        fix: "give each output a unique name",
        severity: "error",
      });
    }
    names.set(name, index);
    if (!("buffer" in output) || output.buffer === undefined) return;
    const path = bufferPath(config, output.buffer, name);
    const other = buffers.get(path);
    if (other !== undefined) {
      issues.push({
        path: `/outputs/${index}/buffer/path`,
        message: `buffer folder ${path} is already used by /outputs/${other}`,
        value: path,
        fix: "give each output its own buffer.path",
        severity: "error",
      });
    }
    buffers.set(path, index);
  });
  return issues;
}

/** Creates the dead-letter outputs: an NDJSON file, and the store's table. */
export function createDeadLetterOutputs(
  config: RunnerConfig,
): DeadLetterOutput[] {
  const outputs: DeadLetterOutput[] = [
    new NdjsonDeadLetterOutput(
      config.dead_letter.path ?? join(config.data_dir, "dead-letters.ndjson"),
      "dead-letter-file",
      {
        maxBytes: config.dead_letter.max_file_bytes,
        keep: config.dead_letter.keep_files,
      },
    ),
  ];
  if (
    config.dead_letter.sqlite &&
    config.outputs.some((output) => output.type === "sqlite")
  ) {
    outputs.push(new SqliteDeadLetterOutput(storePath(config)));
  }
  return outputs;
}
