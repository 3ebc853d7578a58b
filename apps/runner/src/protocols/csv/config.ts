import { resolve } from "node:path";
import {
  ConfigError,
  type ConnectorPlugin,
  parseConfig,
  substituteEnv,
} from "@qubit/core";
import { type CsvConfig, CsvConfigSchema } from "@qubit/csv";
import { loadConfig, readConfigFile } from "../../config/load.js";
import { type RunnerConfig, runnerConfigSchema } from "../../config/schema.js";
import { UsageError } from "../../errors.js";

/** A CSV connector config and the runner settings around it. */
export interface CsvCommandConfig {
  /** The `csv` section (the first entry of a list), validated. */
  csv: CsvConfig;
  /** The whole runner config: outputs, data_dir, pipeline, dead letters. */
  runner: RunnerConfig;
}

/**
 * Reads a config file for the CSV commands. It may be a whole runner
 * config with a `csv` section, or the `csv` section alone. `filePath`
 * replaces `file_path`, which may then be left out of the file.
 */
export function loadCsvCommandConfig(
  path: string,
  plugins: readonly ConnectorPlugin[],
  env: Readonly<Record<string, string | undefined>>,
  filePath?: string,
): CsvCommandConfig {
  const file = readConfigFile(path);
  if (file === null || typeof file !== "object" || Array.isArray(file)) {
    throw new ConfigError(
      [
        {
          path: "",
          message: "must be a JSON object",
          value: file,
          severity: "error",
        },
      ],
      path,
    );
  }

  // The csv section, or the first entry of a list of them.
  const whole = "csv" in file;
  if (!whole)
    rejectRunnerConfig(file as Record<string, unknown>, path, plugins);
  let section = whole ? (file as Record<string, unknown>).csv : file;
  let base = whole ? "/csv" : "";
  if (Array.isArray(section)) {
    section = section[0];
    base += "/0";
  }

  const substituted = substituteEnv(section, env, base);
  if (substituted.issues.length > 0) {
    throw new ConfigError(substituted.issues, path);
  }
  const value = { ...(substituted.value as Record<string, unknown>) };
  if (filePath !== undefined) value.file_path = resolve(filePath);
  const csv = parseSection(value, base, path);

  // The runner keys (outputs, data_dir, pipeline) with their defaults.
  const runnerInput: Record<string, unknown> = whole
    ? { ...(file as Record<string, unknown>) }
    : {};
  runnerInput.csv = { ...csv };
  const { config } = loadConfig(runnerInput, plugins, { env, source: path });
  return { csv, runner: config };
}

const CSV_SECTION_EXAMPLE = `For example:
{
  "csv": {
    "mapping": {
      "timestamp": "DateTime",
      "asset_id": "InverterID",
      "value": "Generation_kWh",
      "unit": "kWh"
    },
    "timestamp_format": "%Y-%m-%d %H:%M:%S",
    "timezone": "UTC"
  },
  "outputs": [{ "type": "sqlite" }]
}`;

/**
 * Throws when a file without a `csv` key has runner keys (`mqtt`,
 * `outputs`, `data_dir`, ...): it is a runner config that lacks the csv
 * section, not a csv section of its own.
 */
function rejectRunnerConfig(
  file: Record<string, unknown>,
  path: string,
  plugins: readonly ConnectorPlugin[],
): void {
  const csvKeys = new Set(Object.keys(CsvConfigSchema.properties));
  const runnerKeys = new Set(
    Object.keys(runnerConfigSchema(plugins).properties ?? {}),
  );
  const foreign = Object.keys(file).filter(
    (key) => key !== "$schema" && runnerKeys.has(key) && !csvKeys.has(key),
  );
  if (foreign.length === 0) return;
  throw new UsageError(
    `${path} has no csv section; add one (it contains the runner keys ${foreign.join(", ")})`,
    CSV_SECTION_EXAMPLE,
  );
}

function parseSection(value: unknown, base: string, path: string): CsvConfig {
  try {
    return parseConfig<CsvConfig>(CsvConfigSchema, value, path).value;
  } catch (error) {
    if (error instanceof ConfigError && base !== "") {
      throw new ConfigError(
        error.issues.map((issue) => ({
          ...issue,
          path: `${base}${issue.path}`,
        })),
        path,
      );
    }
    throw error;
  }
}
