// Our connector in the benchmark: MqttConnector through the full
// pipeline (unit conversion, schema validation, de-duplication, batching)
// into an output that only counts. Run through tsx.
// Usage: node --import tsx --conditions=@qubit/source connector-subscriber.mts PORT QOS COUNT
import { writeHeapSnapshot } from "node:v8";
import {
  MemoryDeadLetterOutput,
  type Output,
  Pipeline,
} from "../../packages/core/src/index.ts";
import { MqttConnector } from "../../packages/mqtt/src/index.ts";

const [portText, qosText, countText] = process.argv.slice(2);
const qos = Number(qosText) as 0 | 1;
const count = Number(countText);
let written = 0;
let started = 0n;
let cpuStart: NodeJS.CpuUsage | undefined;

const connector = new MqttConnector({
  broker: `mqtt://127.0.0.1:${portText}`,
  topics: ["bench/#"],
  qos,
  topic_template: "bench/{org_id}/{site_id}/{asset_id}/{device_id}/{metric}",
});

const counting: Output = {
  name: "count",
  async write(readings) {
    written += readings.length;
    if (written >= count) finish();
  },
  async close() {},
};

const deadLetters = new MemoryDeadLetterOutput();
const pipeline = new Pipeline({
  outputs: [counting],
  deadLetters: [deadLetters],
});
connector.attach(pipeline);

/** Returns the heap in MiB after a full GC: what the connector retains. */
function heapAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 2 ** 20);
}

function finish(): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  if (process.env.QUBIT_BENCH_HEAP_SNAPSHOT) {
    (globalThis as { gc?: () => void }).gc?.();
    writeHeapSnapshot(process.env.QUBIT_BENCH_HEAP_SNAPSHOT);
  }
  process.stdout.write(
    `${JSON.stringify({
      received: written,
      seconds,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      max_rss_kb: process.resourceUsage().maxRSS,
      heap_used_mb: heapAfterGc(),
      dead_letters: deadLetters.letters.length,
    })}\n`,
  );
  process.exit(0);
}

await connector.connect();
connector.client!.once("message", () => {
  started = process.hrtime.bigint();
  cpuStart = process.cpuUsage();
});
process.stdout.write("ready\n");
