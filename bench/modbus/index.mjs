#!/usr/bin/env node
// `pnpm bench modbus`: 100 simulated Modbus TCP devices with 50 registers
// each in 5 blocks, polled by a bare modbus-serial loop and by the Qubit
// Modbus connector in the same run. Each phase runs in its own process
// (run.mjs); the lean device simulator runs in a third (simulator.mjs).
// Options: --devices N (100), --rounds N (3), --paced N cycles (20),
// --flat SECONDS (10). Needs `npx tsup` in packages/core and
// packages/modbus first; this script builds packages/modbus when its dist
// is missing.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    devices: { type: "string", default: "100" },
    rounds: { type: "string", default: "3" },
    paced: { type: "string", default: "20" },
    flat: { type: "string", default: "10" },
  },
});
const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));

for (const name of ["core", "modbus"]) {
  if (!existsSync(`${root}packages/${name}/dist/index.js`)) {
    process.stdout.write(`building packages/${name} ...\n`);
    execFileSync("npx", ["tsup"], {
      cwd: `${root}packages/${name}`,
      stdio: "inherit",
    });
  }
}

const simulator = spawn(
  process.execPath,
  [`${here}simulator.mjs`, values.devices],
  {
    stdio: ["pipe", "pipe", "inherit"],
  },
);
const simulatorLines = createInterface({ input: simulator.stdout });
const nextLine = () =>
  new Promise((resolve) =>
    simulatorLines.once("line", (line) => resolve(JSON.parse(line))),
  );
const { ports } = await nextLine();

function phase(mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        `${here}run.mjs`,
        mode,
        JSON.stringify(ports),
        values.paced,
        values.flat,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(output.trim().split("\n").pop()))
        : reject(new Error(`${mode} phase exited with ${code}`)),
    );
  });
}

const MODES = ["bare", "client", "qubit"];
const results = { bare: [], client: [], qubit: [] };
try {
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const mode of MODES) {
      const result = await phase(mode);
      results[mode].push(result);
      process.stdout.write(
        `round ${round + 1} ${mode}: ${JSON.stringify(result)}\n`,
      );
    }
  }
} finally {
  simulator.stdin.write("exit\n");
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const range = (mode, key, digits = 1) => {
  const list = results[mode].map((r) => r[key]);
  return `${median(list).toFixed(digits)} [${Math.min(...list).toFixed(digits)}-${Math.max(...list).toFixed(digits)}]`;
};
const keys = [
  ["requests_per_poll", "requests per poll (100 devices)", 0],
  ["cycle_p50_ms", "poll cycle p50, ms", 2],
  ["cycle_p99_ms", "poll cycle p99, ms", 2],
  ["paced_cpu_pct", "CPU at 1 poll/s, % of a core", 1],
  ["max_cycles_per_s", "highest poll rate, cycles/s", 1],
  ["max_requests_per_s", "highest request rate, requests/s", 0],
  ["flat_cpu_pct", "CPU flat out, % of a core", 1],
  ["flat_cpu_ms_per_cycle", "CPU per poll cycle flat out, ms", 2],
  ["peak_rss_mb", "peak RSS, MB", 1],
];
process.stdout.write(
  `\nModbus benchmark: ${values.devices} devices x 50 registers in 5 blocks, loopback, ${values.rounds} rounds (median [min-max])\n`,
);
process.stdout.write(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n\n`,
);
process.stdout.write(
  "| measure | bare modbus-serial loop | ModbusClient only | whole connector |\n| --- | --- | --- | --- |\n",
);
for (const [key, label, digits] of keys) {
  process.stdout.write(
    `| ${label} | ${MODES.map((mode) => range(mode, key, digits)).join(" | ")} |\n`,
  );
}
const minimum = Number(values.devices) * 5;
const rate = (mode) => median(results[mode].map((r) => r.max_cycles_per_s));
const cpuPerCycle = (mode) =>
  median(results[mode].map((r) => r.flat_cpu_ms_per_cycle));
process.stdout.write(
  `\ntheoretical minimum requests per poll: ${minimum}; the connector sent ${median(results.qubit.map((r) => r.requests_per_poll))}\n` +
    `highest poll rate relative to the bare loop: ModbusClient ${((rate("client") / rate("bare")) * 100).toFixed(1)}%, whole connector ${((rate("qubit") / rate("bare")) * 100).toFixed(1)}% (goal >= 80%)\n` +
    `CPU per poll cycle relative to the bare loop: ModbusClient ${(cpuPerCycle("client") / cpuPerCycle("bare")).toFixed(2)}x, whole connector ${(cpuPerCycle("qubit") / cpuPerCycle("bare")).toFixed(2)}x\n`,
);
