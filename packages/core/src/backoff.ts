/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay, in ms; default 1,000. */
  initialDelayMs?: number;
  /** Longest delay, in ms; default 60,000. */
  maxDelayMs?: number;
  /** Growth per attempt; default 2. */
  multiplier?: number;
  /**
   * Share of each delay that is random, 0 to 1; default 0.5 ("equal
   * jitter"), so many clients that lost one server do not retry in step.
   */
  jitter?: number;
  random?: () => number;
}

/** Exponential backoff with jitter, for reconnects and retries. */
export class Backoff {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialDelayMs = options.initialDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.multiplier = options.multiplier ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.random = options.random ?? Math.random;
  }

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Returns the next delay in ms and counts the attempt. */
  next(): number {
    const ceiling = Math.min(
      this.maxDelayMs,
      this.initialDelayMs * this.multiplier ** this.attempt,
    );
    this.attempt += 1;
    const fixed = ceiling * (1 - this.jitter);
    return Math.round(fixed + this.random() * ceiling * this.jitter);
  }

  /** Starts again from the initial delay, after a success. */
  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
