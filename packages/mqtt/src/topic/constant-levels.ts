import { splitShare } from "./filter.js";

/** A template field that every topic of a filter fills with one literal. */
export interface ConstantField {
  /** Placeholder name, such as asset_id. */
  field: string;
  /** 0-based topic level. */
  level: number;
  /** The literal level of the filter at that position. */
  literal: string;
}

/**
 * Returns true when every topic that `specific` matches also matches
 * `general`; both are filters without a `$share/GROUP/` prefix.
 */
export function filterCovers(general: string, specific: string): boolean {
  const outer = general.split("/");
  const inner = specific.split("/");
  for (let index = 0; index < outer.length; index += 1) {
    const level = outer[index]!;
    if (level === "#") return true;
    const other = inner[index];
    if (other === undefined || other === "#") return false;
    if (level !== "+" && (level !== other || other === "+")) return false;
  }
  return outer.length === inner.length;
}

/**
 * Returns the placeholders among `fields` that a template puts on a
 * literal level of a subscription filter, so that every message on the
 * filter gets the same value for them. A filter whose topics never fit
 * the template (fewer levels, no `#`) gives none: that is a topic
 * mismatch, reported per message.
 */
export function constantTemplateFields(
  subscription: string,
  template: string,
  fields: readonly string[],
): ConstantField[] {
  const filterLevels = splitShare(subscription).filter.split("/");
  const templateLevels = template.split("/");
  const constant: ConstantField[] = [];
  for (let index = 0; index < templateLevels.length; index += 1) {
    const level = filterLevels[index];
    if (level === "#") break;
    if (level === undefined) return [];
    const field = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(
      templateLevels[index]!,
    )?.[1];
    if (field === undefined || !fields.includes(field)) continue;
    if (level !== "+") constant.push({ field, level: index, literal: level });
  }
  return constant;
}
