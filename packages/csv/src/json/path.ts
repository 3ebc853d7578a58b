import { CsvError } from "../errors.js";

type Step = { key: string } | { index: number } | { all: true };

/** A compiled JSON path: `$.data[*]`, `power.grid.power`, `items[0].v`. */
export interface JsonPath {
  readonly text: string;
  /** True when the path starts at the document root (`$`). */
  readonly absolute: boolean;
  /** Every value the path selects (more than one with `[*]`). */
  select(value: unknown): unknown[];
  /** The first value the path selects, or undefined. */
  first(value: unknown): unknown;
}

const STEP = /\.([^.[\]]+)|\[(\d+)\]|\[\*\]|\[['"]([^'"]+)['"]\]/y;

/**
 * Compiles the JSON path subset the connectors use: `$` for the root,
 * `.key` and `['key']` for members, `[n]` for an index and `[*]` for
 * every element. A path without `$` is relative to a record.
 */
export function compileJsonPath(text: string): JsonPath {
  const trimmed = text.trim();
  const absolute = trimmed.startsWith("$");
  let rest = absolute ? trimmed.slice(1) : trimmed;
  if (
    !absolute &&
    rest !== "" &&
    !rest.startsWith(".") &&
    !rest.startsWith("[")
  ) {
    rest = `.${rest}`;
  }
  const steps: Step[] = [];
  STEP.lastIndex = 0;
  while (STEP.lastIndex < rest.length) {
    const at = STEP.lastIndex;
    const match = STEP.exec(rest);
    if (!match) {
      throw new CsvError(
        "QUBIT_CSV_MAPPING_INVALID",
        `Invalid JSON path ${JSON.stringify(text)} at character ${at + (absolute ? 2 : 1)}`,
        { value: text, fix: "use $.a.b, a.b[0] or a[*].b" },
      );
    }
    if (match[1] !== undefined) steps.push({ key: match[1] });
    else if (match[2] !== undefined) steps.push({ index: Number(match[2]) });
    else if (match[3] !== undefined) steps.push({ key: match[3] });
    else steps.push({ all: true });
  }
  const single = steps.every((step) => !("all" in step));
  const first = (value: unknown): unknown => {
    if (!single) return select(value)[0];
    let current = value;
    for (const step of steps) {
      if (current === null || typeof current !== "object") return undefined;
      current =
        "key" in step
          ? (current as Record<string, unknown>)[step.key]
          : (current as unknown[])[(step as { index: number }).index];
    }
    return current;
  };
  const select = (value: unknown): unknown[] => {
    let current: unknown[] = [value];
    for (const step of steps) {
      const next: unknown[] = [];
      for (const item of current) {
        if (item === null || typeof item !== "object") continue;
        if ("all" in step) {
          if (Array.isArray(item)) next.push(...item);
          else next.push(...Object.values(item));
        } else if ("key" in step) {
          const child = (item as Record<string, unknown>)[step.key];
          if (child !== undefined) next.push(child);
        } else {
          const child = (item as unknown[])[step.index];
          if (child !== undefined) next.push(child);
        }
      }
      current = next;
    }
    return current;
  };
  return { text, absolute, select, first };
}

/**
 * Finds the records of a JSON document: the elements selected by `path`,
 * or with `auto` the root array, else the first array of objects found
 * breadth-first.
 */
export function selectRecords(document: unknown, path: string): unknown[] {
  if (path !== "auto") {
    const selected = compileJsonPath(path).select(document);
    return selected.length === 1 && Array.isArray(selected[0])
      ? selected[0]
      : selected;
  }
  if (Array.isArray(document)) return document;
  const queue: unknown[] = [document];
  while (queue.length > 0) {
    const item = queue.shift();
    if (item === null || typeof item !== "object") continue;
    for (const child of Object.values(item)) {
      if (
        Array.isArray(child) &&
        child.some((entry) => entry !== null && typeof entry === "object")
      ) {
        return child;
      }
      if (child !== null && typeof child === "object") queue.push(child);
    }
  }
  return document === null || document === undefined ? [] : [document];
}
