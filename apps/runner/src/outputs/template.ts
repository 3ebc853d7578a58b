import type { TimeSeries } from "@qubit/core";

/** Reading fields that a subject or topic template can use. */
export const TEMPLATE_FIELDS = [
  "asset_id",
  "metric",
  "site_id",
  "org_id",
  "device_id",
  "unit",
  "quality",
  "protocol",
  "connector",
] as const;

/** A field of {@link TEMPLATE_FIELDS}. */
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** Text that a missing field or an empty value renders as. */
export const EMPTY_TOKEN = "_";

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Returns the fields a template uses, or throws on an unknown one. */
export function templateFields(template: string): TemplateField[] {
  const fields: TemplateField[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const field = match[1] as TemplateField;
    if (!TEMPLATE_FIELDS.includes(field)) {
      throw new TypeError(
        `Template ${JSON.stringify(template)} uses the unknown field {${match[1]}}; use ${TEMPLATE_FIELDS.map((known) => `{${known}}`).join(", ")}`,
      );
    }
    fields.push(field);
  }
  return fields;
}

function fieldValue(reading: TimeSeries, field: TemplateField): string {
  switch (field) {
    case "protocol":
      return reading.source.protocol;
    case "connector":
      return reading.source.connector ?? "";
    default:
      return reading[field] ?? "";
  }
}

/**
 * Compiles a template such as `qubit.readings.{asset_id}.{metric}` into a
 * function of a reading. Each field value passes through `sanitize`, so a
 * value cannot add levels or wildcards to the subject or topic.
 */
export function compileTemplate(
  template: string,
  sanitize: (value: string) => string,
): (reading: TimeSeries) => string {
  templateFields(template);
  const parts = template.split(PLACEHOLDER);
  // split() with one capture group alternates literal text (even indexes)
  // and field names (odd indexes).
  return (reading) => {
    let text = "";
    for (let index = 0; index < parts.length; index += 1) {
      const part = parts[index]!;
      text +=
        index % 2 === 0
          ? part
          : sanitize(fieldValue(reading, part as TemplateField));
    }
    return text;
  };
}

/**
 * Makes a value safe as part of a NATS subject token: `.` separates
 * tokens, `*` and `>` are wildcards, and whitespace and control characters
 * are not allowed, so each becomes `_`. A leading `$` (reserved for system
 * subjects such as `$JS`) becomes `_` too, and an empty value becomes `_`.
 */
export function sanitizeNatsToken(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  const cleaned = value.replace(/[.*>\s\u0000-\u001f\u007f]/g, "_");
  if (cleaned === "") return EMPTY_TOKEN;
  return cleaned.startsWith("$") ? `_${cleaned.slice(1)}` : cleaned;
}

/**
 * Makes a value safe as one MQTT topic level: `/` separates levels, `+`
 * and `#` are wildcards, and NUL is not allowed, so each becomes `_`. A
 * leading `$` (reserved for broker topics such as `$SYS`) becomes `_`,
 * and an empty value becomes `_`.
 */
export function sanitizeMqttLevel(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it removes
  const cleaned = value.replace(/[/+#\u0000]/g, "_");
  if (cleaned === "") return EMPTY_TOKEN;
  return cleaned.startsWith("$") ? `_${cleaned.slice(1)}` : cleaned;
}

/**
 * Returns the stream subject that matches every subject a template
 * renders: each token that contains a field becomes `*`.
 */
export function natsSubjectFilter(template: string): string {
  return template
    .split(".")
    .map((token) => (/\{[^{}]*\}/.test(token) ? "*" : token))
    .join(".");
}
