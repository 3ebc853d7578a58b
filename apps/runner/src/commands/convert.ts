import { parseArgs } from "node:util";
import {
  type ConnectorPlugin,
  type Diagnostic,
  formatConfigIssue,
  type Logger,
  MemoryDeadLetterOutput,
  NdjsonOutput,
  Pipeline,
  type SourceLocation,
} from "@qubit/core";
import { UsageError } from "../errors.js";
import { createLogger } from "../logger.js";
import { PROTOCOL_MODULES, protocolModule } from "../protocols/index.js";
import type { CommandContext } from "../protocols/types.js";
import { joinNegativeValues } from "./args.js";

const CONVERT_USAGE = `Usage: qubit convert <protocol> [options]

Shows what one sample input becomes, as NDJSON readings on stdout, with no
device. Errors go to stderr; the exit status is 1 when part of the input
was rejected and 2 for bad usage or a bad config.

Protocols: ${PROTOCOL_MODULES.filter((module) => module.convert)
  .map((module) => module.protocol)
  .join(", ")}
Run "qubit convert <protocol> --help" for its options.`;

/** Formats a place for an error line: `topic=a/b line=3`. */
export function formatLocation(location: SourceLocation): string {
  return Object.entries(location)
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
}

/**
 * Returns the logger of the convert pipeline. The command prints every
 * rejected input and warning to stderr itself, so the pipeline's own
 * warn lines would repeat each of them: it logs errors only, unless
 * QUBIT_LOG_LEVEL asks for more.
 */
function pipelineLogger(context: CommandContext): Logger {
  if (context.env.QUBIT_LOG_LEVEL !== undefined) return context.logger;
  return createLogger({ level: "error" });
}

/** Runs `qubit convert`. Returns the exit status. */
export async function convertCommand(
  argv: string[],
  context: CommandContext,
  plugins: readonly ConnectorPlugin[],
): Promise<number> {
  const [protocol, ...rest] = argv;
  if (!protocol || protocol === "--help" || protocol === "-h") {
    context.stdout.write(`${CONVERT_USAGE}\n`);
    return protocol ? 0 : 2;
  }
  const module = protocolModule(protocol);
  if (!module?.convert) {
    throw new UsageError(
      `Unknown protocol "${protocol}" for convert`,
      `use one of ${PROTOCOL_MODULES.filter((m) => m.convert)
        .map((m) => m.protocol)
        .join(", ")}`,
    );
  }
  const convert = module.convert;
  let args: {
    values: Record<string, string | boolean | (string | boolean)[] | undefined>;
    positionals: string[];
  };
  try {
    args = parseArgs({
      args: joinNegativeValues(rest, convert.options),
      options: { ...convert.options, help: { type: "boolean", short: "h" } },
      allowPositionals: convert.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, `usage:\n${convert.usage}`);
  }
  if (args.values.help) {
    context.stdout.write(`${convert.usage}\n`);
    return 0;
  }
  void plugins;

  const deadLetters = new MemoryDeadLetterOutput();
  const warnings: (Diagnostic & { connector: string })[] = [];
  const pipeline = new Pipeline({
    name: "convert",
    outputs: [
      new NdjsonOutput(
        context.stdout as NodeJS.WritableStream &
          import("node:stream").Writable,
      ),
    ],
    deadLetters: [deadLetters],
    batchSize: 1000,
    batchIntervalMs: 10,
    dedupWindow: 0,
    logger: pipelineLogger(context),
  });
  pipeline.on("diagnostic", (diagnostic) => warnings.push(diagnostic));
  const pending: Promise<void>[] = [];
  for await (const message of convert.messages(args, context)) {
    pending.push(pipeline.submit({ message, result: message.convert() }));
  }
  await Promise.all(pending);
  await pipeline.close();

  const printed = new Map<string, number>();
  // A file with one systematic fault (a wrong timestamp format) would
  // otherwise print the same error for every row.
  const print = (code: string, line: (first: boolean) => string) => {
    const count = (printed.get(code) ?? 0) + 1;
    printed.set(code, count);
    if (count <= MAX_PRINTED_PER_CODE) context.stderr.write(line(count === 1));
  };
  for (const warning of warnings) {
    print(
      `warning:${warning.code}`,
      () =>
        `warning: ${warning.message} [${warning.code}]${warning.location ? ` at ${formatLocation(warning.location)}` : ""}\n`,
    );
  }
  for (const letter of deadLetters.letters) {
    print(letter.code, (first) => {
      const fix = first && letter.fix ? `\n  fix: ${letter.fix}` : "";
      return `error: ${letter.reason} [${letter.code}] at ${formatLocation(letter.location)}${fix}\n`;
    });
  }
  for (const [code, count] of printed) {
    if (count <= MAX_PRINTED_PER_CODE) continue;
    const kind = code.startsWith("warning:") ? "warnings" : "errors";
    context.stderr.write(
      `... ${count - MAX_PRINTED_PER_CODE} more ${kind} [${code.replace(/^warning:/, "")}] not printed\n`,
    );
  }
  return deadLetters.letters.length > 0 ? 1 : 0;
}

/** Errors or warnings of one code printed in full before a count. */
const MAX_PRINTED_PER_CODE = 20;

export { formatConfigIssue };
