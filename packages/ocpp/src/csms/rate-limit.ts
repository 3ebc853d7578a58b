/**
 * A token bucket per charge point: `burst` CALLs at once, refilled at
 * `ratePerSecond`. `reserve` takes a token ahead of time and returns how
 * long the caller must wait for it, so a charger above its rate is slowed
 * down first and refused only when the wait grows past a limit.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Reserves one token for a charge point. Returns the wait in ms before
   * the call may proceed (0 when a token is free now), or `undefined`
   * when the wait would exceed `maxWaitMs`; nothing is reserved then.
   */
  reserve(identity: string, maxWaitMs: number): number | undefined {
    const time = this.now();
    let bucket = this.buckets.get(identity);
    if (!bucket) {
      bucket = { tokens: this.burst, at: time };
      this.buckets.set(identity, bucket);
    }
    const refilled = Math.min(
      this.burst,
      bucket.tokens + ((time - bucket.at) / 1000) * this.ratePerSecond,
    );
    const after = refilled - 1;
    const waitMs = after >= 0 ? 0 : (-after / this.ratePerSecond) * 1000;
    bucket.at = time;
    if (waitMs > maxWaitMs) {
      bucket.tokens = refilled;
      return undefined;
    }
    bucket.tokens = after;
    return Math.ceil(waitMs);
  }

  /** Forgets a charge point (when it disconnects and its bucket is full again). */
  forget(identity: string): void {
    this.buckets.delete(identity);
  }
}
