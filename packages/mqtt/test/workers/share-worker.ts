// A connector in its own process for the shared-subscription test: it
// appends the value of every reading it gets to the file named by the
// first argument, one line per reading, until SIGTERM.
import { appendFileSync } from "node:fs";
import { MemoryDeadLetterOutput, type Output, Pipeline } from "@qubit/core";
import { MqttConnector } from "../../src/index.js";

const [file, broker, group] = process.argv.slice(2) as [string, string, string];
const connector = new MqttConnector({
  broker,
  topics: ["share/#"],
  share_group: group,
  qos: 1,
  protocol_version: "5.0",
});
const output: Output = {
  name: "file",
  async write(readings) {
    appendFileSync(
      file,
      readings.map((reading) => `${reading.value}\n`).join(""),
    );
  },
  async close() {},
};
const pipeline = new Pipeline({
  outputs: [output],
  deadLetters: [new MemoryDeadLetterOutput()],
  batchIntervalMs: 20,
});
connector.attach(pipeline);
await connector.connect();
process.stdout.write("ready\n");
process.once("SIGTERM", async () => {
  await connector.disconnect();
  await pipeline.close();
  process.exit(0);
});
