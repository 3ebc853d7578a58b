/**
 * The logging interface the packages accept. It is the subset of pino's
 * `Logger` they use, so a pino logger can be passed as it is: a context
 * object first, then a short message.
 */
export interface Logger {
  trace(context: object, message?: string): void;
  debug(context: object, message?: string): void;
  info(context: object, message?: string): void;
  warn(context: object, message?: string): void;
  error(context: object, message?: string): void;
  fatal(context: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const discard = (): void => {};

/** A logger that drops everything; the default of every library class. */
export const noopLogger: Logger = {
  trace: discard,
  debug: discard,
  info: discard,
  warn: discard,
  error: discard,
  fatal: discard,
  child: () => noopLogger,
};

/**
 * Returns a function that passes at most `limit` calls per `windowMs` and
 * reports how many it suppressed, so a fault repeated by every message is
 * logged a few times a minute instead of thousands of times.
 */
export function rateLimited(
  limit: number,
  windowMs: number,
  now: () => number = Date.now,
): () => { allowed: boolean; suppressed: number } {
  let windowStart = now();
  let count = 0;
  let suppressed = 0;
  return () => {
    const time = now();
    if (time - windowStart >= windowMs) {
      windowStart = time;
      count = 0;
    }
    count += 1;
    if (count <= limit) {
      const report = suppressed;
      suppressed = 0;
      return { allowed: true, suppressed: report };
    }
    suppressed += 1;
    return { allowed: false, suppressed };
  };
}
