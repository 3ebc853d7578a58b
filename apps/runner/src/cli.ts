#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, type ConnectorPlugin, QubitError } from "@qubit/core";
import { joinNegativeValues } from "./commands/args.js";
import { commandContext } from "./commands/context.js";
import { convertCommand } from "./commands/convert.js";
import { DEMO_USAGE, demoCommand } from "./commands/demo.js";
import { RUN_USAGE, runCommand } from "./commands/run.js";
import { schemaCommand } from "./commands/schema.js";
import { validateConfigCommand } from "./commands/validate-config.js";
import { UsageError } from "./errors.js";
import { createLogger } from "./logger.js";
import { PROTOCOL_MODULES } from "./protocols/index.js";
import type { CommandContext, ExtraCommand } from "./protocols/types.js";

type Command = (
  argv: string[],
  context: CommandContext,
  plugins: readonly ConnectorPlugin[],
) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  run: {
    run: runCommand,
    summary: "run the configured connectors until stopped",
  },
  demo: {
    run: demoCommand,
    summary: "run simulated devices through every connector",
  },
  convert: {
    run: convertCommand,
    summary: "show the readings one sample input becomes",
  },
  "validate-config": {
    run: validateConfigCommand,
    summary: "check a config file",
  },
  schema: { run: schemaCommand, summary: "print the config JSON Schema" },
};

/** Every connector plugin of every protocol module. */
export function allPlugins(): ConnectorPlugin[] {
  return PROTOCOL_MODULES.flatMap((module) => module.plugins ?? []);
}

function extraCommands(): ExtraCommand[] {
  return PROTOCOL_MODULES.flatMap((module) => module.commands ?? []);
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(22)}${command.summary}`,
  );
  for (const command of extraCommands()) {
    lines.push(`  ${command.path.join(" ").padEnd(22)}${command.summary}`);
  }
  return `Usage: qubit <command> [options]

Commands:
${lines.join("\n")}

Run "qubit <command> --help" for the options of a command.`;
}

function version(): string {
  const url = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

/** Runs the command line; returns the exit status. */
export async function main(
  argv: string[],
  io: {
    stdout: NodeJS.WritableStream;
    stderr: NodeJS.WritableStream;
    env: NodeJS.ProcessEnv;
  } = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  },
): Promise<number> {
  ignoreClosedPipe(io.stdout);
  const plugins = allPlugins();
  const logger = createLogger({ level: io.env.QUBIT_LOG_LEVEL ?? "warn" });
  const context = commandContext(plugins, { ...io, logger });
  const [name, ...rest] = argv;
  try {
    if (!name || name === "--help" || name === "-h" || name === "help") {
      io.stdout.write(`${usage()}\n`);
      return name ? 0 : 2;
    }
    if (name === "--version" || name === "-v") {
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    const command = COMMANDS[name];
    if (command) return await command.run(rest, context, plugins);
    const extra = extraCommands().find((candidate) =>
      candidate.path.every((word, index) => argv[index] === word),
    );
    if (extra) {
      const args = argv.slice(extra.path.length);
      let parsed: ReturnType<typeof parseArgs>;
      try {
        parsed = parseArgs({
          args: joinNegativeValues(args, extra.options),
          options: { ...extra.options, help: { type: "boolean", short: "h" } },
          allowPositionals: extra.allowPositionals ?? false,
          strict: true,
        });
      } catch (error) {
        throw new UsageError(
          (error as Error).message,
          `usage:\n${extra.usage}`,
        );
      }
      if (parsed.values.help) {
        io.stdout.write(`${extra.usage}\n`);
        return 0;
      }
      return await extra.run(
        parsed as Parameters<ExtraCommand["run"]>[0],
        context,
      );
    }
    throw new UsageError(
      `Unknown command "${name}"`,
      `run "qubit --help" for the commands`,
    );
  } catch (error) {
    return report(error, io.stderr);
  }
}

const guardedStreams = new WeakSet<NodeJS.WritableStream>();

/**
 * Ignores EPIPE on stdout, raised when the reader went away as in
 * `qubit schema | head`: the command finishes with its own exit status
 * and the rest of its output is dropped. Other stream errors still throw.
 */
function ignoreClosedPipe(stdout: NodeJS.WritableStream): void {
  if (guardedStreams.has(stdout)) return;
  guardedStreams.add(stdout);
  stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

function report(error: unknown, stderr: NodeJS.WritableStream): number {
  if (error instanceof UsageError) {
    stderr.write(
      `error: ${error.message}\n${error.fix ? `${error.fix}\n` : ""}`,
    );
    return 2;
  }
  if (error instanceof ConfigError) {
    stderr.write(`error: ${error.message}\n`);
    return 2;
  }
  if (error instanceof QubitError) {
    stderr.write(
      `error: ${error.message} [${error.code}]\n${error.fix ? `fix: ${error.fix}\n` : ""}`,
    );
    return error.code === "QUBIT_RUNNER_CONFIG_READ" ? 2 : 1;
  }
  if ((error as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS")) {
    stderr.write(`error: ${(error as Error).message}\n`);
    return 2;
  }
  stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}

const isMain =
  process.argv[1] !== undefined &&
  import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "");
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

export { DEMO_USAGE, RUN_USAGE };
