// One benchmark phase in its own process, so CPU and peak RSS belong to
// it alone: `node run.mjs bare|client|qubit PORTS_JSON PACED FLAT_OUT_S`.
// "bare" is a hand-written modbus-serial loop. "client" is the package's
// ModbusClient (queue, retries, typed errors) reading the same blocks.
// "qubit" is the whole connector (built dist): planned reads, decoding,
// readings and the pipeline's validation, into a null output.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const [mode, portsJson, pacedArg, flatArg] = process.argv.slice(2);
const ports = JSON.parse(portsJson);
const pacedCycles = Number(pacedArg ?? 20);
const flatOutS = Number(flatArg ?? 10);
const BLOCKS = [0, 100, 200, 300, 400].map((start) => ({
  start,
  quantity: 10,
}));

const root = fileURLToPath(new URL("../../", import.meta.url));
const require = createRequire(`${root}packages/modbus/package.json`);

async function setupBare() {
  const ModbusRTU = require("modbus-serial");
  const clients = await Promise.all(
    ports.map(async (port) => {
      const client = new ModbusRTU();
      client.setTimeout(2000);
      await client.connectTCP("127.0.0.1", { port });
      client.setID(1);
      return client;
    }),
  );
  return {
    async cycle() {
      await Promise.all(
        clients.map(async (client) => {
          for (const block of BLOCKS) {
            const { data } = await client.readHoldingRegisters(
              block.start,
              block.quantity,
            );
            if (data.length !== block.quantity) throw new Error("short read");
          }
        }),
      );
    },
    requests: () => clients.length * BLOCKS.length * cycles,
    async close() {
      await Promise.all(
        clients.map(
          (client) => new Promise((resolve) => client.close(resolve)),
        ),
      );
    },
  };
}

async function setupQubit() {
  const { ModbusConnector } = await import(
    `${root}packages/modbus/dist/index.js`
  );
  const { NullOutput, Pipeline } = await import(
    `${root}packages/core/dist/index.js`
  );
  const output = new NullOutput();
  const pipeline = new Pipeline({
    outputs: [output],
    batchSize: 5000,
    batchIntervalMs: 1,
    dedupWindow: 0,
  });
  const registers = {};
  for (const block of BLOCKS) {
    for (let i = 0; i < block.quantity; i += 1) {
      registers[`r${block.start + i}`] = {
        address: `holding:${block.start + i}`,
        unit: "W",
      };
    }
  }
  const connectors = ports.map((port, index) => {
    const connector = new ModbusConnector(
      {
        host: "127.0.0.1",
        port,
        timeout: 2,
        retries: 0,
        polling_interval: 3600,
        devices: [{ name: `device-${index}`, unit_id: 1, registers }],
      },
      { name: `bench-${index}` },
    );
    connector.attach(pipeline);
    return connector;
  });
  await Promise.all(connectors.map((connector) => connector["client"].open()));
  return {
    plan: connectors[0].plan().length,
    async cycle() {
      await Promise.all(connectors.map((connector) => connector.poll()));
    },
    requests: () =>
      connectors.reduce((sum, c) => sum + c.client.stats.requests, 0),
    readings: () => output.count,
    async close() {
      await Promise.all(
        connectors.map((connector) => connector.client.close()),
      );
      await pipeline.close();
    },
  };
}

async function setupClient() {
  const { ModbusClient } = await import(`${root}packages/modbus/dist/index.js`);
  const clients = ports.map(
    (port) =>
      new ModbusClient({
        protocol: "tcp",
        host: "127.0.0.1",
        port,
        baudrate: 9600,
        parity: "none",
        stopbits: 1,
        bytesize: 8,
        timeoutMs: 2000,
        retries: 0,
        retryDelayMs: 0,
        reconnectMaxDelayMs: 1000,
        maxConcurrent: 1,
      }),
  );
  await Promise.all(clients.map((client) => client.open()));
  return {
    async cycle() {
      await Promise.all(
        clients.map(async (client) => {
          for (const block of BLOCKS) {
            const words = await client.readRegisters(
              1,
              3,
              block.start,
              block.quantity,
            );
            if (words.length !== block.quantity) throw new Error("short read");
          }
        }),
      );
    },
    requests: () =>
      clients.reduce((sum, client) => sum + client.stats.requests, 0),
    async close() {
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

let cycles = 0;
const setups = { bare: setupBare, client: setupClient, qubit: setupQubit };
const target = await setups[mode]();
for (let i = 0; i < 3; i += 1) await target.cycle();
cycles = 0;
const requestsBefore = target.requests();

// Paced: one cycle per second, as a 1 s polling interval does.
const latencies = [];
let cpu = process.cpuUsage();
let wall = performance.now();
for (let i = 0; i < pacedCycles; i += 1) {
  const started = performance.now();
  await target.cycle();
  cycles += 1;
  const took = performance.now() - started;
  latencies.push(took);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - took)));
}
const pacedCpu = process.cpuUsage(cpu);
const pacedWall = performance.now() - wall;
const requestsPerCycle = (target.requests() - requestsBefore) / cycles;

// Flat out: cycles back to back, the highest poll rate sustained.
cycles = 0;
cpu = process.cpuUsage();
wall = performance.now();
while (performance.now() - wall < flatOutS * 1000) {
  await target.cycle();
  cycles += 1;
}
const flatCpu = process.cpuUsage(cpu);
const flatWall = performance.now() - wall;
await target.close();

latencies.sort((a, b) => a - b);
const pick = (q) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
process.stdout.write(
  `${JSON.stringify({
    mode,
    devices: ports.length,
    requests_per_poll: requestsPerCycle,
    plan_requests_per_device: target.plan,
    cycle_p50_ms: pick(0.5),
    cycle_p99_ms: pick(0.99),
    paced_cpu_pct: ((pacedCpu.user + pacedCpu.system) / 1000 / pacedWall) * 100,
    max_cycles_per_s: cycles / (flatWall / 1000),
    max_requests_per_s: (cycles * requestsPerCycle) / (flatWall / 1000),
    flat_cpu_pct: ((flatCpu.user + flatCpu.system) / 1000 / flatWall) * 100,
    flat_cpu_ms_per_cycle: (flatCpu.user + flatCpu.system) / 1000 / cycles,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
process.exit(0);
