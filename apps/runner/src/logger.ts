import type { Logger } from "@qubit/core";
import { destination, pino, stdTimeFunctions } from "pino";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level: trace, debug, info, warn, error, fatal or silent; default info. */
  level?: string;
  /** File descriptor to write to; default 2 (stderr), so stdout stays NDJSON. */
  fd?: number;
}

// Keys that may hold secrets anywhere in a logged object; pino replaces
// their values before the line is written.
const REDACTED_PATHS = [
  "password",
  "*.password",
  "*.*.password",
  "token",
  "*.token",
  "*.*.token",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.auth.password",
  "config.auth",
  "*.passphrase",
  "*.key",
  "*.keyfile_content",
];

/** Creates the runner's structured logger: JSON lines on stderr. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.QUBIT_LOG_LEVEL ?? "info",
      base: { service: "qubit" },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination({ fd: options.fd ?? 2, sync: false }),
  ) as unknown as Logger;
}
