/**
 * MQTT topic filters: validation, `$share` parsing and matching with the
 * `+` (one level) and `#` (all remaining levels) wildcards, following the
 * topic-name rules of MQTT 3.1.1 and 5.0, section 4.7.
 */

/** A parsed filter that matches topics and returns the wildcard levels. */
export interface TopicFilter {
  /** The filter as subscribed, including a `$share/GROUP/` prefix. */
  readonly subscription: string;
  /** The filter without the `$share/GROUP/` prefix. */
  readonly filter: string;
  /** The share group, for `$share/GROUP/filter`. */
  readonly shareGroup: string | undefined;
  /**
   * Returns the topic levels matched by the wildcards (`#` gives the rest
   * of the topic as one string), or `undefined` when the topic does not
   * match.
   */
  match(topic: string): string[] | undefined;
}

/**
 * Returns why a filter is invalid, or `undefined` when it is valid. A
 * `#` must be the last level, `+` and `#` must fill a whole level, and a
 * `$share/GROUP/` prefix needs a group name without wildcards.
 */
export function filterProblem(subscription: string): string | undefined {
  if (subscription === "") return "a topic filter must not be empty";
  if (subscription.includes("\u0000"))
    return "a topic filter must not contain the NUL character";
  const { filter, shareGroup } = splitShare(subscription);
  if (shareGroup !== undefined) {
    if (shareGroup === "" || /[+#/]/.test(shareGroup))
      return "the share group of $share/GROUP/filter must be a non-empty name without +, # or /";
    if (filter === "") return "$share/GROUP/ must be followed by a filter";
  }
  const levels = filter.split("/");
  for (let index = 0; index < levels.length; index += 1) {
    const level = levels[index]!;
    if (level.includes("#") && (level !== "#" || index !== levels.length - 1))
      return "# must be a whole level and the last level of a filter";
    if (level.includes("+") && level !== "+")
      return "+ must be a whole level of a filter";
  }
  return undefined;
}

/** Splits `$share/GROUP/filter` into its group and filter. */
export function splitShare(subscription: string): {
  filter: string;
  shareGroup: string | undefined;
} {
  if (!subscription.startsWith("$share/"))
    return { filter: subscription, shareGroup: undefined };
  const rest = subscription.slice("$share/".length);
  const slash = rest.indexOf("/");
  if (slash < 0) return { filter: "", shareGroup: rest };
  return { filter: rest.slice(slash + 1), shareGroup: rest.slice(0, slash) };
}

/** Parses a filter; throws a `TypeError` naming the problem when invalid. */
export function parseFilter(subscription: string): TopicFilter {
  const problem = filterProblem(subscription);
  if (problem !== undefined)
    throw new TypeError(`Invalid topic filter "${subscription}": ${problem}`);
  const { filter, shareGroup } = splitShare(subscription);
  const levels = filter.split("/");
  const wildcard = levels.some((level) => level === "+" || level === "#");
  // Topics starting with $ (such as $SYS) never match a filter that starts
  // with a wildcard.
  const firstIsWildcard = levels[0] === "+" || levels[0] === "#";
  const match = wildcard
    ? (topic: string): string[] | undefined => {
        if (firstIsWildcard && topic.startsWith("$")) return undefined;
        return matchLevels(levels, topic);
      }
    : (topic: string): string[] | undefined =>
        topic === filter ? [] : undefined;
  return { subscription, filter, shareGroup, match };
}

function matchLevels(levels: string[], topic: string): string[] | undefined {
  const captures: string[] = [];
  let start = 0;
  for (let index = 0; index < levels.length; index += 1) {
    const level = levels[index]!;
    if (level === "#") {
      // "a/#" also matches "a" itself, with an empty rest.
      captures.push(start > topic.length ? "" : topic.slice(start));
      return captures;
    }
    if (start > topic.length) return undefined;
    let end = topic.indexOf("/", start);
    if (end < 0) end = topic.length;
    const part = topic.slice(start, end);
    if (level === "+") captures.push(part);
    else if (level !== part) return undefined;
    start = end + 1;
  }
  return start > topic.length ? captures : undefined;
}
