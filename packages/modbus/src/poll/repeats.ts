/** A request that keeps failing, as {@link FaultRepeats} tracks it. */
export interface ActiveFault {
  /** Code of the latest failure. */
  code: string;
  /** Kind of failure: a timeout and "device unreachable" are one kind. */
  state: string;
  /** When the failure began, epoch ms. */
  since: number;
  /** When it was last reported, epoch ms. */
  reportedAt: number;
  /** Failures not reported since the last report. */
  suppressed: number;
}

// Codes that all mean "the device did not respond": a device that is down
// alternates between a timeout (probe) and unreachable (no probe due).
const NO_RESPONSE = new Set([
  "QUBIT_MODBUS_TIMEOUT",
  "QUBIT_MODBUS_DEVICE_UNREACHABLE",
  "QUBIT_MODBUS_CONNECTION_LOST",
  "QUBIT_MODBUS_CONNECTION_FAILED",
]);

/**
 * Decides which failures of a request to report. The first failure is
 * reported, then one every `intervalMs` while it goes on, and one when
 * its kind changes (an exception after a timeout, say). The others are
 * counted as suppressed.
 */
export class FaultRepeats {
  private readonly intervalMs: number;
  private readonly active = new Map<string, ActiveFault>();
  /** Failures suppressed since the poller started. */
  suppressedTotal = 0;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Records a failure of request `key`; returns true to report it. */
  admit(key: string, code: string, now: number): boolean {
    const state = NO_RESPONSE.has(code) ? "no_response" : code;
    const entry = this.active.get(key);
    if (entry && entry.state === state) {
      entry.code = code;
      if (now - entry.reportedAt < this.intervalMs) {
        entry.suppressed += 1;
        this.suppressedTotal += 1;
        return false;
      }
      entry.reportedAt = now;
      entry.suppressed = 0;
      return true;
    }
    this.active.set(key, {
      code,
      state,
      since: now,
      reportedAt: now,
      suppressed: 0,
    });
    return true;
  }

  /** Forgets the failure of a request that succeeded; returns it if any. */
  clear(key: string): ActiveFault | undefined {
    const entry = this.active.get(key);
    if (entry) this.active.delete(key);
    return entry;
  }

  /** Number of requests failing now. */
  get activeCount(): number {
    return this.active.size;
  }
}
