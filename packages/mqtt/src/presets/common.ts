import type { Diagnostic } from "@qubit/core";
import type { FieldDecision } from "../mapping/mapping.js";

/** Options a preset entry of the config can set. */
export interface PresetOptions {
  base_topic?: string | undefined;
  timezone?: string | undefined;
}

/** Returns the last path step that is not an array index (`Power` of `ENERGY.Power.1`). */
export function lastWord(name: string): string {
  const parts = name.split(".");
  for (let index = parts.length - 1; index >= 0; index -= 1) {
    if (!/^\d+$/.test(parts[index]!)) return parts[index]!;
  }
  return name;
}

/** A field decision with the field path as the metric. */
export function keep(name: string, unit?: string): FieldDecision {
  return unit === undefined ? { metric: name } : { metric: name, unit };
}

/** Returns a topic check that skips topics whose last level is listed. */
export function skipLastLevels(
  levels: readonly string[],
): (topic: string) => Diagnostic | "skip" | undefined {
  const set = new Set(levels);
  return (topic) => {
    const last = topic.slice(topic.lastIndexOf("/") + 1);
    return set.has(last) ? "skip" : undefined;
  };
}

/** Removes a trailing slash from a base topic. */
export function trimBase(base: string): string {
  return base.replace(/\/+$/, "");
}
