import { type JsonPath, parseJsonPath, readPath } from "./json-path.js";

/** Data that a value source reads from. */
export interface SourceContext {
  topic: string;
  /** Topic levels matched by the filter's wildcards, in order. */
  wildcards: readonly string[];
  /** Fields named by the topic template. */
  levels: Readonly<Record<string, string>>;
  /** MQTT 5 user properties (the last value of a repeated name). */
  properties: Readonly<Record<string, string>>;
  payload: unknown;
}

/**
 * A source of a mapped field: a constant, a template with
 * placeholders (`{asset_id}`, `{1}`, `{topic}`, `{property.ts}`) or a
 * JSON path into the payload (`$.meta.id`).
 */
export interface ValueSource {
  readonly source: string;
  /** True when the value comes from the payload. */
  readonly fromPayload: boolean;
  read(context: SourceContext): unknown;
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

/** Compiles a value source; throws a `TypeError` for an invalid path. */
export function compileSource(source: string): ValueSource {
  if (source === "$" || source.startsWith("$.") || source.startsWith("$[")) {
    const path: JsonPath = parseJsonPath(source);
    return {
      source,
      fromPayload: true,
      read: (context) => readPath(context.payload, path),
    };
  }
  if (!source.includes("{")) {
    return { source, fromPayload: false, read: () => source };
  }
  const names = [...source.matchAll(PLACEHOLDER)].map((match) => match[1]!);
  const single = names.length === 1 && source === `{${names[0]}}`;
  const readers = new Map(names.map((name) => [name, placeholder(name)]));
  return {
    source,
    fromPayload: false,
    read(context) {
      if (single) return readers.get(names[0]!)!(context);
      let missing = false;
      const text = source.replace(PLACEHOLDER, (_, name: string) => {
        const value = readers.get(name)!(context);
        if (value === undefined) missing = true;
        return value ?? "";
      });
      return missing ? undefined : text;
    },
  };
}

function placeholder(
  name: string,
): (context: SourceContext) => string | undefined {
  if (/^\d+$/.test(name)) {
    const index = Number(name) - 1;
    return (context) => context.wildcards[index];
  }
  if (name === "topic") return (context) => context.topic;
  if (name.startsWith("property.")) {
    const key = name.slice("property.".length);
    return (context) => context.properties[key];
  }
  if (name.startsWith("level.")) {
    const index = Number(name.slice("level.".length)) - 1;
    return (context) => context.topic.split("/")[index];
  }
  return (context) => context.levels[name];
}
