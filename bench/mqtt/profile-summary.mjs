// Summarises a V8 CPU profile (.cpuprofile, from `node --cpu-prof`) by
// area and by function: self time as a share of the busy (not idle)
// time. Used for the profiles in docs/benchmarks/mqtt.md and modbus.md.
// Usage: node profile-summary.mjs FILE [TOP=30] [SKIP_MS=0]
// SKIP_MS leaves out the first milliseconds (start-up and warm-up).
import { readFileSync } from "node:fs";

const [file, topText = "30", skipText = "0"] = process.argv.slice(2);
if (!file) {
  process.stderr.write(
    "usage: node profile-summary.mjs FILE [TOP=30] [SKIP_MS=0]\n",
  );
  process.exit(2);
}
const top = Number(topText);
const skipUs = Number(skipText) * 1000;
const profile = JSON.parse(readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));

/** The part of the program a function belongs to, by its script URL. */
function area({ functionName, url }) {
  if (functionName === "(garbage collector)") return "garbage collection";
  if (functionName === "(idle)") return "idle";
  if (functionName === "(program)") return "V8 (program)";
  if (url.includes("/packages/core/")) return "@qubit/core";
  if (url.includes("/packages/mqtt/")) return "@qubit/mqtt";
  if (url.includes("/packages/modbus/")) return "@qubit/modbus";
  if (/node_modules\/(mqtt|mqtt-packet|bl|readable-stream)\//.test(url))
    return "MQTT.js";
  if (url.includes("node_modules/modbus-serial/")) return "modbus-serial";
  if (url.includes("node_modules/")) return "other dependencies";
  if (url.startsWith("node:")) return "Node internals";
  if (url === "") return "built-ins (JSON, strings, sockets)";
  return "benchmark script";
}

const byArea = new Map();
const byFunction = new Map();
let clock = 0;
let total = 0;
for (let index = 0; index < profile.samples.length; index += 1) {
  const delta = profile.timeDeltas[index] ?? 0;
  clock += delta;
  if (clock < skipUs) continue;
  const frame = nodes.get(profile.samples[index]).callFrame;
  total += delta;
  const name = area(frame);
  byArea.set(name, (byArea.get(name) ?? 0) + delta);
  const place = frame.url.replace(/.*\/(packages|node_modules)\//, "$1/");
  const key = `${frame.functionName || "(anonymous)"} ${place}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + delta);
}

const busy = total - (byArea.get("idle") ?? 0);
const share = (time) => `${((time / busy) * 100).toFixed(1).padStart(5)} %`;
process.stdout.write(
  `profiled ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s\n\n`,
);
for (const [name, time] of [...byArea].sort((a, b) => b[1] - a[1])) {
  if (name !== "idle") process.stdout.write(`${share(time)}  ${name}\n`);
}
process.stdout.write("\n");
const functions = [...byFunction]
  .filter(([key]) => !key.startsWith("(idle)"))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top);
for (const [key, time] of functions) {
  process.stdout.write(`${share(time)}  ${key}\n`);
}
