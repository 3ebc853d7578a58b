/**
 * Where an input came from, as fields a program can read: the protocol,
 * the raw address (topic, charge point, device and register, file) and the
 * finer position when there is one (message id, line, column, register).
 */
export interface SourceLocation {
  protocol?: string;
  connector?: string;
  address?: string;
  [detail: string]: string | number | undefined;
}

/** Options of {@link QubitError}. */
export interface QubitErrorOptions {
  /** The value that was invalid, as received. */
  value?: unknown;
  /** Where the invalid value came from. */
  location?: SourceLocation;
  /** What the user can do about it. */
  fix?: string;
  cause?: unknown;
}

/**
 * Base class of every error the Qubit packages throw or report. The `code`
 * is stable across releases (`QUBIT_<PACKAGE>_<WHAT>`), so programs match on
 * it instead of on the message.
 */
export class QubitError extends Error {
  readonly code: string;
  readonly value?: unknown;
  readonly location?: SourceLocation;
  readonly fix?: string;

  constructor(code: string, message: string, options: QubitErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.value !== undefined) this.value = options.value;
    if (options.location !== undefined) this.location = options.location;
    if (options.fix !== undefined) this.fix = options.fix;
  }

  /** Returns a plain object for logs and dead letters. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      value: this.value,
      location: this.location,
      fix: this.fix,
    };
  }
}

/** Error codes of `@qubit/core`, with what each one means. */
export const CoreErrorCodes = {
  QUBIT_CORE_CONFIG_INVALID: "The configuration does not match its schema.",
  QUBIT_CORE_CONFIG_ENV_MISSING:
    "A ${VAR} token names an environment variable that is not set.",
  QUBIT_CORE_READING_INVALID: "A reading does not match the TimeSeries schema.",
  QUBIT_CORE_UNIT_UNKNOWN: "A unit is not in the unit table.",
  QUBIT_CORE_UNIT_INCOMPATIBLE: "Two units belong to different dimensions.",
  QUBIT_CORE_TIME_INVALID: "A timestamp cannot be parsed.",
  QUBIT_CORE_TIME_NONEXISTENT:
    "A local time falls in the hour skipped by a daylight-saving change.",
  QUBIT_CORE_TIME_AMBIGUOUS:
    "A local time falls in the hour repeated by a daylight-saving change.",
  QUBIT_CORE_TIMEZONE_UNKNOWN: "A time zone is not a known IANA zone name.",
  QUBIT_CORE_OUTPUT_FAILED: "An output failed to write a batch.",
  QUBIT_CORE_HANDLER_FAILED: "A user handler threw an error.",
  QUBIT_CORE_CONVERT_FAILED:
    "A connector could not convert an input; it went to the dead letters.",
  QUBIT_CORE_CONNECT_FAILED: "A connector failed to start.",
  QUBIT_CORE_SOURCE_FAILED: "A finite source such as a file failed.",
  QUBIT_CORE_PIPELINE_CLOSED: "The pipeline was closed before the input.",
} as const;

/** A code of {@link CoreErrorCodes}. */
export type CoreErrorCode = keyof typeof CoreErrorCodes;

/** A configuration value that does not match the schema. */
export class ConfigError extends QubitError {
  /** Each problem found, with its path in the configuration. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : "";
    const lines = issues.map((issue) => `  - ${formatConfigIssue(issue)}`);
    super(
      "QUBIT_CORE_CONFIG_INVALID",
      `Invalid configuration${where}:\n${lines.join("\n")}`,
      source === undefined ? {} : { location: { address: source } },
    );
    this.issues = issues;
  }
}

/** One problem in a configuration: the path, the value and the fix. */
export interface ConfigIssue {
  /** JSON pointer style path, for example `/mqtt/qos`. */
  path: string;
  message: string;
  value?: unknown;
  fix?: string;
  /** `warning` issues do not stop the configuration from loading. */
  severity?: "error" | "warning";
}

/** Formats a config issue as one line: path, message, value and fix. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const path = issue.path === "" ? "(root)" : issue.path;
  const value =
    issue.value === undefined ? "" : ` (got ${describeValue(issue.value)})`;
  const fix = issue.fix ? `. ${issue.fix}` : "";
  return `${path}: ${issue.message}${value}${fix}`;
}

/** Describes a value for an error message, cut to a readable length. */
export function describeValue(value: unknown, maxLength = 80): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (value === undefined) text = "nothing";
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** A timestamp that cannot be turned into an instant. */
export class TimeError extends QubitError {}

/** A unit that is unknown or cannot be converted. */
export class UnitError extends QubitError {}

/** A reading that does not match the TimeSeries schema. */
export class ReadingValidationError extends QubitError {}

/** An output that failed to write. */
export class OutputError extends QubitError {}
