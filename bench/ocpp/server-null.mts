// Our central system without SQLite: a null output and memory state, to
// separate the store's cost from the protocol handling. Run by index.mjs
// through tsx (`--servers null`); reports its port over IPC.
import { allPlugins, loadConfig } from "../../apps/runner/src/index.js";
import {
  MemoryStateStore,
  NullOutput,
  Pipeline,
} from "../../packages/core/src/index.js";
import {
  type CentralSystemConfig,
  CentralSystemConnector,
} from "../../packages/ocpp/src/index.js";
import { handleProfileCommand } from "./profile.mjs";

const { config } = loadConfig(
  {
    data_dir: "/tmp",
    ocpp: {
      role: "central_system",
      host: "127.0.0.1",
      port: 0,
      versions: ["1.6"],
      rate_limit: { calls_per_second: 10_000, burst: 10_000 },
      ping_interval_ms: 0,
      acknowledge: process.env.BENCH_ACK ?? "stored",
    },
  },
  allPlugins(),
);
const pipeline = new Pipeline({
  outputs: [new NullOutput()],
  batchIntervalMs: 10,
  batchSize: 2000,
  maxPendingReadings: 200_000,
});
await pipeline.open();
const section = (config as unknown as { ocpp: CentralSystemConfig }).ocpp;
const csms = new CentralSystemConnector(section, {
  state: new MemoryStateStore(),
});
csms.attach(pipeline);
await csms.connect();
process.send?.({ ready: true, port: csms.port, path: "/ocpp" });
process.on("message", async (message: { cmd: string; file?: string }) => {
  if (await handleProfileCommand(message)) return;
  if (message.cmd === "stop") {
    await csms.disconnect();
    await pipeline.close();
    process.exit(0);
  }
});
