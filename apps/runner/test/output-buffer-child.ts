// A process that output-buffer.test.ts starts and kills: it writes batches
// through a disk-buffered webhook output whose server is down, prints
// "accepted" once every write resolved, and waits to be killed.
// Usage: output-buffer-child.ts <buffer folder> <webhook url> <batches>
import { BufferedOutput } from "../src/outputs/buffered-output.js";
import { WebhookOutputConfigSchema } from "../src/outputs/config.js";
import { WebhookOutput } from "../src/outputs/webhook.js";
import { configOf, makeReadings } from "./output-helpers.js";

const [directory, url, batchesText] = process.argv.slice(2);
const batches = Number(batchesText);
const readings = makeReadings(batches * 10);

const webhook = new WebhookOutput(
  configOf(WebhookOutputConfigSchema, {
    type: "webhook",
    url,
    max_attempts: 1,
    timeout_ms: 1_000,
  }),
);
const output = new BufferedOutput(webhook, {
  directory: directory!,
  maxBytes: 10_000_000,
  fsync: true,
  // Long enough that the killed process never retries on its own.
  retryInitialDelayMs: 600_000,
});
await output.open();
for (let index = 0; index < batches; index += 1)
  await output.write(readings.slice(index * 10, index * 10 + 10));
process.stdout.write(`accepted ${output.bufferedBatches}\n`);
setInterval(() => undefined, 60_000);
