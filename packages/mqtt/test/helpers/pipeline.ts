import {
  type Connector,
  MemoryDeadLetterOutput,
  MemoryOutput,
  MemoryStateStore,
  normalizeReadingUnit,
  Pipeline,
  parseConfig,
  type TimeSeries,
} from "@qubit/core";
import {
  type MqttConfig,
  MqttConfigSchema,
  MqttConverter,
} from "../../src/index.js";

/** A pipeline with in-memory outputs attached to a connector. */
export function attachPipeline(
  connector: Connector,
  options: { batchIntervalMs?: number; maxPendingReadings?: number } = {},
) {
  const output = new MemoryOutput();
  const deadLetters = new MemoryDeadLetterOutput();
  const pipeline = new Pipeline({
    outputs: [output],
    deadLetters: [deadLetters],
    batchIntervalMs: options.batchIntervalMs ?? 20,
    maxPendingReadings: options.maxPendingReadings ?? 20_000,
  });
  connector.attach(pipeline);
  return { output, deadLetters, pipeline, state: new MemoryStateStore() };
}

/** Builds a converter from a partial config. */
export function converterFor(config: Record<string, unknown>): MqttConverter {
  const parsed = parseConfig<MqttConfig>(MqttConfigSchema, {
    broker: "mqtt://127.0.0.1:1883",
    topics: ["#"],
    ...config,
  }).value;
  return new MqttConverter(parsed);
}

/** Converts one payload and returns readings in base units, and rejects. */
export function convertOne(
  converter: MqttConverter,
  topic: string,
  payload: string | Uint8Array,
  extra: {
    receivedAt?: number;
    userProperties?: Record<string, string>;
    contentType?: string;
    retained?: boolean;
  } = {},
) {
  const result = converter.convert(
    {
      topic,
      payload: typeof payload === "string" ? Buffer.from(payload) : payload,
      receivedAt: extra.receivedAt ?? Date.parse("2025-01-15T10:00:00.000Z"),
      qos: 1,
      retained: extra.retained ?? false,
      userProperties: extra.userProperties,
      contentType: extra.contentType,
    },
    { protocol: "mqtt", address: topic, connector: "test" },
  );
  const readings = result.readings.map((reading) =>
    normalizeReadingUnit({ ...reading }, "base"),
  );
  return { ...result, readings };
}

/** Finds the reading of one metric, failing clearly when it is absent. */
export function metric(
  readings: readonly TimeSeries[],
  name: string,
): TimeSeries {
  const found = readings.find((reading) => reading.metric === name);
  if (!found)
    throw new Error(
      `no reading ${name}; got ${readings.map((reading) => reading.metric).join(", ")}`,
    );
  return found;
}

/** Asserts equality within a relative tolerance. */
export function closeTo(
  actual: unknown,
  expected: number,
  relative = 1e-9,
): boolean {
  if (typeof actual !== "number") return false;
  if (expected === 0) return Math.abs(actual) < 1e-12;
  return Math.abs(actual - expected) / Math.abs(expected) <= relative;
}
