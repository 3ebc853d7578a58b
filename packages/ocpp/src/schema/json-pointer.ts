// Minimal JSON pointer (RFC 6901) access for the schema repairs.

function tokens(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Returns the value at a JSON pointer, or `undefined`. */
export function getAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const token of tokens(pointer)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** Returns the parent pointer and last token of a pointer, or `undefined` for the root. */
export function parentOf(
  pointer: string,
): { path: string; key: string } | undefined {
  const index = pointer.lastIndexOf("/");
  if (index < 0 || pointer === "") return undefined;
  return {
    path: pointer.slice(0, index),
    key: pointer
      .slice(index + 1)
      .replace(/~1/g, "/")
      .replace(/~0/g, "~"),
  };
}

/** Sets the value at a JSON pointer whose parent exists. */
export function setAt(root: unknown, pointer: string, value: unknown): void {
  const parent = parentOf(pointer);
  if (!parent) return;
  const container = getAt(root, parent.path);
  if (container === null || typeof container !== "object") return;
  (container as Record<string, unknown>)[parent.key] = value;
}

/** Removes an object property or array item at a JSON pointer. */
export function removeAt(root: unknown, pointer: string): void {
  const parent = parentOf(pointer);
  if (!parent) return;
  const container = getAt(root, parent.path);
  if (Array.isArray(container)) container.splice(Number(parent.key), 1);
  else if (container !== null && typeof container === "object")
    delete (container as Record<string, unknown>)[parent.key];
}
