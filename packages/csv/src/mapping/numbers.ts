/** Decimal and digit-grouping marks of the numbers in one input. */
export interface NumberFormat {
  decimal: "." | ",";
  /** Grouping mark, or "" for none. */
  thousands: "" | "," | "." | " " | "'";
}

const escapeRegExp = (text: string): string =>
  text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Resolves the configured separators. `auto` decimal is the detected
 * mark, and `auto` thousands is the other of "." and ",".
 */
export function resolveNumberFormat(
  decimal: "auto" | "." | ",",
  thousands: "auto" | "none" | "," | "." | " " | "'",
  detectedDecimal: "." | "," = ".",
): NumberFormat {
  const mark = decimal === "auto" ? detectedDecimal : decimal;
  if (thousands === "none") return { decimal: mark, thousands: "" };
  if (thousands === "auto") {
    return { decimal: mark, thousands: mark === "." ? "," : "." };
  }
  return { decimal: mark, thousands: thousands === mark ? "" : thousands };
}

/**
 * Creates a parser for numbers written with the given marks. It accepts
 * a sign (also U+2212), an exponent, and grouping only in groups of three
 * digits, so that with a decimal comma "1.234" is 1234 and "1.2345" is
 * invalid. Returns NaN for text that is not such a number.
 */
export function createNumberParser(
  format: NumberFormat,
): (text: string) => number {
  const d = escapeRegExp(format.decimal);
  const simple = new RegExp(
    `^[+-]?(?:\\d+(?:${d}\\d*)?|${d}\\d+)(?:[eE][+-]?\\d+)?$`,
  );
  let grouped: RegExp | undefined;
  let groupMark: RegExp | undefined;
  if (format.thousands !== "") {
    const t =
      format.thousands === " "
        ? "[ \\u00a0\\u202f]"
        : escapeRegExp(format.thousands);
    grouped = new RegExp(`^[+-]?\\d{1,3}(?:${t}\\d{3})+(?:${d}\\d*)?$`);
    groupMark = new RegExp(t, "g");
  }
  const comma = format.decimal === ",";
  return (input: string): number => {
    let text = input;
    if (text.charCodeAt(0) === 0x2212) text = `-${text.slice(1)}`;
    if (simple.test(text)) {
      return Number(comma ? text.replace(",", ".") : text);
    }
    if (grouped?.test(text)) {
      const plain = text.replace(groupMark!, "");
      return Number(comma ? plain.replace(",", ".") : plain);
    }
    return Number.NaN;
  };
}

/**
 * Guesses the decimal mark from sample cells: "," when more cells look
 * like `12,5` than like `12.5`. Cells that could be either (a grouped
 * `1,234`) count for neither.
 */
export function detectDecimalMark(cells: readonly string[]): "." | "," {
  let commas = 0;
  let dots = 0;
  // "1,234" may be grouped or decimal; "0,067" can only be decimal. A
  // flag or unit after the number ("2,6 V") is left out.
  for (const text of cells) {
    const cell = text.trim().split(/\s+/)[0] ?? "";
    if (/^[+-]?\d+,\d+$/.test(cell)) {
      if (!/^[+-]?[1-9]\d{0,2},\d{3}$/.test(cell)) commas += 1;
    } else if (/^[+-]?\d+\.\d+$/.test(cell)) {
      if (!/^[+-]?[1-9]\d{0,2}\.\d{3}$/.test(cell)) dots += 1;
    } else if (/^[+-]?\d{1,3}(\.\d{3})+,\d+$/.test(cell)) commas += 1;
    else if (/^[+-]?\d{1,3}(,\d{3})+\.\d+$/.test(cell)) dots += 1;
  }
  return commas > dots ? "," : ".";
}
