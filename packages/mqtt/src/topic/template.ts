/**
 * Topic templates such as `{org_id}/{site_id}/{asset_id}/{device_id}/{metric}`:
 * each level is a `{name}` placeholder, a literal, `+` (any one level,
 * not kept) or, as the last level, `#` (any remaining levels, not kept)
 * or `{name#}` (the remaining levels, kept as one string).
 */

/** The default template of the product's topic hierarchy. */
export const DEFAULT_TOPIC_TEMPLATE =
  "{org_id}/{site_id}/{asset_id}/{device_id}/{metric}";

type Level =
  | { kind: "literal"; text: string }
  | { kind: "any" }
  | { kind: "field"; name: string }
  | { kind: "rest"; name: string | undefined };

/** A compiled topic template. */
export interface TopicTemplate {
  readonly source: string;
  /** Names of the placeholders, in order. */
  readonly fields: readonly string[];
  /** Returns the placeholder values, or `undefined` when the topic does not fit. */
  match(topic: string): Record<string, string> | undefined;
}

const FIELD = /^\{([A-Za-z_][A-Za-z0-9_]*)(#?)\}$/;

/** Returns why a template is invalid, or `undefined` when it is valid. */
export function templateProblem(source: string): string | undefined {
  if (source === "") return "a topic template must not be empty";
  const levels = source.split("/");
  for (let index = 0; index < levels.length; index += 1) {
    const level = levels[index]!;
    const last = index === levels.length - 1;
    const field = FIELD.exec(level);
    if (field) {
      if (field[2] === "#" && !last)
        return `{${field[1]}#} must be the last level`;
      continue;
    }
    if (level === "#" && !last) return "# must be the last level";
    if (level.includes("{") || level.includes("}"))
      return `level "${level}" must be a whole {name} placeholder or a literal`;
    if (level.includes("+") && level !== "+") return "+ must be a whole level";
  }
  return undefined;
}

/** Compiles a template; throws a `TypeError` naming the problem when invalid. */
export function compileTemplate(source: string): TopicTemplate {
  const problem = templateProblem(source);
  if (problem !== undefined)
    throw new TypeError(`Invalid topic template "${source}": ${problem}`);
  const levels: Level[] = source.split("/").map((level) => {
    const field = FIELD.exec(level);
    if (field)
      return field[2] === "#"
        ? { kind: "rest", name: field[1]! }
        : { kind: "field", name: field[1]! };
    if (level === "+") return { kind: "any" };
    if (level === "#") return { kind: "rest", name: undefined };
    return { kind: "literal", text: level };
  });
  const fields = levels.flatMap((level) =>
    (level.kind === "field" || level.kind === "rest") && level.name
      ? [level.name]
      : [],
  );
  const last = levels[levels.length - 1]!;
  const hasRest = last.kind === "rest";
  const fixed = hasRest ? levels.slice(0, -1) : levels;

  return {
    source,
    fields,
    match(topic: string): Record<string, string> | undefined {
      // Walks the topic with indexOf instead of splitting it: this runs
      // once per message.
      const values: Record<string, string> = {};
      let start = 0;
      for (let index = 0; index < fixed.length; index += 1) {
        if (start > topic.length) return undefined;
        let end = topic.indexOf("/", start);
        const final = index === fixed.length - 1 && !hasRest;
        if (end < 0) end = topic.length;
        else if (final) return undefined;
        const level = fixed[index]!;
        if (level.kind === "literal") {
          if (
            end - start !== level.text.length ||
            !topic.startsWith(level.text, start)
          )
            return undefined;
        } else if (level.kind === "field") {
          if (end === start) return undefined;
          values[level.name] = topic.slice(start, end);
        }
        start = end + 1;
      }
      if (hasRest) {
        if (start > topic.length) return undefined;
        if (last.kind === "rest" && last.name !== undefined)
          values[last.name] = topic.slice(start);
      } else if (start <= topic.length) return undefined;
      return values;
    },
  };
}
