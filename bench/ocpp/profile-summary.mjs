// Splits the self time of a server's CPU profile (BENCH_PROFILE_DIR) by
// what ran: the OCPP package, core, the runner's SQLite writer, ws and
// sockets, garbage collection. Usage:
//   node bench/ocpp/profile-summary.mjs FILE.cpuprofile [CALLS]
// With CALLS (the CALLs answered while profiling), it also prints the
// main thread's busy time per CALL. The profile samples wall time, so on a
// loaded machine a busy share includes time the thread waited for a core.
import { readFileSync } from "node:fs";

const [file, callsText] = process.argv.slice(2);
if (!file) {
  process.stderr.write(
    "usage: node bench/ocpp/profile-summary.mjs FILE [CALLS]\n",
  );
  process.exit(2);
}
const calls = Number(callsText ?? 0);
const profile = JSON.parse(readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));

const SOCKET_FUNCTIONS = new Set(["writev", "writeBuffer", "writeUtf8String"]);

/** Names the category of one sampled frame. */
function categoryOf({ url, functionName }) {
  if (functionName === "(idle)") return "idle";
  if (functionName === "(garbage collector)") return "garbage collection";
  if (functionName === "(program)") return "(program)";
  if (url.includes("/packages/ocpp/") || url.includes("/ajv")) {
    return "OCPP package, with ajv for the schema check";
  }
  if (url.includes("/packages/core/")) return "core: pipeline, ids, quality";
  if (
    url.includes("sqlite") ||
    url.includes("internal/worker") ||
    functionName === "postMessage"
  ) {
    return "runner: SQLite writer, main-thread side";
  }
  if (url.includes("ocpp-rpc")) return "ocpp-rpc";
  if (
    url.includes("/ws@") ||
    url.includes("stream") ||
    url.includes("node:net") ||
    url.includes("node:events") ||
    SOCKET_FUNCTIONS.has(functionName)
  ) {
    return "ws, sockets, streams, events";
  }
  return "other";
}

let busyUs = 0;
const byCategory = new Map();
for (let index = 0; index < profile.samples.length; index += 1) {
  const category = categoryOf(nodes.get(profile.samples[index]).callFrame);
  if (category === "idle") continue;
  const us = profile.timeDeltas[index];
  busyUs += us;
  byCategory.set(category, (byCategory.get(category) ?? 0) + us);
}

const perCall = calls > 0 ? `, ${(busyUs / calls).toFixed(1)} µs per CALL` : "";
console.log(`main thread busy ${(busyUs / 1e6).toFixed(1)} s${perCall}`);
for (const [category, us] of [...byCategory].sort((a, b) => b[1] - a[1])) {
  const share = `${((us / busyUs) * 100).toFixed(1)}%`.padStart(6);
  const each = calls > 0 ? `${(us / calls).toFixed(1)} µs`.padStart(9) : "";
  console.log(`${share} ${each}  ${category}`);
}
