import { parseConfig } from "@qubit/core";
import { describe, expect, it } from "vitest";
import { type MqttConfig, MqttConfigSchema } from "../src/config.js";
import { RecentMessages } from "../src/dedup.js";
import { AckQueue, MqttConverter, MqttMessage } from "../src/index.js";

/** The message window as a Set of topic and payload text: the reference. */
class ReferenceMessages {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  check(topic: string, payload: Uint8Array): boolean {
    if (this.capacity === 0) return false;
    const key = `${topic}\u0000${Buffer.from(payload).toString("hex")}`;
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

describe("RecentMessages", () => {
  it("decides as a Set of the last messages", () => {
    let random = 23;
    for (const capacity of [0, 1, 2, 5, 64, 1000]) {
      const recent = new RecentMessages(capacity);
      const reference = new ReferenceMessages(capacity);
      for (let step = 0; step < 20_000; step += 1) {
        random = (random * 1103515245 + 12345) % 2 ** 31;
        const topic = `site/dev_${random % 7}/power`;
        const payload = Buffer.from(
          `{"value":${(step + (random % 50)) % 400}}`,
        );
        const expected = reference.check(topic, payload);
        if (recent.check(topic, payload) !== expected) {
          throw new Error(
            `capacity ${capacity}, step ${step}: expected ${expected}`,
          );
        }
      }
    }
  });

  it("tells the topic from the payload", () => {
    const recent = new RecentMessages(10);
    expect(recent.check("a/b", Buffer.from("c"))).toBe(false);
    expect(recent.check("a", Buffer.from("b/c"))).toBe(false);
    expect(recent.check("a/b", Buffer.from("c"))).toBe(true);
  });
});

describe("AckQueue", () => {
  function deferred(): {
    promise: Promise<void>;
    resolve: () => void;
    reject: () => void;
  } {
    let resolve!: () => void;
    let reject!: () => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    return { promise, resolve, reject };
  }

  it("acknowledges in arrival order, batch by batch", async () => {
    const sent: number[] = [];
    const writes: number[][] = [];
    const queue = new AckQueue(
      (id) => sent.push(id),
      () => undefined,
      (ids) => writes.push([...ids]),
    );
    const first = deferred();
    const second = deferred();
    queue.track(1, first.promise);
    queue.track(2, first.promise);
    queue.track(3, second.promise);
    queue.track(4, second.promise);
    queue.track(5, first.promise);
    expect(queue.size).toBe(5);

    // The second batch is accepted first, but its PUBACKs wait for 1 and 2.
    second.resolve();
    await second.promise;
    await Promise.resolve();
    expect(writes).toEqual([]);
    first.resolve();
    await first.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(sent).toEqual([]);
    expect(queue.size).toBe(0);
  });

  it("skips a batch not accepted", async () => {
    const writes: number[][] = [];
    const queue = new AckQueue(
      () => undefined,
      () => undefined,
      (ids) => writes.push([...ids]),
    );
    const failed = deferred();
    const accepted = deferred();
    queue.track(1, failed.promise);
    queue.track(2, accepted.promise);
    failed.reject();
    accepted.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.flat()).toEqual([2]);
    expect(queue.size).toBe(0);
  });

  it("drops acknowledgements of an older connection", async () => {
    const sent: number[] = [];
    const queue = new AckQueue((id) => sent.push(id));
    const old = deferred();
    queue.track(1, old.promise);
    queue.newConnection();
    const current = deferred();
    queue.track(7, current.promise);
    old.resolve();
    current.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([7]);
  });
});

describe("MqttConverter topic plans", () => {
  const config = parseConfig<MqttConfig>(MqttConfigSchema, {
    broker: "mqtt://127.0.0.1:1883",
    topics: ["#"],
    presets: ["shelly"],
  }).value;

  function convert(
    converter: MqttConverter,
    topic: string,
    payload: string,
    receivedAt = 1_736_935_200_000,
  ) {
    const message = new MqttMessage(
      converter,
      {
        topic,
        payload: Buffer.from(payload),
        receivedAt,
        qos: 0,
        retained: false,
      },
      "mqtt",
    );
    message.convert();
    return {
      readings: message.toTimeSeries(),
      rejects: message.convert().rejects,
      skipped: message.skipped,
      route: message.route,
    };
  }

  it("converts repeated topics the same", () => {
    const converter = new MqttConverter(config);
    const fresh = () => new MqttConverter(config);
    for (const [topic, payload] of [
      ["org/site/inv-1/dev/power", '{"value":1.5,"unit":"kW"}'],
      ["shellies/plug-1/relay/0/power", "12.5"],
      ["shellies/plug-1/relay/0/command", "on"],
      ["too/short", "1"],
    ] as const) {
      for (let repeat = 0; repeat < 3; repeat += 1) {
        // One receive time per message: a repeated one moves on by 1 ms.
        const receivedAt = 1_736_935_200_000 + repeat * 1_000;
        const once = convert(fresh(), topic, payload, receivedAt);
        const again = convert(converter, topic, payload, receivedAt);
        expect(again.readings).toEqual(once.readings);
        expect(again.rejects).toEqual(once.rejects);
        expect(again.skipped).toBe(once.skipped);
        expect(again.route).toBe(once.route);
      }
    }
  });

  it("shares a frozen source per topic", () => {
    const converter = new MqttConverter(config);
    const first = convert(converter, "org/site/inv-1/dev/power", "1");
    const second = convert(converter, "org/site/inv-1/dev/power", "2");
    const source = second.readings[0]!.source;
    expect(Object.isFrozen(source)).toBe(true);
    expect(source).toEqual({
      protocol: "mqtt",
      address: "org/site/inv-1/dev/power",
      connector: "mqtt",
    });
    expect(first.readings[0]!.source).toEqual(source);
  });
});
