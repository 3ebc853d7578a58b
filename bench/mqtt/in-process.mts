// The connector's own cost per message, without a broker or a socket:
// PUBLISH packets are built in this process and handed to the
// connector's packet handler, as MQTT.js does after parsing. "bare" does
// the work of the bare subscriber (b) on the same packets, and "packets"
// only builds them, so the differences are the cost of each. Run
// through tsx; prints one JSON line.
// Usage: node --expose-gc --import tsx --conditions=@qubit/source
//   in-process.mts packets|bare|connector|quality QOS COUNT
// "quality" is the connector with the pipeline's data-quality monitor,
// which the runner turns on.
import type { IPublishPacket } from "mqtt";
import {
  MemoryDeadLetterOutput,
  type Output,
  Pipeline,
  QualityMonitor,
} from "../../packages/core/src/index.ts";
import { MqttConnector } from "../../packages/mqtt/src/index.ts";

const [mode = "connector", qosText = "0", countText = "500000"] =
  process.argv.slice(2);
const qos = Number(qosText) as 0 | 1;
const count = Number(countText);
const TOPICS = 1_000;
const BASE_TS = 1_733_300_000_000;
const topics = Array.from(
  { length: TOPICS },
  (_, index) => `bench/org_1/sit_1/ast_${index + 1}/dev_1/power`,
);

/** Builds the packet of message `index`, as MQTT.js's parser does. */
function packet(index: number): IPublishPacket {
  return {
    cmd: "publish",
    topic: topics[index % TOPICS]!,
    payload: Buffer.from(`{"ts":${BASE_TS + index},"value":12.34,"unit":"kW"}`),
    qos,
    dup: false,
    retain: false,
    messageId: (index % 65_535) + 1,
  };
}

type Handler = (
  packet: IPublishPacket,
  callback: (error?: Error) => void,
) => void;

function bareHandler(): Handler {
  let batch: unknown[] = [];
  return (received, callback) => {
    const levels = received.topic.split("/");
    const body = JSON.parse(String(received.payload));
    batch.push({
      asset_id: levels[3],
      metric: levels[5],
      value: body.value,
      unit: body.unit,
      timestamp: new Date(body.ts).toISOString(),
    });
    if (batch.length === 1000) batch = [];
    callback();
  };
}

let written = 0;

function connectorHandler(withQuality = false): Handler {
  const connector = new MqttConnector({
    broker: "mqtt://127.0.0.1:1",
    topics: ["bench/#"],
    qos,
    topic_template: "bench/{org_id}/{site_id}/{asset_id}/{device_id}/{metric}",
  });
  const counting: Output = {
    name: "count",
    async write(readings) {
      written += readings.length;
    },
    async close() {},
  };
  const pipeline = new Pipeline({
    outputs: [counting],
    deadLetters: [new MemoryDeadLetterOutput()],
    ...(withQuality ? { quality: new QualityMonitor() } : {}),
  });
  connector.attach(pipeline);
  // Acknowledge as with a connected client whose stream takes late
  // PUBACKs; without a client the PUBACK itself is not written.
  const internals = connector as unknown as {
    lateAcks: boolean;
    onPublish: Handler;
  };
  internals.lateAcks = true;
  return (received, callback) => internals.onPublish(received, callback);
}

/**
 * Feeds `total` packets in turns of 1,000, as a socket read of about
 * 50 KiB delivers them, and waits whenever the handler holds its
 * callback.
 */
function feed(handler: Handler, first: number, total: number): Promise<void> {
  return new Promise((resolve) => {
    let index = first;
    const end = first + total;
    const next = (): void => {
      const turnEnd = Math.min(end, index + 1000);
      while (index < turnEnd) {
        let waiting = true;
        let returned = false;
        handler(packet(index), () => {
          waiting = false;
          if (returned) setImmediate(next);
        });
        index += 1;
        returned = true;
        if (waiting) return;
      }
      if (index < end) setImmediate(next);
      else resolve();
    };
    next();
  });
}

const handlers: Record<string, () => Handler> = {
  packets: () => (_received, callback) => callback(),
  bare: bareHandler,
  connector: () => connectorHandler(),
  quality: () => connectorHandler(true),
};
const handler = handlers[mode]!();
const gc = (globalThis as { gc?: () => void }).gc;
await feed(handler, 0, 50_000);
gc?.();
const cpuStart = process.cpuUsage();
const started = process.hrtime.bigint();
await feed(handler, 50_000, count);
// Let the last batches reach the output.
while (mode !== "packets" && mode !== "bare" && written < count + 50_000) {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({
    mode,
    qos,
    messages: count,
    cpu_us_per_message: (cpuSeconds / count) * 1e6,
    seconds,
    max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
process.exit(0);
