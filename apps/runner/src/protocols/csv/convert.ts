import { ConfigError, type SourceMessage } from "@qubit/core";
import { type CsvError, readFileMessages } from "@qubit/csv";
import { UsageError } from "../../errors.js";
import type { CommandContext, ConvertCommand } from "../types.js";
import { loadCsvCommandConfig } from "./config.js";
import { allPluginsLazy } from "./plugins.js";

const USAGE = `Usage: qubit convert csv --config FILE [INPUT]

Prints the readings INPUT (a CSV, JSON, NDJSON or Green Button file)
becomes with the csv section of FILE, as NDJSON on stdout. INPUT replaces
file_path of the config. Bad rows are printed to stderr with their line
and column, and the exit status is then 1.

Options:
  -c, --config FILE   config file: a runner config with a csv section, or
                      the csv section alone`;

const CONFIG_CODES = new Set([
  "QUBIT_CSV_COLUMN_NOT_FOUND",
  "QUBIT_CSV_MAPPING_INVALID",
  "QUBIT_CSV_HEADER_NOT_FOUND",
]);

/** `qubit convert csv`. */
export const csvConvert: ConvertCommand = {
  usage: USAGE,
  options: { config: { type: "string", short: "c" } },
  allowPositionals: true,
  messages(args, context) {
    const path = args.values.config;
    if (typeof path !== "string") {
      throw new UsageError("--config is required", `usage:\n${USAGE}`);
    }
    if (args.positionals.length > 1) {
      throw new UsageError(
        `Expected one input file, got ${args.positionals.length}`,
        `usage:\n${USAGE}`,
      );
    }
    const { csv } = loadCsvCommandConfig(
      path,
      allPluginsLazy(),
      context.env,
      args.positionals[0],
    );
    return translated(
      readFileMessages(csv, { now: context.now }),
      path,
      context,
    );
  },
};

async function* translated(
  messages: AsyncGenerator<SourceMessage>,
  path: string,
  _context: CommandContext,
): AsyncGenerator<SourceMessage> {
  try {
    yield* messages;
  } catch (error) {
    const code = (error as CsvError).code;
    if (code === "QUBIT_CSV_FILE_NOT_FOUND") {
      throw new UsageError(
        (error as Error).message,
        "give an existing input file",
      );
    }
    if (CONFIG_CODES.has(code)) {
      const csvError = error as CsvError;
      const field = csvError.location?.field;
      throw new ConfigError(
        [
          {
            path: field
              ? `/csv/${String(field).replaceAll(".", "/")}`
              : "/csv/mapping",
            message: csvError.message,
            ...(csvError.value === undefined ? {} : { value: csvError.value }),
            ...(csvError.fix === undefined ? {} : { fix: csvError.fix }),
            severity: "error",
          },
        ],
        path,
      );
    }
    throw error;
  }
}
