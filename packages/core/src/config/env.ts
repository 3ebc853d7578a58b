import type { ConfigIssue } from "../errors.js";

const TOKEN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a config
 * value with environment variables; `$${` stands for a literal `${`. A
 * variable that is unset (or empty, for the `:-` form) and has no default
 * is reported as an issue naming the path, and the token is left as it is.
 */
export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
  path = "",
): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const walk = (node: unknown, at: string): unknown => {
    if (typeof node === "string") return replaceTokens(node, env, at, issues);
    if (Array.isArray(node))
      return node.map((item, index) => walk(item, `${at}/${index}`));
    if (node !== null && typeof node === "object") {
      const result: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        result[key] = walk(child, `${at}/${escapePointer(key)}`);
      }
      return result;
    }
    return node;
  };
  return { value: walk(value, path), issues };
}

function replaceTokens(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  path: string,
  issues: ConfigIssue[],
): string {
  if (!text.includes("${")) return text;
  return text.replace(
    TOKEN,
    (token, name: string | undefined, fallback: string | undefined) => {
      if (token === "$${") return "${";
      const current = env[name!];
      if (fallback !== undefined)
        return current === undefined || current === "" ? fallback : current;
      if (current !== undefined) return current;
      issues.push({
        path,
        message: `environment variable ${name} is not set`,
        fix: `set ${name}, or write \${${name}:-default} to give a default`,
        severity: "error",
      });
      return token;
    },
  );
}

/** Escapes a key for a JSON pointer path segment. */
export function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}
