import { Kind, type TSchema } from "@sinclair/typebox";
import {
  Value,
  type ValueError,
  ValueErrorType,
} from "@sinclair/typebox/value";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { escapePointer } from "./env.js";

/**
 * Applies defaults to a config value and checks it against a TypeBox
 * schema. Returns the completed value and every issue, each naming the
 * path, the value and the fix. Strings where the schema wants a number or
 * boolean are converted first, so `${VAR}` tokens can fill such fields.
 */
export function checkConfig<T>(
  schema: TSchema,
  input: unknown,
  basePath = "",
): { value: T; issues: ConfigIssue[] } {
  const cloned = structuredClone(input);
  const converted = Value.Convert(schema, cloned);
  const value = Value.Default(schema, converted);
  const issues = explain(schema, value, basePath);
  return { value: value as T, issues };
}

/**
 * Like {@link checkConfig}, but throws a {@link ConfigError} listing every
 * error; warnings are returned.
 */
export function parseConfig<T>(
  schema: TSchema,
  input: unknown,
  source?: string,
): { value: T; warnings: ConfigIssue[] } {
  const { value, issues } = checkConfig<T>(schema, input);
  const errors = issues.filter((issue) => issue.severity !== "warning");
  if (errors.length > 0) throw new ConfigError(errors, source);
  return {
    value,
    warnings: issues.filter((issue) => issue.severity === "warning"),
  };
}

/**
 * Schema option listing key names that users write by mistake for a
 * property, such as `url` for `connection_string`. An unknown key with
 * one of these names gets the fix "did you mean" that property.
 */
export const MISTAKEN_NAMES = "x-mistaken-names";

// Values at these keys are never echoed in an issue, because a config
// error is printed and logged.
const SECRET_KEY =
  /(password|passphrase|token|secret|private_key|api_key|authorization)[^/]*$/i;

/** Lists the issues of a value against a schema, descending into unions. */
export function explain(
  schema: TSchema,
  value: unknown,
  path = "",
): ConfigIssue[] {
  if (Value.Check(schema, value)) return [];
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of Value.Errors(schema, value)) {
    const at = `${path}${error.path}`;
    // A missing key gets an "is required" issue; its type error would
    // only repeat it.
    if (
      error.value === undefined &&
      error.type !== ValueErrorType.ObjectRequiredProperty
    ) {
      continue;
    }
    const issue = describe(error, at);
    if (issue === "descend") {
      for (const nested of explainUnion(error.schema, error.value, at))
        add(nested);
      continue;
    }
    add(issue);
  }
  return issues;

  function add(found: ConfigIssue): void {
    const issue = SECRET_KEY.test(found.path)
      ? { ...found, value: undefined }
      : { ...found, value: redactSecrets(found.value) };
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return;
    // A union error at a path that already has a precise issue adds nothing.
    if (
      issue.message.startsWith("does not match any allowed form") &&
      issues.some((other) => other.path.startsWith(issue.path))
    )
      return;
    seen.add(key);
    issues.push({ severity: "error", ...issue });
  }
}

function explainUnion(
  schema: TSchema,
  value: unknown,
  path: string,
): ConfigIssue[] {
  const variants = (schema.anyOf ?? []) as TSchema[];
  const discriminated = explainDiscriminated(variants, value, path);
  if (discriminated) return discriminated;
  const sameType = variants.filter((variant) => typeMatches(variant, value));
  const candidates = sameType.length > 0 ? sameType : variants;
  let best: ConfigIssue[] | undefined;
  for (const variant of candidates) {
    const issues = explain(variant, value, path);
    if (issues.length === 0) return [];
    if (!best || issues.length < best.length) best = issues;
  }
  if (best && sameType.length > 0) return best;
  return [
    {
      path,
      message: `does not match any allowed form (${variants.map(describeSchema).join(", ")})`,
      value,
      fix: "use one of the forms listed",
    },
  ];
}

/** A key that is a different constant in every object of a union. */
interface Discriminator {
  key: string;
  values: unknown[];
  /** The variant chosen when the key is absent: the one where it is optional. */
  fallback: TSchema | undefined;
}

/** Finds the discriminator of a union of objects, such as `type`. */
function discriminatorOf(variants: TSchema[]): Discriminator | undefined {
  if (variants.length < 2) return undefined;
  const properties = variants.map(
    (variant) =>
      (variant.type === "object" ? variant.properties : undefined) as
        | Record<string, TSchema>
        | undefined,
  );
  const first = properties[0];
  if (!first || properties.some((entry) => entry === undefined))
    return undefined;
  for (const key of Object.keys(first)) {
    const values = properties.map((entry) => entry?.[key]?.const);
    if (values.some((item) => item === undefined)) continue;
    if (new Set(values).size !== values.length) continue;
    const optional = variants.filter(
      (variant) => !((variant.required ?? []) as string[]).includes(key),
    );
    return {
      key,
      values,
      fallback: optional.length === 1 ? optional[0] : undefined,
    };
  }
  return undefined;
}

/**
 * Explains a value against the variant its discriminator selects, so the
 * issues never come from a variant the value was not meant for. Returns
 * `undefined` when the union has no discriminator or the value is no
 * object.
 */
function explainDiscriminated(
  variants: TSchema[],
  value: unknown,
  path: string,
): ConfigIssue[] | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return undefined;
  const discriminator = discriminatorOf(variants);
  if (!discriminator) return undefined;
  const { key, values, fallback } = discriminator;
  const allowed = values.map((item) => JSON.stringify(item)).join(", ");
  const record = value as Record<string, unknown>;
  if (!(key in record)) {
    if (!fallback) {
      return [
        {
          path: `${path}/${escapePointer(key)}`,
          message: "is required",
          fix: `add it: one of ${allowed}`,
        },
      ];
    }
    // Without the key the value is read as the default variant. When it
    // does not fit that variant either, the key may be what is wrong.
    const issues = explainVariant(fallback, value, path);
    if (issues.length === 0) return issues;
    const properties = fallback.properties as Record<string, TSchema>;
    const assumed = JSON.stringify(properties[key]?.const);
    return [
      {
        path: `${path}/${escapePointer(key)}`,
        message: `is not set, so the ${assumed} form applies`,
        fix: `set ${key} to one of ${allowed} if another form is meant`,
      },
      ...issues,
    ];
  }
  const index = values.indexOf(record[key]);
  if (index < 0) {
    return [
      {
        path: `${path}/${escapePointer(key)}`,
        message: "is not an allowed value",
        value: record[key],
        fix: `use one of ${allowed}`,
      },
    ];
  }
  return explainVariant(variants[index]!, value, path);
}

/**
 * Explains a value against one variant after applying that variant's
 * defaults. TypeBox applies the defaults of a union only when a variant
 * then validates, so without this every defaulted key of a variant with
 * one typo would be reported missing.
 */
function explainVariant(
  variant: TSchema,
  value: unknown,
  path: string,
): ConfigIssue[] {
  const converted = Value.Convert(variant, structuredClone(value));
  return explain(variant, Value.Default(variant, converted), path);
}

function typeMatches(schema: TSchema, value: unknown): boolean {
  if (schema.anyOf)
    return (schema.anyOf as TSchema[]).some((variant) =>
      typeMatches(variant, value),
    );
  const type = schema.type;
  if (Array.isArray(value)) return type === "array";
  if (value === null) return type === "null";
  if (typeof value === "object")
    return type === "object" || schema[Kind] === "Record";
  if (typeof value === "string")
    return type === "string" || typeof schema.const === "string";
  if (typeof value === "number")
    return (
      type === "number" ||
      type === "integer" ||
      typeof schema.const === "number"
    );
  if (typeof value === "boolean")
    return type === "boolean" || typeof schema.const === "boolean";
  return false;
}

function describeSchema(schema: TSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf)
    return (schema.anyOf as TSchema[]).map(describeSchema).join(" | ");
  if (schema.type === "array") return "a list";
  if (schema.type === "object") return "an object";
  return `a ${String(schema.type ?? schema[Kind]).toLowerCase()}`;
}

function literalValues(schema: TSchema): unknown[] | undefined {
  const variants = schema.anyOf as TSchema[] | undefined;
  if (!variants?.every((variant) => variant.const !== undefined))
    return undefined;
  return variants.map((variant) => variant.const);
}

function describe(error: ValueError, path: string): ConfigIssue | "descend" {
  const { schema, value } = error;
  switch (error.type) {
    case ValueErrorType.Union: {
      const allowed = literalValues(schema);
      if (allowed) {
        return {
          path,
          message: "is not an allowed value",
          value,
          fix: `use one of ${allowed.map((item) => JSON.stringify(item)).join(", ")}`,
        };
      }
      return "descend";
    }
    case ValueErrorType.ObjectAdditionalProperties: {
      return {
        path,
        message: "is not a known option",
        value,
        fix: suggestKey(error),
      };
    }
    case ValueErrorType.ObjectRequiredProperty:
      return {
        path,
        message: "is required",
        fix: schema.description ? `add it: ${schema.description}` : "add it",
      };
    case ValueErrorType.Literal:
      return {
        path,
        message: `must be ${JSON.stringify(schema.const)}`,
        value,
      };
    default: {
      const unit = schema.description ? ` (${schema.description})` : "";
      return { path, message: `${lowerFirst(error.message)}${unit}`, value };
    }
  }
}

function suggestKey(error: ValueError): string {
  const key = error.path.split("/").pop() ?? "";
  const parentSchema = (error as ValueError & { schema: TSchema }).schema;
  const properties =
    (parentSchema.properties as Record<string, TSchema> | undefined) ?? {};
  const known = Object.keys(properties);
  const renamed = known.find((name) =>
    (properties[name]?.[MISTAKEN_NAMES] as string[] | undefined)?.includes(
      key.toLowerCase(),
    ),
  );
  if (renamed) return `did you mean "${renamed}"?`;
  const close = known
    .map((name) => ({
      name,
      distance: editDistance(key.toLowerCase(), name.toLowerCase()),
    }))
    .filter(
      (entry) =>
        entry.distance <= Math.max(2, Math.floor(entry.name.length / 3)),
    )
    .sort((a, b) => a.distance - b.distance)[0];
  if (close) return `did you mean "${close.name}"?`;
  return known.length > 0
    ? `remove it; known options here: ${known.join(", ")}`
    : "remove it";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const saved = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = saved;
    }
  }
  return row[b.length]!;
}

// A URL with a user name and password, as in `postgres://user:pass@host`.
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/i;
// A URL written without its scheme still carries `user:password@host`.
const BARE_PASSWORD = /^([^\s/:@]+):[^\s/@]*@(?=[^\s/@]+)/;
// Query parameters that carry credentials, as in `?token=...`.
const QUERY_SECRET =
  /([?&](?:[^=&#]*(?:password|passphrase|token|secret|key|auth|signature)[^=&#]*)=)[^&#]*/gi;

/**
 * Returns a copy of a config value for an error message, with the
 * password of URLs, secret query parameters and the values of secret keys
 * replaced by `***`.
 */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === "string") {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
      return value.replace(BARE_PASSWORD, "$1:***@");
    return value
      .replace(URL_PASSWORD, "$1:***@")
      .replace(QUERY_SECRET, "$1***");
  }
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      result[key] = SECRET_KEY.test(key) ? "***" : redactSecrets(child);
    }
    return result;
  }
  return value;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export { escapePointer };
