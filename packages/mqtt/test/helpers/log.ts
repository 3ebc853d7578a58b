import type { Logger } from "@qubit/core";

/** One log call: level, merged bindings and context, and the message. */
export interface LogEntry {
  level: string;
  context: Record<string, unknown>;
  message: string | undefined;
}

/**
 * A logger that keeps every entry in memory, with the bindings of its
 * children, so a test can read what the connector logged. It has the
 * shape of pino's logger that the packages accept.
 */
export function recordingLogger(
  entries: LogEntry[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { entries: LogEntry[] } {
  const log =
    (level: string) =>
    (context: object, message?: string): void => {
      entries.push({ level, context: { ...bindings, ...context }, message });
    };
  return {
    entries,
    trace: log("trace"),
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    fatal: log("fatal"),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
  };
}

/** Serialises the entries as JSON lines, with the own fields of errors. */
export function logText(entries: readonly LogEntry[]): string {
  return entries
    .map((entry) =>
      JSON.stringify({ ...entry, context: entry.context }, (_key, value) =>
        value instanceof Error
          ? {
              ...value,
              message: value.message,
              stack: value.stack,
              cause: value.cause,
            }
          : value,
      ),
    )
    .join("\n");
}
