// The whole connector's cost per reading after the reads: decoding,
// readings and the pipeline, without sockets or a simulator. The poll
// results of 100 devices x 50 registers in 5 blocks (the benchmark's
// layout) are built in this process and go through each device poller's
// message and the connector's delivery, as after real reads. Run through
// tsx; prints one JSON line.
// Usage: node --import tsx --conditions=@qubit/source in-process.mts
//   [CYCLES=400] [bench|runner]
// "bench" is the pipeline of run.mjs (no de-duplication); "runner" adds
// the runner's defaults: a 100,000-id de-duplication window and the
// data-quality monitor.
import {
  NullOutput,
  Pipeline,
  QualityMonitor,
} from "../../packages/core/src/index.ts";
import {
  type BlockResult,
  ModbusConnector,
} from "../../packages/modbus/src/index.ts";

const [cyclesText = "400", pipelineKind = "bench"] = process.argv.slice(2);
const cycles = Number(cyclesText);
const DEVICES = 100;
const BLOCKS = [0, 100, 200, 300, 400].map((start) => ({
  start,
  quantity: 10,
}));

const output = new NullOutput();
const pipeline = new Pipeline({
  outputs: [output],
  batchSize: 5000,
  batchIntervalMs: 1,
  ...(pipelineKind === "runner"
    ? { quality: new QualityMonitor() }
    : { dedupWindow: 0 }),
});
const registers: Record<string, { address: string; unit: string }> = {};
for (const block of BLOCKS) {
  for (let offset = 0; offset < block.quantity; offset += 1) {
    registers[`r${block.start + offset}`] = {
      address: `holding:${block.start + offset}`,
      unit: "W",
    };
  }
}

/** What this script reaches inside a connector. */
interface Internals {
  pollers: {
    groups: { blocks: BlockResult["block"][] }[];
    message(results: BlockResult[], timestamp: number): unknown;
  }[];
  deliver(message: unknown): Promise<void>;
}

const connectors = Array.from({ length: DEVICES }, (_, index) => {
  const connector = new ModbusConnector(
    {
      host: "127.0.0.1",
      port: 15_000 + index,
      timeout: 2,
      retries: 0,
      polling_interval: 3600,
      devices: [{ name: `device-${index}`, unit_id: 1, registers }],
    },
    { name: `bench-${index}` },
  );
  connector.attach(pipeline);
  return connector as unknown as Internals;
});

const words = Array.from({ length: 10 }, (_, index) => index * 7);
let now = 1_733_300_000_000;

/** One poll of every device, as after the reads of a cycle. */
async function cycle(): Promise<void> {
  now += 1000;
  await Promise.all(
    connectors.map(async (connector) => {
      for (const poller of connector.pollers) {
        for (const group of poller.groups) {
          const results = group.blocks.map((block) => ({
            block,
            registers: words,
          }));
          await connector.deliver(poller.message(results, now));
        }
      }
    }),
  );
}

for (let warmUp = 0; warmUp < 50; warmUp += 1) await cycle();
const cpuStart = process.cpuUsage();
for (let index = 0; index < cycles; index += 1) await cycle();
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(
  `${JSON.stringify({
    pipeline: pipelineKind,
    cycles,
    readings_per_cycle: DEVICES * 50,
    cpu_ms_per_cycle: cpuMs / cycles,
    cpu_us_per_reading: (cpuMs * 1000) / cycles / (DEVICES * 50),
    readings_written: output.count,
  })}\n`,
);
process.exit(0);
