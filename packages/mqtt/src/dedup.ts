/**
 * Remembers the last `capacity` QoS 1/2 messages by a hash of topic and
 * payload, so that a broker's redelivery (DUP flag set) of a message
 * that was already processed can be dropped. Two different messages with
 * the same 53-bit hash would be taken as one; at 10,000 remembered
 * messages the chance is about 1 in 10^12.
 */
export class RecentMessages {
  // Every QoS 1 message is recorded. The hashes are kept in typed arrays
  // (a table with linear probing over a ring) instead of a Set of
  // numbers, and the topic part of the hash is computed once per topic.
  private readonly ring: Float64Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  private count = 0;
  private next = 0;
  private readonly topics = new Map<string, TopicLanes>();

  constructor(private readonly capacity: number) {
    const slots = Math.max(capacity, 1);
    let positions = 16;
    while (positions < slots * 2) positions *= 2;
    this.ring = new Float64Array(slots);
    this.table = new Int32Array(positions);
    this.mask = positions - 1;
  }

  /** Records a message; returns true when it was seen before. */
  check(topic: string, payload: Uint8Array): boolean {
    if (this.capacity === 0) return false;
    const key = this.hash(topic, payload);
    if (this.find(key)) return true;
    if (this.count === this.capacity) this.forget(this.next);
    else this.count += 1;
    this.ring[this.next] = key;
    this.insert(this.next, key);
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    return false;
  }

  private find(key: number): boolean {
    let position = (key >>> 0) & this.mask;
    for (;;) {
      const slotPlusOne = this.table[position]!;
      if (slotPlusOne === 0) return false;
      if (this.ring[slotPlusOne - 1] === key) return true;
      position = (position + 1) & this.mask;
    }
  }

  private insert(slot: number, key: number): void {
    let position = (key >>> 0) & this.mask;
    while (this.table[position] !== 0) position = (position + 1) & this.mask;
    this.table[position] = slot + 1;
  }

  /** Removes the hash in `slot` from the table (backward-shift deletion). */
  private forget(slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let hole = (this.ring[slot]! >>> 0) & mask;
    while (table[hole] !== slot + 1) hole = (hole + 1) & mask;
    let index = hole;
    for (;;) {
      index = (index + 1) & mask;
      const slotPlusOne = table[index]!;
      if (slotPlusOne === 0) break;
      const home = (this.ring[slotPlusOne - 1]! >>> 0) & mask;
      const staysAfterHole =
        hole <= index
          ? home > hole && home <= index
          : home > hole || home <= index;
      if (staysAfterHole) continue;
      table[hole] = slotPlusOne;
      hole = index;
    }
    table[hole] = 0;
  }

  /** Hashes the topic, a `/` and the payload bytes (cyrb53 construction). */
  private hash(topic: string, payload: Uint8Array): number {
    let lanes = this.topics.get(topic);
    if (lanes === undefined) {
      lanes = topicLanes(topic);
      if (this.topics.size >= MAX_TOPICS) this.topics.clear();
      this.topics.set(topic, lanes);
    }
    let h1 = lanes.h1;
    let h2 = lanes.h2;
    for (let index = 0; index < payload.length; index += 1) {
      const byte = payload[index]!;
      h1 = Math.imul(h1 ^ byte, 2654435761);
      h2 = Math.imul(h2 ^ byte, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }
}

/** Topics whose hash lanes are kept; more topics than this clear them. */
const MAX_TOPICS = 10_000;

interface TopicLanes {
  h1: number;
  h2: number;
}

function topicLanes(topic: string): TopicLanes {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < topic.length; index += 1) {
    const code = topic.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ 0x2f, 2654435761);
  return { h1, h2 };
}
