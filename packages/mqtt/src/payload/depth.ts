/**
 * Maximum nesting depth of arrays and objects in a decoded payload. The
 * limit keeps the recursive mapping code far from the call stack size.
 * A payload nested deeper is dead-lettered with QUBIT_MQTT_PAYLOAD_TOO_DEEP.
 */
export const MAX_NESTING_DEPTH = 64;

/**
 * Returns the character offset of the first `[` or `{` that opens a
 * level deeper than `maxDepth` in JSON text, or `undefined` when the
 * text stays within it. Brackets inside strings do not count.
 */
export function deepJsonOffset(
  text: string,
  maxDepth = MAX_NESTING_DEPTH,
): number | undefined {
  // A document deeper than maxDepth needs maxDepth + 1 opening and as
  // many closing brackets, so shorter text (the usual payload) is skipped.
  if (text.length < 2 * (maxDepth + 1)) return undefined;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 92) index += 1;
      else if (code === 34) inString = false;
      continue;
    }
    if (code === 34) inString = true;
    else if (code === 91 || code === 123) {
      depth += 1;
      if (depth > maxDepth) return index;
    } else if (code === 93 || code === 125) depth -= 1;
  }
  return undefined;
}

/**
 * Returns whether a decoded value (MessagePack, Protobuf) nests arrays
 * or objects deeper than `maxDepth`. It walks the value with its own
 * stack, so a deep value cannot overflow the call stack here.
 */
export function isNestedDeeper(
  value: unknown,
  maxDepth = MAX_NESTING_DEPTH,
): boolean {
  const nodes: unknown[] = [value];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    if (!isContainer(node)) continue;
    if (depth + 1 > maxDepth) return true;
    const children = Array.isArray(node)
      ? node
      : Object.values(node as Record<string, unknown>);
    for (const child of children) {
      if (!isContainer(child)) continue;
      nodes.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
}

function isContainer(value: unknown): value is object {
  return (
    value !== null &&
    typeof value === "object" &&
    !(value instanceof Date) &&
    !ArrayBuffer.isView(value)
  );
}
