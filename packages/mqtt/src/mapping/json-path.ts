/**
 * A small subset of JSON path for payload fields: `$.a.b`, `$.a[0]`,
 * `$['key with.dots']`, and the same without the leading `$.` (`a.b`).
 */
export type JsonPath = readonly (string | number)[];

/** Parses a path; throws a `TypeError` naming the problem when invalid. */
export function parseJsonPath(source: string): JsonPath {
  let rest = source.trim();
  if (rest === "$") return [];
  if (rest.startsWith("$")) rest = rest.slice(1);
  else rest = `.${rest}`;
  const parts: (string | number)[] = [];
  while (rest.length > 0) {
    if (rest.startsWith(".")) {
      const match = /^\.([^.[\]]+)/.exec(rest);
      if (!match) throw new TypeError(`Invalid JSON path "${source}"`);
      parts.push(match[1]!);
      rest = rest.slice(match[0].length);
      continue;
    }
    const index = /^\[(\d+)\]/.exec(rest);
    if (index) {
      parts.push(Number(index[1]));
      rest = rest.slice(index[0].length);
      continue;
    }
    const quoted = /^\[(?:'([^']*)'|"([^"]*)")\]/.exec(rest);
    if (quoted) {
      parts.push(quoted[1] ?? quoted[2]!);
      rest = rest.slice(quoted[0].length);
      continue;
    }
    throw new TypeError(`Invalid JSON path "${source}" near "${rest}"`);
  }
  return parts;
}

/** Reads the value at a path, or `undefined` when a step is missing. */
export function readPath(value: unknown, path: JsonPath): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

/** Formats a path as the dotted field name used for metrics: `Dc.Power`, `samples.0.p`. */
export function pathName(path: JsonPath): string {
  return path.join(".");
}
