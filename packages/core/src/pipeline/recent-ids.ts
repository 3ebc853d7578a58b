import { readIdWords } from "../timeseries/id.js";

// The pipeline drops a reading whose id is among the last N ids it took.
// A Set of N id strings cost about a tenth of the connector's time in the
// MQTT benchmark. Every id string stayed alive for N readings, so it
// moved to the old generation of the heap. Here the ids that readingId
// makes are stored as numbers in typed arrays, which the garbage
// collector does not scan, in a hash table with linear probing.

const INITIAL_SLOTS = 1024;

/**
 * The last `capacity` distinct reading ids, in arrival order, for
 * de-duplication. Ids in the form readingId makes (`r_` and 28 lowercase
 * hex digits) are kept as four 28-bit numbers, and other ids as strings.
 * The comparison is exact for both. Memory grows with use, up to 36 to
 * 52 bytes per id (41 at a capacity of 100,000), plus 8 per id once an
 * id of another form is seen.
 */
export class RecentIds {
  /** Maximum number of ids remembered. The oldest is forgotten first. */
  readonly capacity: number;
  private slots: number;
  /** Number of ids in the ring, below `slots` until the ring is full. */
  private count = 0;
  /** Ring slot of the next id, which is the oldest once the ring is full. */
  private next = 0;
  /** Four numbers per slot: the hex digits of an id in groups of seven. */
  private words: Uint32Array;
  /** Hash of the id in each slot. */
  private hashes: Int32Array;
  /** Kind of the value in each slot: number, boolean, text or null. */
  private kinds: Uint8Array;
  /** The value in each slot: numbers as they are, the others encoded. */
  private values: Float64Array;
  /** Ids of other forms by slot, created on first use. */
  private texts: (string | undefined)[] | undefined;
  /** Pairs of hash and slot + 1, with slot + 1 = 0 in an empty position. */
  private table: Int32Array;
  private mask: number;
  /** The words of the id being looked up; set by parse(). */
  private readonly parsed = new Uint32Array(4);

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `RecentIds capacity must be a positive integer, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.slots = Math.min(capacity, INITIAL_SLOTS);
    this.words = new Uint32Array(this.slots * 4);
    this.hashes = new Int32Array(this.slots);
    this.kinds = new Uint8Array(this.slots);
    this.values = new Float64Array(this.slots);
    const positions = tableSize(this.slots);
    this.table = new Int32Array(positions * 2);
    this.mask = positions - 1;
  }

  /** Number of ids remembered now. */
  get size(): number {
    return this.count;
  }

  /**
   * Returns true when `id` is among the remembered ids. Otherwise
   * remembers it, forgetting the oldest id when `capacity` are
   * remembered, and returns false.
   */
  seen(id: string): boolean {
    return this.check(id, null) !== "new";
  }

  /**
   * Looks `id` up together with the value it carried. Returns `new` (and
   * remembers both), `duplicate` when the remembered reading had the same
   * value, or `conflict` when it had another; the value first seen stays.
   * Text values are compared by a 32-bit hash.
   */
  check(id: string, value: number | boolean | string | null): IdCheck {
    const standard = this.parse(id);
    const hash = standard ? this.parsed[3]! : hashText(id);
    const kind = valueKind(value);
    const fingerprint = valueFingerprint(value);
    const slot = this.find(id, standard, hash);
    if (slot >= 0) {
      const same =
        this.kinds[slot] === kind && Object.is(this.values[slot], fingerprint);
      return same ? "duplicate" : "conflict";
    }
    if (this.count === this.slots) {
      if (this.slots < this.capacity) this.grow();
      else this.forget(this.next);
    }
    this.store(this.next, id, standard, hash);
    this.kinds[this.next] = kind;
    this.values[this.next] = fingerprint;
    this.next = this.next + 1 === this.slots ? 0 : this.next + 1;
    if (this.count < this.slots) this.count += 1;
    return "new";
  }

  /** Returns the slot of `id`, or -1. */
  private find(id: string, standard: boolean, hash: number): number {
    const table = this.table;
    let position = hash & this.mask;
    for (;;) {
      const slotPlusOne = table[position * 2 + 1]!;
      if (slotPlusOne === 0) return -1;
      if (
        table[position * 2] === hash &&
        this.equals(slotPlusOne - 1, id, standard)
      ) {
        return slotPlusOne - 1;
      }
      position = (position + 1) & this.mask;
    }
  }

  private equals(slot: number, id: string, standard: boolean): boolean {
    const text = this.texts?.[slot];
    if (!standard) return text === id;
    if (text !== undefined) return false;
    const words = this.words;
    const parsed = this.parsed;
    const base = slot * 4;
    return (
      words[base] === parsed[0] &&
      words[base + 1] === parsed[1] &&
      words[base + 2] === parsed[2] &&
      words[base + 3] === parsed[3]
    );
  }

  private store(
    slot: number,
    id: string,
    standard: boolean,
    hash: number,
  ): void {
    if (standard) {
      const words = this.words;
      const parsed = this.parsed;
      const base = slot * 4;
      words[base] = parsed[0]!;
      words[base + 1] = parsed[1]!;
      words[base + 2] = parsed[2]!;
      words[base + 3] = parsed[3]!;
      if (this.texts) this.texts[slot] = undefined;
    } else {
      this.texts ??= new Array<string | undefined>(this.slots).fill(undefined);
      this.texts[slot] = id;
    }
    this.hashes[slot] = hash;
    this.insert(slot, hash);
  }

  private insert(slot: number, hash: number): void {
    const table = this.table;
    let position = hash & this.mask;
    while (table[position * 2 + 1] !== 0) {
      position = (position + 1) & this.mask;
    }
    table[position * 2] = hash;
    table[position * 2 + 1] = slot + 1;
  }

  /** Removes the id in `slot` from the table. */
  private forget(slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let position = this.hashes[slot]! & mask;
    while (table[position * 2 + 1] !== slot + 1) {
      position = (position + 1) & mask;
    }
    // Backward-shift deletion: move later entries of the probe run into
    // the hole unless that would put them before their home position.
    let hole = position;
    let index = position;
    for (;;) {
      index = (index + 1) & mask;
      const slotPlusOne = table[index * 2 + 1]!;
      if (slotPlusOne === 0) break;
      const home = table[index * 2]! & mask;
      const staysAfterHole =
        hole <= index
          ? home > hole && home <= index
          : home > hole || home <= index;
      if (staysAfterHole) continue;
      table[hole * 2] = table[index * 2]!;
      table[hole * 2 + 1] = slotPlusOne;
      hole = index;
    }
    table[hole * 2] = 0;
    table[hole * 2 + 1] = 0;
  }

  /** Doubles the ring (up to `capacity`) and rebuilds the table. */
  private grow(): void {
    const slots = Math.min(this.capacity, this.slots * 2);
    const words = new Uint32Array(slots * 4);
    words.set(this.words);
    const hashes = new Int32Array(slots);
    hashes.set(this.hashes);
    const kinds = new Uint8Array(slots);
    kinds.set(this.kinds);
    const values = new Float64Array(slots);
    values.set(this.values);
    if (this.texts) {
      this.texts.length = slots;
      this.texts.fill(undefined, this.slots);
    }
    const positions = tableSize(slots);
    this.words = words;
    this.hashes = hashes;
    this.kinds = kinds;
    this.values = values;
    this.table = new Int32Array(positions * 2);
    this.mask = positions - 1;
    // The ring has not wrapped yet: slots 0 to count - 1 are in use.
    for (let slot = 0; slot < this.count; slot += 1) {
      this.insert(slot, hashes[slot]!);
    }
    this.next = this.count;
    this.slots = slots;
  }

  private parse(id: string): boolean {
    return readIdWords(id, this.parsed);
  }
}

/** Result of {@link RecentIds.check}. */
export type IdCheck = "new" | "duplicate" | "conflict";

function valueKind(value: number | boolean | string | null): number {
  if (typeof value === "number") return 0;
  if (typeof value === "boolean") return 1;
  if (typeof value === "string") return 2;
  return 3;
}

function valueFingerprint(value: number | boolean | string | null): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") return hashText(value);
  return 0;
}

/** Positions of a table for `slots` ids: a power of two, at least twice as many. */
function tableSize(slots: number): number {
  let size = 16;
  while (size < slots * 2) size *= 2;
  return size;
}

/** Hashes a string's UTF-16 code units with 32-bit FNV-1a. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return hash;
}
