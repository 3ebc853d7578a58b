import {
  type ByteOrder,
  decodeRegisters,
  type RegisterType,
} from "./map/codec.js";

/** One interpretation of registers: a type and order at one address. */
export interface ProbeRow {
  /** 0-based address of the first register. */
  address: number;
  type: RegisterType;
  byteOrder: ByteOrder | "-";
  /** The decoded value; a bigint for a 64-bit integer beyond 2^53. */
  value: number | bigint | string;
  /** A value a meter or inverter could plausibly report. */
  plausible: boolean;
}

const ORDERS: readonly ByteOrder[] = ["ABCD", "CDAB", "BADC", "DCBA"];
const WIDE: readonly RegisterType[] = ["uint32", "int32", "float32"];
const WIDER: readonly RegisterType[] = ["uint64", "int64", "float64"];

/**
 * Lists every way to read the registers: 16-bit types at each address,
 * 32- and 64-bit types in the four byte orders wherever they fit, and the
 * whole range as text. A row is plausible when it is a finite number of
 * a size that devices report (floats from 1e-3 to 1e7 or zero, integers
 * below 1e9 in magnitude) or printable text.
 */
export function probeInterpretations(
  words: readonly number[],
  start: number,
): ProbeRow[] {
  const rows: ProbeRow[] = [];
  for (let index = 0; index < words.length; index += 1) {
    for (const type of ["uint16", "int16"] as const) {
      const value = Number(decodeRegisters(words, index, type, "ABCD"));
      rows.push({
        address: start + index,
        type,
        byteOrder: "-",
        value,
        plausible: true,
      });
    }
    const spans: [readonly RegisterType[], number][] = [
      [WIDE, 2],
      [WIDER, 4],
    ];
    for (const [types, size] of spans) {
      if (index + size > words.length) continue;
      for (const type of types) {
        for (const order of ORDERS) {
          const decoded = decodeRegisters(words, index, type, order);
          const value = typeof decoded === "bigint" ? decoded : Number(decoded);
          rows.push({
            address: start + index,
            type,
            byteOrder: order,
            value,
            plausible: plausibleNumber(value, type),
          });
        }
      }
    }
  }
  if (words.length > 0) {
    const text = String(
      decodeRegisters(words, 0, "string", "ABCD", words.length),
    );
    rows.push({
      address: start,
      type: "string",
      byteOrder: "-",
      value: text,
      plausible: text.length > 0 && /^[\x20-\x7e]+$/.test(text),
    });
  }
  return rows;
}

function plausibleNumber(value: number | bigint, type: RegisterType): boolean {
  if (typeof value === "bigint") return false;
  if (!Number.isFinite(value)) return false;
  if (type.startsWith("float")) {
    const size = Math.abs(value);
    return value === 0 || (size >= 1e-3 && size <= 1e7);
  }
  return Math.abs(value) < 1e9;
}
