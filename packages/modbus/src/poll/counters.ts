import type { StateStore } from "@qubit/core";

/** Verdict on one counter value. */
export interface CounterVerdict {
  kind: "ok" | "decreased" | "rollover" | "jump";
  previous?: number;
  /** Seconds since the previous value. */
  elapsedS?: number;
}

interface Last {
  value: number;
  at: number;
}

/**
 * Remembers the last value of every cumulative counter and judges each
 * new one: a decrease, a wrap around the raw type's maximum, or a rise
 * faster than `max_rate` is reported instead of passing as good. The
 * new value always becomes the reference, so a counter reset is flagged
 * once. With a state store the references survive a restart.
 */
export class CounterTracker {
  private readonly last = new Map<string, Last>();
  private readonly state: StateStore | undefined;
  private readonly namespace: string;

  constructor(state?: StateStore, namespace = "modbus-counters") {
    this.state = state;
    this.namespace = namespace;
  }

  /**
   * Checks a counter value taken at `at` (epoch ms). `rawMax` is the
   * largest value the register can hold after scaling, used to tell a
   * rollover from a decrease.
   */
  check(
    key: string,
    value: number,
    at: number,
    options: { maxRate?: number | undefined; rawMax?: number | undefined } = {},
  ): CounterVerdict {
    const previous = this.lookup(key);
    this.remember(key, { value, at });
    if (!previous || at <= previous.at) return { kind: "ok" };
    const elapsedS = (at - previous.at) / 1000;
    if (value < previous.value) {
      const max = options.rawMax;
      const wrapped =
        max !== undefined && previous.value > max * 0.9 && value < max * 0.1;
      return {
        kind: wrapped ? "rollover" : "decreased",
        previous: previous.value,
        elapsedS,
      };
    }
    if (
      options.maxRate !== undefined &&
      (value - previous.value) / elapsedS > options.maxRate
    ) {
      return { kind: "jump", previous: previous.value, elapsedS };
    }
    return { kind: "ok", previous: previous.value, elapsedS };
  }

  private lookup(key: string): Last | undefined {
    const cached = this.last.get(key);
    if (cached || !this.state) return cached;
    const stored = this.state.get<Last>(this.namespace, key);
    if (stored) this.last.set(key, stored);
    return stored;
  }

  private remember(key: string, entry: Last): void {
    this.last.set(key, entry);
    this.state?.set(this.namespace, key, entry);
  }
}
