// A load generator process: lightweight ws clients sending pre-built
// OCPP 1.6 frames, so that the generator is not the limit. Each charge
// point sends StartTransaction, then MeterValues either every
// `intervalMs` (periodic mode) or as soon as the last one got its CALLRESULT
// (closed-loop mode). Reports latencies and counts over IPC.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(
  fileURLToPath(new URL("../../packages/ocpp/package.json", import.meta.url)),
);
const WebSocket = require("ws");

const options = JSON.parse(process.argv[2]);
const {
  url,
  prefix,
  from,
  count,
  mode,
  intervalMs,
  durationMs,
  connectConcurrency,
} = options;
const latencies = [];
let calls = 0;
let errors = 0;
let connectFailures = 0;
const sockets = [];

function meterFrame(id, transactionId, time) {
  const stamp = new Date(time).toISOString();
  return `[2,"${id}","MeterValues",{"connectorId":1,"transactionId":${transactionId},"meterValue":[{"timestamp":"${stamp}","sampledValue":[{"value":"7.2","measurand":"Power.Active.Import","unit":"kW"},{"value":"${Math.floor(time / 1000) % 10_000_000}","measurand":"Energy.Active.Import.Register","unit":"Wh"}]}]}]`;
}

function open(index) {
  return new Promise((resolve) => {
    const identity = `${prefix}${from + index}`;
    const socket = new WebSocket(`${url}/${identity}`, ["ocpp1.6"], {
      perMessageDeflate: false,
    });
    const state = {
      socket,
      pending: new Map(),
      sequence: 0,
      transactionId: 0,
      clock: Date.UTC(2025, 0, 1) + index * 1000,
    };
    socket.on("open", () => {
      sockets.push(state);
      resolve(true);
    });
    socket.on("error", () => {
      connectFailures += 1;
      resolve(false);
    });
    socket.on("message", (data) => {
      const text = data.toString();
      const idEnd = text.indexOf('"', 4);
      const id = text.slice(text.indexOf('"') + 1, idEnd);
      const sent = state.pending.get(id);
      if (sent === undefined) return;
      state.pending.delete(id);
      if (text.charCodeAt(1) === 52) errors += 1;
      else if (state.transactionId === 0) {
        const match = /"transactionId":(\d+)/.exec(text);
        state.transactionId = match ? Number(match[1]) : 1;
      }
      const latency = performance.now() - sent;
      if (running) {
        latencies.push(latency);
        calls += 1;
      }
      if (mode === "closed" && running) send(state);
    });
  });
}

let running = false;

function send(state) {
  state.sequence += 1;
  state.clock += 10_000;
  const id = `m${state.sequence}`;
  state.pending.set(id, performance.now());
  state.socket.send(meterFrame(id, state.transactionId, state.clock));
}

const connectStart = performance.now();
for (let index = 0; index < count; index += connectConcurrency) {
  const batch = [];
  for (
    let offset = index;
    offset < Math.min(count, index + connectConcurrency);
    offset += 1
  )
    batch.push(open(offset));
  await Promise.all(batch);
}
const connectMs = performance.now() - connectStart;

for (const state of sockets) {
  state.pending.set("s0", performance.now());
  state.socket.send(
    '[2,"s0","StartTransaction",{"connectorId":1,"idTag":"BENCH","meterStart":0,"timestamp":"2025-01-01T00:00:00Z"}]',
  );
}
const startDeadline = Date.now() + 30_000;
while (
  sockets.some((state) => state.transactionId === 0) &&
  Date.now() < startDeadline
) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
calls = 0;
process.send({ connected: sockets.length, connectMs, connectFailures });

await new Promise((resolve) => process.once("message", resolve));
running = true;
const started = performance.now();
const timers = [];
if (mode === "closed") {
  for (const state of sockets) send(state);
} else {
  sockets.forEach((state, index) => {
    const offset = (index / sockets.length) * intervalMs;
    timers.push(
      setTimeout(() => {
        send(state);
        timers.push(setInterval(() => send(state), intervalMs));
      }, offset),
    );
  });
}
await new Promise((resolve) => setTimeout(resolve, durationMs));
running = false;
for (const timer of timers) clearInterval(timer);
const elapsed = (performance.now() - started) / 1000;
await new Promise((resolve) => setTimeout(resolve, 500));
latencies.sort((a, b) => a - b);
const at = (q) =>
  latencies.length
    ? latencies[
        Math.min(latencies.length - 1, Math.floor(q * latencies.length))
      ]
    : Number.NaN;
const sample =
  latencies.length > 200_000
    ? latencies.filter(
        (_, index) => index % Math.ceil(latencies.length / 200_000) === 0,
      )
    : latencies;
process.send(
  {
    done: true,
    latencies: sample,
    calls,
    errors,
    elapsed,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? Number.NaN,
    outstanding: sockets.reduce((sum, state) => sum + state.pending.size, 0),
  },
  () => {
    for (const state of sockets) state.socket.terminate();
    process.exit(0);
  },
);
