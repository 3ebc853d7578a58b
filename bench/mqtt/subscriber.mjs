// Bare MQTT.js subscribers of the benchmark. Mode "count" only counts
// messages. Mode "parse" does JSON.parse and builds one plain object per
// message, kept in a batch that is cleared every 1,000 messages.
// Usage: node subscriber.mjs PORT QOS COUNT MODE
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../packages/mqtt/package.json"));
const mqtt = require("mqtt");

const [portText, qosText, countText, mode] = process.argv.slice(2);
const qos = Number(qosText);
const count = Number(countText);
let received = 0;
let started = 0;
let cpuStart;
let batch = [];

const client = mqtt.connect(`mqtt://127.0.0.1:${portText}`, {
  clean: true,
  reconnectPeriod: 0,
});

function done() {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(
    `${JSON.stringify({
      received,
      seconds,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      max_rss_kb: process.resourceUsage().maxRSS,
    })}\n`,
  );
  client.end(true, () => process.exit(0));
}

client.on("message", (topic, payload) => {
  if (received === 0) {
    started = process.hrtime.bigint();
    cpuStart = process.cpuUsage();
  }
  received += 1;
  if (mode === "parse") {
    const levels = topic.split("/");
    const body = JSON.parse(payload);
    batch.push({
      asset_id: levels[3],
      metric: levels[5],
      value: body.value,
      unit: body.unit,
      timestamp: new Date(body.ts).toISOString(),
    });
    if (batch.length === 1000) batch = [];
  }
  if (received === count) done();
});

client.on("connect", () => {
  client.subscribe("bench/#", { qos }, () => process.stdout.write("ready\n"));
});
