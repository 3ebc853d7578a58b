import type { parseArgs } from "node:util";
import type { ConnectorPlugin, Logger, SourceMessage } from "@qubit/core";

/** Options of `node:util` `parseArgs`, as a command declares them. */
export type CommandOptions = NonNullable<
  Parameters<typeof parseArgs>[0]
>["options"];

/** Parsed command-line arguments of a command. */
export interface CommandArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** What a protocol's commands receive besides their arguments. */
export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  now: () => number;
  /**
   * Loads a config file for one protocol: the whole runner config (its
   * `<protocol>` section is taken, the first entry of a list) or the
   * section alone. Environment tokens are replaced and the result is
   * validated; a bad file throws a `ConfigError`.
   */
  loadProtocolConfig<C>(path: string, protocol: string): C;
}

/** `qubit convert <protocol>`: messages from sample input, no device. */
export interface ConvertCommand {
  /** Usage lines shown by `qubit convert <protocol> --help`. */
  usage: string;
  options: CommandOptions;
  allowPositionals?: boolean;
  /**
   * Yields the messages of the sample input in order. Throw a
   * `UsageError` for bad arguments (exit 2); the runner validates, prints
   * NDJSON and reports rejects (exit 1).
   */
  messages(
    args: CommandArgs,
    context: CommandContext,
  ): Iterable<SourceMessage> | AsyncIterable<SourceMessage>;
}

/** A simulator started by `qubit demo`, with the connector config to read it. */
export interface DemoRun {
  /** Connector config (one entry or a list) for the protocol's config key. */
  config: unknown;
  /** What the simulators do, one line for the demo's header. */
  description: string;
  stop(): Promise<void>;
}

/** The part of `qubit demo` a protocol contributes. */
export interface DemoPart {
  start(context: {
    /** A temporary folder the demo owns. */
    dir: string;
    logger: Logger;
    durationMs: number;
  }): Promise<DemoRun>;
}

/** A subcommand a protocol adds, such as `qubit import csv`. */
export interface ExtraCommand {
  /** Words that select it, for example `["import", "csv"]`. */
  path: string[];
  summary: string;
  usage: string;
  options: CommandOptions;
  allowPositionals?: boolean;
  /** Runs the command; returns the exit code. */
  run(args: CommandArgs, context: CommandContext): Promise<number>;
}

/** Everything one protocol package contributes to the runner. */
export interface ProtocolModule {
  protocol: string;
  /** Connector plugins; each one's `protocol` is its config file key. */
  // biome-ignore lint/suspicious/noExplicitAny: each plugin has its own config type
  plugins?: ConnectorPlugin<any>[];
  convert?: ConvertCommand;
  demo?: DemoPart;
  commands?: ExtraCommand[];
}
