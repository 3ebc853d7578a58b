import { join } from "node:path";
import {
  type DeadLetterOutput,
  NdjsonDeadLetterOutput,
  NdjsonOutput,
  type Output,
} from "@qubit/core";
import type { RunnerConfig } from "../config/schema.js";
import { SqliteDeadLetterOutput, SqliteOutput } from "./sqlite.js";

/** Returns the path of the embedded store of a config. */
export function storePath(config: RunnerConfig): string {
  const sqlite = config.outputs.find((output) => output.type === "sqlite");
  return sqlite?.path ?? join(config.data_dir, "qubit.db");
}

/** Creates the outputs a config lists. */
export function createOutputs(config: RunnerConfig): Output[] {
  return config.outputs.map((output, index) => {
    switch (output.type) {
      case "sqlite":
        return new SqliteOutput(
          output.path ?? join(config.data_dir, "qubit.db"),
          `sqlite-${index}`,
        );
      case "stdout":
        return new NdjsonOutput(process.stdout, "stdout");
      case "file":
        return new NdjsonOutput(output.path, `file-${index}`);
      default:
        throw new TypeError(
          `Unknown output type ${JSON.stringify((output as { type: unknown }).type)}`,
        );
    }
  });
}

/** Creates the dead-letter outputs: an NDJSON file, and the store's table. */
export function createDeadLetterOutputs(
  config: RunnerConfig,
): DeadLetterOutput[] {
  const outputs: DeadLetterOutput[] = [
    new NdjsonDeadLetterOutput(
      config.dead_letter.path ?? join(config.data_dir, "dead-letters.ndjson"),
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
