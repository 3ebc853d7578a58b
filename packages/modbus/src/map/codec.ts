/** Canonical byte orders; the 8-letter names map onto these. */
export type ByteOrder = "ABCD" | "CDAB" | "BADC" | "DCBA";

/** Data types of register values. */
export type RegisterType =
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "float32"
  | "float64"
  | "string"
  | "bitfield16"
  | "bitfield32"
  | "bool";

const EIGHT_LETTER: Readonly<Record<string, ByteOrder>> = {
  ABCDEFGH: "ABCD",
  GHEFCDAB: "CDAB",
  BADCFEHG: "BADC",
  HGFEDCBA: "DCBA",
};

/** Maps a configured byte order (4 or 8 letters) to its canonical form. */
export function canonicalByteOrder(order: string): ByteOrder {
  return EIGHT_LETTER[order] ?? (order as ByteOrder);
}

/** Registers a value of this type spans (`length` for strings). */
export function registerCount(type: RegisterType, length = 1): number {
  switch (type) {
    case "int32":
    case "uint32":
    case "float32":
    case "bitfield32":
      return 2;
    case "int64":
    case "uint64":
    case "float64":
      return 4;
    case "string":
      return length;
    default:
      return 1;
  }
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * Copies `count` registers starting at `start` into the scratch buffer as
 * big-endian bytes (most significant first), undoing the device's word
 * and byte order. CDAB means the low word comes first; BADC swaps the two
 * bytes of each word; DCBA does both.
 */
function loadWords(
  words: ArrayLike<number>,
  start: number,
  count: number,
  order: ByteOrder,
): DataView {
  const reverseWords = order === "CDAB" || order === "DCBA";
  const swapBytes = order === "BADC" || order === "DCBA";
  for (let index = 0; index < count; index += 1) {
    const source = reverseWords ? start + count - 1 - index : start + index;
    let word = words[source]! & 0xffff;
    if (swapBytes) word = ((word & 0xff) << 8) | (word >> 8);
    scratch.setUint16(index * 2, word);
  }
  return scratch;
}

/** A decoded raw value: a number, a bigint above 2^53, or text. */
export type RawValue = number | bigint | string;

/**
 * Decodes one value from registers as received (one 16-bit word each).
 * 64-bit integers outside the safe integer range come back as bigint so
 * the caller can report the loss of precision.
 */
export function decodeRegisters(
  words: ArrayLike<number>,
  start: number,
  type: RegisterType,
  order: ByteOrder,
  length = 1,
): RawValue {
  switch (type) {
    case "string":
      return decodeString(words, start, length, order);
    case "int16":
      return loadWords(words, start, 1, order).getInt16(0);
    case "uint16":
    case "bitfield16":
    case "bool":
      return loadWords(words, start, 1, order).getUint16(0);
    case "int32":
      return loadWords(words, start, 2, order).getInt32(0);
    case "uint32":
    case "bitfield32":
      return loadWords(words, start, 2, order).getUint32(0);
    case "float32":
      return loadWords(words, start, 2, order).getFloat32(0);
    case "float64":
      return loadWords(words, start, 4, order).getFloat64(0);
    case "int64":
      return safeNumber(loadWords(words, start, 4, order).getBigInt64(0));
    case "uint64":
      return safeNumber(loadWords(words, start, 4, order).getBigUint64(0));
  }
}

function safeNumber(value: bigint): number | bigint {
  if (
    value <= BigInt(Number.MAX_SAFE_INTEGER) &&
    value >= BigInt(Number.MIN_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  return value;
}

/**
 * Decodes a string of two characters per register, first character in
 * the high byte (swapped for BADC and DCBA). Word order does not apply to
 * text. Trailing NULs and spaces are removed.
 */
function decodeString(
  words: ArrayLike<number>,
  start: number,
  length: number,
  order: ByteOrder,
): string {
  const swap = order === "BADC" || order === "DCBA";
  const bytes: number[] = [];
  for (let index = 0; index < length; index += 1) {
    const word = words[start + index]! & 0xffff;
    const high = word >> 8;
    const low = word & 0xff;
    if (swap) bytes.push(low, high);
    else bytes.push(high, low);
  }
  const end = bytes.indexOf(0);
  const text = Buffer.from(end === -1 ? bytes : bytes.slice(0, end)).toString(
    "latin1",
  );
  return text.trimEnd();
}

/**
 * Encodes a value into registers in the device's order: the inverse of
 * {@link decodeRegisters}. Throws a RangeError when the value does not
 * fit the type.
 */
export function encodeRegisters(
  value: number | bigint | string,
  type: RegisterType,
  order: ByteOrder,
  length = 1,
): number[] {
  const count = registerCount(type, length);
  const bytes = new DataView(new ArrayBuffer(Math.max(8, count * 2)));
  if (type === "string") {
    const text = Buffer.from(String(value), "latin1");
    if (text.length > count * 2) {
      throw new RangeError(
        `text of ${text.length} characters does not fit ${count} registers`,
      );
    }
    for (let index = 0; index < count * 2; index += 1) {
      bytes.setUint8(index, text[index] ?? 0);
    }
    const words: number[] = [];
    const swap = order === "BADC" || order === "DCBA";
    for (let index = 0; index < count; index += 1) {
      const word = bytes.getUint16(index * 2);
      words.push(swap ? ((word & 0xff) << 8) | (word >> 8) : word);
    }
    return words;
  }
  writeNumber(bytes, value, type);
  const canonical: number[] = [];
  for (let index = 0; index < count; index += 1) {
    canonical.push(bytes.getUint16(index * 2));
  }
  // Reordering is its own inverse for these four orders.
  const reordered: number[] = [];
  const view = loadWords(canonical, 0, count, order);
  for (let index = 0; index < count; index += 1) {
    reordered.push(view.getUint16(index * 2));
  }
  return reordered;
}

function writeNumber(
  bytes: DataView,
  value: number | bigint | string,
  type: RegisterType,
): void {
  if (type === "float32") {
    bytes.setFloat32(0, Number(value));
    return;
  }
  if (type === "float64") {
    bytes.setFloat64(0, Number(value));
    return;
  }
  if (type === "int64" || type === "uint64") {
    const big = BigInt(value);
    const [min, max] =
      type === "int64" ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
    if (big < min || big > max)
      throw new RangeError(`${value} does not fit ${type}`);
    if (type === "int64") bytes.setBigInt64(0, big);
    else bytes.setBigUint64(0, big);
    return;
  }
  const number = Number(value);
  if (!Number.isInteger(number)) {
    throw new RangeError(`${value} is not a whole number, as ${type} needs`);
  }
  const ranges: Record<string, [number, number]> = {
    int16: [-32768, 32767],
    uint16: [0, 65535],
    bitfield16: [0, 65535],
    bool: [0, 65535],
    int32: [-2147483648, 2147483647],
    uint32: [0, 4294967295],
    bitfield32: [0, 4294967295],
  };
  const [min, max] = ranges[type]!;
  if (number < min || number > max) {
    throw new RangeError(`${value} is outside ${min} to ${max} of ${type}`);
  }
  if (type === "int16") bytes.setInt16(0, number);
  else if (type === "int32") bytes.setInt32(0, number);
  else if (type === "uint32" || type === "bitfield32")
    bytes.setUint32(0, number);
  else bytes.setUint16(0, number);
}
