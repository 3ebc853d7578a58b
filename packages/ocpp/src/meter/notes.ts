import type { ConversionResult, Diagnostic, ReadingSource } from "@qubit/core";

/**
 * Collects the diagnostics and rejects of one message. Diagnostics given a
 * `onceKey` are reported once per key for the life of `seen` (one
 * processor), so a charger that leaves out a unit in every message is
 * reported once, not every ten seconds; each repeat is still counted.
 */
export class Notes {
  /** Diagnostics suppressed as repeats of a `onceKey`. */
  repeats = 0;

  constructor(
    private readonly result: ConversionResult,
    private readonly seen: Set<string>,
  ) {}

  /** Adds a warning; the readings go on. */
  diagnostic(diagnostic: Diagnostic, onceKey?: string): void {
    if (onceKey !== undefined) {
      if (this.seen.has(onceKey)) {
        this.repeats += 1;
        return;
      }
      if (this.seen.size > 100_000) this.seen.clear();
      this.seen.add(onceKey);
    }
    this.result.diagnostics.push(diagnostic);
  }

  /** Adds a reject: the input, or this part of it, goes to the dead-letter output. */
  reject(diagnostic: Diagnostic): void {
    this.result.rejects.push(diagnostic);
  }
}

/** Builds a diagnostic location inside the current message. */
export function locationOf(
  context: { source: ReadingSource },
  pointer: string,
): Record<string, string | number | undefined> {
  return { ...context.source, field: pointer };
}
