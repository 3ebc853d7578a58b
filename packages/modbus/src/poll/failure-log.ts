/** Log decision for one more failure of a condition {@link FailureLog} tracks. */
export type FailureReport =
  | { kind: "first" }
  | {
      kind: "repeat";
      /** Failures since the condition began, this one included. */
      failures: number;
      /** Failures not logged since the previous line. */
      unlogged: number;
      /** Epoch ms of the first failure. */
      since: number;
    };

/** Log line content for a failing condition that ended. */
export interface RecoveryReport {
  failures: number;
  /** Time from the first failure to the recovery, in ms. */
  downMs: number;
}

/**
 * Rate-limits the log lines of a condition that keeps failing, such as a
 * dead connection or a device that does not respond. The first failure
 * gets a line, the repeats are counted and get one line per `intervalMs`
 * with the count, and the recovery gets a line with the total.
 */
export class FailureLog {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private failures = 0;
  private unlogged = 0;
  private since = 0;
  private loggedAt = 0;

  constructor(intervalMs: number, now: () => number = Date.now) {
    this.intervalMs = intervalMs;
    this.now = now;
  }

  /** Records a failure; returns what to log, or undefined to log nothing. */
  fail(): FailureReport | undefined {
    const now = this.now();
    this.failures += 1;
    if (this.failures === 1) {
      this.since = now;
      this.loggedAt = now;
      return { kind: "first" };
    }
    this.unlogged += 1;
    if (now - this.loggedAt < this.intervalMs) return undefined;
    const report: FailureReport = {
      kind: "repeat",
      failures: this.failures,
      unlogged: this.unlogged,
      since: this.since,
    };
    this.loggedAt = now;
    this.unlogged = 0;
    return report;
  }

  /** Records a success; returns the recovery to log after failures. */
  recover(): RecoveryReport | undefined {
    if (this.failures === 0) return undefined;
    const report = { failures: this.failures, downMs: this.now() - this.since };
    this.failures = 0;
    this.unlogged = 0;
    return report;
  }
}
