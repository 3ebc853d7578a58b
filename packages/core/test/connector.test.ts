import { describe, expect, it } from "vitest";
import {
  BaseConnector,
  BasicMessage,
  createReading,
  MemoryDeadLetterOutput,
  MemoryOutput,
  Pipeline,
  type SourceMessage,
  type TimeSeries,
} from "../src/index.js";

const T0 = Date.UTC(2025, 0, 1);

/** A finite test source that delivers `count` messages of one reading each. */
class CountingSource extends BaseConnector<SourceMessage> {
  readonly protocol = "count";
  override readonly finite = true;
  private readonly count: number;

  constructor(count: number) {
    super("count-1");
    this.count = count;
  }

  protected async start(): Promise<void> {
    void this.run();
  }

  protected async stop(): Promise<void> {}

  private async run(): Promise<void> {
    const accepted: Promise<void>[] = [];
    for (let index = 0; index < this.count; index += 1) {
      if (this.sinkSaturated) await this.whenSinkWritable();
      const reading = createReading({
        asset_id: "a",
        metric: "m",
        value: index,
        unit: "W",
        timestamp: T0 + index * 1000,
        source: {
          protocol: "count",
          address: `n${index}`,
          connector: this.name,
        },
      });
      accepted.push(
        this.deliver(
          new BasicMessage({
            protocol: "count",
            kind: index % 2 === 0 ? "even" : "odd",
            source: reading.source,
            receivedAt: this.now(),
            raw: String(index),
            convert: () => ({
              readings: [reading],
              rejects: [],
              diagnostics: [],
            }),
          }),
        ),
      );
    }
    await Promise.all(accepted);
    this.markFinished();
  }
}

describe("BaseConnector", () => {
  it("process() yields every reading in batches and ends with the source", async () => {
    const source = new CountingSource(1200);
    const values: number[] = [];
    for await (const batch of source.process({ batchSize: 500 })) {
      expect(batch.length).toBeLessThanOrEqual(500);
      for (const reading of batch) values.push(reading.value as number);
    }
    expect(values).toHaveLength(1200);
    expect(values[1199]).toBe(1199);
    expect(source.status).toBe("completed");
  });

  it("runs handlers by kind and adds the readings they return", async () => {
    const source = new CountingSource(4);
    const output = new MemoryOutput();
    const pipeline = new Pipeline({ outputs: [output], batchIntervalMs: 1 });
    source.attach(pipeline);
    const seen: string[] = [];
    source.onMessage("even", (message) => {
      seen.push(message.source.address);
      return createReading({
        asset_id: "a",
        metric: "derived",
        value: 1,
        timestamp: T0 + Number(message.raw) * 1000,
        source: message.source,
      });
    });
    await source.connect();
    await source.finished;
    await pipeline.close();
    expect(seen).toEqual(["n0", "n2"]);
    expect(
      output.readings.filter((r: TimeSeries) => r.metric === "derived"),
    ).toHaveLength(2);
  });

  it("keeps going when a handler throws, and records the fault", async () => {
    const source = new CountingSource(3);
    const output = new MemoryOutput();
    const pipeline = new Pipeline({ outputs: [output], batchIntervalMs: 1 });
    source.attach(pipeline);
    const faults: string[] = [];
    source.on("fault", (fault) => faults.push(fault.code));
    source.onMessage("*", () => {
      throw new Error("user bug");
    });
    await source.connect();
    await source.finished;
    await pipeline.close();
    expect(output.readings).toHaveLength(3);
    expect(faults).toEqual([
      "QUBIT_CORE_HANDLER_FAILED",
      "QUBIT_CORE_HANDLER_FAILED",
      "QUBIT_CORE_HANDLER_FAILED",
    ]);
    expect(source.health().last_error?.message).toMatch(/user bug/);
  });

  it("releases finished when a file is stopped", async () => {
    class EndlessFile extends BaseConnector<SourceMessage> {
      readonly protocol = "count";
      override readonly finite = true;
      protected async start(): Promise<void> {}
      protected async stop(): Promise<void> {}
    }
    const source = new EndlessFile("endless-1");
    await source.connect();
    let released = false;
    void source.finished.then(() => {
      released = true;
    });
    await source.disconnect();
    await source.finished;
    expect(released).toBe(true);
    expect(source.status).toBe("stopped");
  });

  it("reports health", async () => {
    const source = new CountingSource(2);
    await source.connect();
    await source.finished;
    const health = source.health();
    expect(health).toMatchObject({
      name: "count-1",
      protocol: "count",
      status: "completed",
      messages_received: 2,
    });
  });
});

describe("BaseConnector conversion failures", () => {
  it("dead-letters a message whose conversion throws", async () => {
    /** A source whose second message throws in convert(). */
    class Throwing extends CountingSource {
      protected override async start(): Promise<void> {
        const source = {
          protocol: "count",
          address: "deep",
          connector: this.name,
        };
        const good = createReading({
          asset_id: "a",
          metric: "m",
          value: 1,
          timestamp: T0,
          source,
        });
        await this.deliver(
          new BasicMessage({
            protocol: "count",
            kind: "x",
            source,
            receivedAt: 0,
            raw: "ok",
            convert: () => ({ readings: [good], rejects: [], diagnostics: [] }),
          }),
        );
        await this.deliver(
          new BasicMessage({
            protocol: "count",
            kind: "x",
            source,
            receivedAt: 0,
            raw: "[[[[",
            convert: () => {
              throw new RangeError("Maximum call stack size exceeded");
            },
          }),
        );
        this.markFinished();
      }
    }
    const source = new Throwing(0);
    const output = new MemoryOutput();
    const deadLetters = new MemoryDeadLetterOutput();
    const pipeline = new Pipeline({
      outputs: [output],
      deadLetters: [deadLetters],
      batchIntervalMs: 1,
    });
    source.attach(pipeline);
    await source.connect();
    await source.finished;
    await pipeline.close();
    expect(output.readings).toHaveLength(1);
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]?.code).toBe("QUBIT_CORE_CONVERT_FAILED");
    expect(deadLetters.letters[0]?.reason).toMatch(
      /Maximum call stack size exceeded/,
    );
    expect(deadLetters.letters[0]?.raw).toBe("[[[[");
    expect(source.health().last_error?.code).toBe("QUBIT_CORE_CONVERT_FAILED");
  });
});
