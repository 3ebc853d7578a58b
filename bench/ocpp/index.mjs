// `pnpm bench ocpp`: our central system against a bare ocpp-rpc server in
// strict mode, in the same run, on this machine. Charge points are
// lightweight ws clients in separate processes (load.mjs) sending
// pre-built OCPP 1.6 frames. Two scenarios per server:
//   fleet:   N charge points (default 10,000), MeterValues every 10 s
//   ceiling: C charge points (default 3,000) in a closed loop, each sending
//            the next MeterValues as soon as the last got its CALLRESULT
// Options: --chargers N --interval S --duration S --ceiling-chargers C
//          --ceiling-duration S --workers W --servers qubit,bare
//          --scenarios fleet,ceiling
// BENCH_PROFILE_DIR=dir writes a CPU profile of each server's traffic
// phase there; BENCH_SERVER_ARGS adds Node options to the servers;
// BENCH_OCPP_SRC=dir runs our servers on another copy of the OCPP
// package's src folder (a before/after comparison in one session).
// Server kinds: qubit (the product: runner Service, SQLite store), bare
// (ocpp-rpc strict mode, answers only), null (our central system with a
// null output and memory state, to separate the SQLite cost).
import { fork } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    chargers: { type: "string", default: "10000" },
    interval: { type: "string", default: "10" },
    duration: { type: "string", default: "60" },
    "ceiling-chargers": { type: "string", default: "3000" },
    "ceiling-duration": { type: "string", default: "20" },
    workers: { type: "string", default: "2" },
    servers: { type: "string", default: "qubit,bare" },
    scenarios: { type: "string", default: "fleet,ceiling" },
  },
});
const chargers = Number(values.chargers);
const workers = Number(values.workers);
const scenarios = values.scenarios.split(",");
const profileDir = process.env.BENCH_PROFILE_DIR;
if (profileDir) mkdirSync(profileDir, { recursive: true });
const here = new URL(".", import.meta.url);
const CLOCK_TICKS = 100;

function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    .split(") ")[1]
    .split(" ");
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / CLOCK_TICKS;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name) =>
    Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds, rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

function startServer(kind) {
  const file =
    kind === "qubit"
      ? new URL("server-qubit.mts", here)
      : kind === "null"
        ? new URL("server-null.mts", here)
        : new URL("server-bare.mjs", here);
  const execArgv =
    kind !== "bare" ? ["--import", "tsx", "--conditions=@qubit/source"] : [];
  // BENCH_OCPP_SRC runs our servers on another copy of packages/ocpp/src.
  if (kind !== "bare" && process.env.BENCH_OCPP_SRC)
    execArgv.push("--import", new URL("redirect-ocpp.mjs", here).href);
  // BENCH_SERVER_ARGS adds Node options to the server, such as --cpu-prof.
  if (process.env.BENCH_SERVER_ARGS)
    execArgv.push(...process.env.BENCH_SERVER_ARGS.split(" "));
  const child = fork(file, [], {
    execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("message", (message) =>
      resolve({
        kind,
        child,
        url: `ws://127.0.0.1:${message.port}${message.path}`,
      }),
    );
  });
}

// Sends a command to a server and waits for its reply.
function ask(child, command) {
  return new Promise((resolve) => {
    child.once("message", resolve);
    child.send(command);
  });
}

async function scenario(server, name, count, mode, durationS) {
  const per = Math.ceil(count / workers);
  const loads = [];
  for (let index = 0; index < workers; index += 1) {
    const from = index * per;
    const size = Math.min(per, count - from);
    if (size <= 0) continue;
    const options = {
      url: server.url,
      prefix: `${name}-${index}-`,
      from,
      count: size,
      mode,
      intervalMs: Number(values.interval) * 1000,
      durationMs: durationS * 1000,
      connectConcurrency: 200,
    };
    loads.push(
      fork(new URL("load.mjs", here), [JSON.stringify(options)], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
  }

  const connected = await Promise.all(
    loads.map(
      (load) => new Promise((resolve) => load.once("message", resolve)),
    ),
  );
  const afterConnect = procStats(server.child.pid);
  const connectMs = Math.max(...connected.map((c) => c.connectMs));

  if (profileDir) await ask(server.child, { cmd: "profile-start" });
  const before = procStats(server.child.pid);
  const wallStart = performance.now();
  for (const load of loads) load.send("go");
  const results = await Promise.all(
    loads.map(
      (load) =>
        new Promise((resolve) =>
          load.on("message", (m) => m.done && resolve(m)),
        ),
    ),
  );
  const wall = (performance.now() - wallStart) / 1000;
  const after = procStats(server.child.pid);

  if (profileDir) {
    const file = join(profileDir, `${server.kind}-${name}.cpuprofile`);
    await ask(server.child, { cmd: "profile-stop", file });
    process.stderr.write(`profile written to ${file}\n`);
  }

  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const at = (q) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const elapsed = Math.max(...results.map((r) => r.elapsed));
  const calls = results.reduce((sum, r) => sum + r.calls, 0);
  const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  return {
    scenario: name,
    chargers: connected.reduce((sum, c) => sum + c.connected, 0),
    connect_failures: connected.reduce((sum, c) => sum + c.connectFailures, 0),
    connects_per_s: Math.round((count / connectMs) * 1000),
    calls_per_s: Math.round(calls / elapsed),
    call_errors: results.reduce((sum, r) => sum + r.errors, 0),
    p50_ms: Number(at(0.5).toFixed(2)),
    p99_ms: Number(at(0.99).toFixed(2)),
    server_cpu_pct: Math.round((cpuSeconds / wall) * 100),
    // Server CPU time per CALL: the figure that machine load skews least.
    cpu_us_per_call: Math.round((cpuSeconds * 1e6) / calls),
    rss_after_connect_mb: Math.round(afterConnect.rssMb),
    rss_end_mb: Math.round(after.rssMb),
    peak_rss_mb: Math.round(after.peakMb),
  };
}

const rows = [];
process.stderr.write(
  `load average at the start: ${loadavg()
    .map((value) => value.toFixed(2))
    .join(", ")}\n`,
);
for (const kind of values.servers.split(",")) {
  const server = await startServer(kind);
  const idle = procStats(server.child.pid);
  process.stderr.write(
    `${kind}: listening at ${server.url}, idle RSS ${idle.rssMb.toFixed(0)} MB\n`,
  );
  if (scenarios.includes("fleet")) {
    const fleet = await scenario(
      server,
      "fleet",
      chargers,
      "periodic",
      Number(values.duration),
    );
    rows.push({ server: kind, idle_rss_mb: Math.round(idle.rssMb), ...fleet });
    process.stderr.write(`${kind} fleet: ${JSON.stringify(fleet)}\n`);
  }
  if (scenarios.includes("ceiling")) {
    const ceiling = await scenario(
      server,
      "ceiling",
      Number(values["ceiling-chargers"]),
      "closed",
      Number(values["ceiling-duration"]),
    );
    rows.push({
      server: kind,
      idle_rss_mb: Math.round(idle.rssMb),
      ...ceiling,
    });
    process.stderr.write(`${kind} ceiling: ${JSON.stringify(ceiling)}\n`);
  }
  server.child.send({ cmd: "stop" });
  await new Promise((resolve) => server.child.once("exit", resolve));
}

const ceilingOf = (kind) =>
  rows.find((row) => row.server === kind && row.scenario === "ceiling")
    ?.calls_per_s;
const ratio =
  ceilingOf("qubit") && ceilingOf("bare")
    ? ceilingOf("qubit") / ceilingOf("bare")
    : undefined;
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log(
  `load average at the end (1, 5, 15 min): ${loadavg()
    .map((value) => value.toFixed(2))
    .join(", ")}`,
);
console.table(rows);
if (ratio !== undefined)
  console.log(
    `ceiling ratio qubit / bare ocpp-rpc: ${(ratio * 100).toFixed(1)}%`,
  );
console.log(JSON.stringify({ rows, ceiling_ratio: ratio }));
