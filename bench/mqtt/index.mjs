// `pnpm bench mqtt`: 500,000 JSON messages on 1,000 topics through a
// Mosquitto started here on 127.0.0.1, at QoS 0 and QoS 1. Three
// subscribers receive them: (a) bare MQTT.js that counts, (b) bare
// MQTT.js that parses JSON and builds one object per message, and (c)
// our connector through the full pipeline into an output that counts.
// Options: --messages N (default 500000), --runs N (default 3),
// --qos 0,1, --inflight N (Mosquitto max_inflight_messages, default 20),
// --only a,b,c, --profile DIR.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir, totalmem, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const MESSAGES = Number(option("messages", "500000"));
const RUNS = Number(option("runs", "3"));
const QOS_LEVELS = option("qos", "0,1").split(",").map(Number);
const INFLIGHT = Number(option("inflight", "20"));
// --only a,b,c runs a subset of the subscribers (the ratios need a and b).
const ONLY = option("only", "a,b,c").split(",");
// --verbose prints each run's raw result and the load average before it
// to stderr.
const VERBOSE = args.includes("--verbose");
const TOPICS = 1_000;
// --profile DIR writes a V8 CPU profile of each connector run to DIR.
const PROFILE_DIR = option("profile", undefined);

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  const { Socket } = await import("node:net");
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const open = await new Promise((resolve) => {
      const socket = new Socket();
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
      socket.connect(port, "127.0.0.1");
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`mosquitto did not open port ${port}`);
}

function lines(child, onLine) {
  let rest = "";
  child.stdout.on("data", (chunk) => {
    rest += String(chunk);
    let newline = rest.indexOf("\n");
    while (newline >= 0) {
      onLine(rest.slice(0, newline));
      rest = rest.slice(newline + 1);
      newline = rest.indexOf("\n");
    }
  });
}

const SUBSCRIBERS = {
  "a: MQTT.js, count": (port, qos) => [
    process.execPath,
    [join(here, "subscriber.mjs"), port, qos, MESSAGES, "count"],
  ],
  "b: MQTT.js + JSON.parse": (port, qos) => [
    process.execPath,
    [join(here, "subscriber.mjs"), port, qos, MESSAGES, "parse"],
  ],
  "c: qubit connector": (port, qos) => [
    process.execPath,
    [
      "--expose-gc",
      ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
      "--import",
      "tsx",
      "--conditions=@qubit/source",
      join(here, "connector-subscriber.mts"),
      port,
      qos,
      MESSAGES,
    ],
  ],
};

async function runOnce(port, qos, name) {
  const [command, commandArgs] = SUBSCRIBERS[name](port, qos);
  const subscriber = spawn(command, commandArgs.map(String), {
    cwd: join(here, "../.."),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let ready;
  const readyPromise = new Promise((resolve) => {
    ready = resolve;
  });
  let result;
  const resultPromise = new Promise((resolve, reject) => {
    result = resolve;
    subscriber.once("exit", (code) => {
      if (code !== 0) reject(new Error(`${name} exited with ${code}`));
    });
  });
  lines(subscriber, (line) => {
    if (line === "ready") ready();
    else if (line.startsWith("{")) result(JSON.parse(line));
  });
  await readyPromise;
  const publisher = spawn(
    process.execPath,
    [join(here, "publisher.mjs"), port, qos, MESSAGES, TOPICS].map(String),
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const timeout = setTimeout(() => subscriber.kill("SIGKILL"), 300_000);
  try {
    const result = await resultPromise;
    // Let the subscriber exit by itself (and write its profile).
    if (subscriber.exitCode === null)
      await new Promise((resolve) => {
        subscriber.once("exit", resolve);
        setTimeout(resolve, 10_000);
      });
    return result;
  } finally {
    clearTimeout(timeout);
    publisher.kill("SIGKILL");
    if (subscriber.exitCode === null) subscriber.kill("SIGKILL");
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "qubit-bench-mqtt-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "mosquitto.conf"),
    [
      `user ${userInfo().username}`,
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "max_queued_messages 1000000",
      `max_inflight_messages ${INFLIGHT}`,
      "",
    ].join("\n"),
  );
  const broker = spawn(
    "/usr/sbin/mosquitto",
    ["-c", join(dir, "mosquitto.conf")],
    {
      stdio: "ignore",
    },
  );
  // Stop the broker even when a run fails and the driver exits early.
  process.once("exit", () => {
    if (broker.exitCode === null) broker.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await waitForPort(port);
    const version = spawnSync("/usr/sbin/mosquitto", ["-h"], {
      encoding: "utf8",
    }).stdout.split("\n")[0];
    process.stdout.write(
      `MQTT benchmark: ${MESSAGES} messages on ${TOPICS} topics, ${RUNS} runs each (median)\n` +
        `machine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${version}, max_inflight_messages ${INFLIGHT}\n\n`,
    );
    const rows = [];
    for (const qos of QOS_LEVELS) {
      const medians = {};
      const names = Object.keys(SUBSCRIBERS).filter((name) =>
        ONLY.includes(name[0]),
      );
      for (const name of names) {
        const runs = [];
        for (let run = 0; run < RUNS; run += 1) {
          const load = loadavg()[0].toFixed(1);
          const result = await runOnce(port, qos, name);
          if (VERBOSE)
            process.stderr.write(
              `${name} QoS ${qos} (load ${load}): ${JSON.stringify(result)}\n`,
            );
          if (result.received < MESSAGES)
            throw new Error(`${name} got ${result.received} of ${MESSAGES}`);
          runs.push({
            rate: result.received / result.seconds,
            cpu: (result.cpu_seconds / result.seconds) * 100,
            cpuPerMessage: (result.cpu_seconds / result.received) * 1e6,
            rss: result.max_rss_kb / 1024,
          });
        }
        medians[name] = {
          rate: median(runs.map((run) => run.rate)),
          min: Math.min(...runs.map((run) => run.rate)),
          max: Math.max(...runs.map((run) => run.rate)),
          cpu: median(runs.map((run) => run.cpu)),
          cpuPerMessage: median(runs.map((run) => run.cpuPerMessage)),
          cpuMin: Math.min(...runs.map((run) => run.cpuPerMessage)),
          cpuMax: Math.max(...runs.map((run) => run.cpuPerMessage)),
          rss: Math.max(...runs.map((run) => run.rss)),
        };
      }
      const b = medians["b: MQTT.js + JSON.parse"]?.rate ?? Number.NaN;
      const a = medians["a: MQTT.js, count"]?.rate ?? Number.NaN;
      const bCpu =
        medians["b: MQTT.js + JSON.parse"]?.cpuPerMessage ?? Number.NaN;
      for (const [name, value] of Object.entries(medians)) {
        rows.push(
          `| ${qos} | ${name} | ${Math.round(value.rate).toLocaleString("en-US")} [${Math.round(value.min).toLocaleString("en-US")}–${Math.round(value.max).toLocaleString("en-US")}] | ${(value.rate / a).toFixed(2)} | ${(value.rate / b).toFixed(2)} | ${value.cpu.toFixed(0)} | ${value.cpuPerMessage.toFixed(1)} [${value.cpuMin.toFixed(1)}–${value.cpuMax.toFixed(1)}] | ${(bCpu / value.cpuPerMessage).toFixed(2)} | ${value.rss.toFixed(0)} |`,
        );
      }
    }
    // A CPU-bound subscriber handles one message per "CPU µs per
    // message". The last ratio compares those rates, so it does not
    // depend on how much of a core each run got.
    process.stdout.write(
      "| QoS | subscriber | messages/s median [min–max] | vs (a) | vs (b) | CPU % | CPU µs per message [min–max] | CPU-bound rate vs (b) | peak RSS MiB |\n" +
        "|---|---|---|---|---|---|---|---|---|\n" +
        `${rows.join("\n")}\n`,
    );
  } finally {
    broker.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
