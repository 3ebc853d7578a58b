/**
 * Remembers the last `capacity` QoS 1/2 messages by a hash of topic and
 * payload, so that a broker's redelivery (DUP flag set) of a message
 * that was already processed can be dropped. Two different messages with
 * the same 53-bit hash would be taken as one; at 10,000 remembered
 * messages the chance is about 1 in 10^12.
 */
export class RecentMessages {
  private readonly seen = new Set<number>();
  private readonly order: number[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  /** Records a message; returns true when it was seen before. */
  check(topic: string, payload: Uint8Array): boolean {
    if (this.capacity === 0) return false;
    const key = hashMessage(topic, payload);
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    if (this.order.length < this.capacity) this.order.push(key);
    else {
      this.seen.delete(this.order[this.next]!);
      this.order[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    }
    return false;
  }
}

function hashMessage(topic: string, payload: Uint8Array): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < topic.length; index += 1) {
    const code = topic.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ 0x2f, 2654435761);
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
