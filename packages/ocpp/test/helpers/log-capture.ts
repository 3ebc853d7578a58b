import type { Logger } from "@qubit/core";

/** One log call: level, context (with the child bindings) and message. */
export interface LogEntry {
  level: string;
  context: Record<string, unknown>;
  message: string;
}

/**
 * A logger that keeps every entry in memory, with the bindings of its
 * children merged into the context, so tests can check what was logged.
 */
export function captureLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const write =
      (level: string) =>
      (context: object, message = "") => {
        entries.push({
          level,
          context: { ...bindings, ...(context as Record<string, unknown>) },
          message,
        });
      };
    return {
      trace: write("trace"),
      debug: write("debug"),
      info: write("info"),
      warn: write("warn"),
      error: write("error"),
      fatal: write("fatal"),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return { logger: make({}), entries };
}
