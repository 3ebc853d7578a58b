// Our central system as the product runs it: the runner's Service with
// the OCPP connector, the SQLite store for readings and state, and the
// pipeline acknowledging each CALL once its readings are written. Run by
// index.mjs through tsx; reports its port over IPC.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  allPlugins,
  loadConfig,
  Service,
} from "../../apps/runner/src/index.js";
import { handleProfileCommand } from "./profile.mjs";

const dir = mkdtempSync(join(tmpdir(), "qubit-bench-ocpp-"));
const plugins = allPlugins();
const { config } = loadConfig(
  {
    data_dir: dir,
    outputs: [{ type: "sqlite" }],
    server: { enabled: false },
    log: { level: "error" },
    pipeline: {
      batch_interval_ms: 10,
      batch_size: 2000,
      max_pending_readings: 200_000,
    },
    ocpp: {
      name: "bench",
      role: "central_system",
      host: "127.0.0.1",
      port: 0,
      versions: ["1.6"],
      rate_limit: { calls_per_second: 10_000, burst: 10_000 },
      ping_interval_ms: 0,
      // BENCH_ACK=received answers at once instead of after the write.
      acknowledge: process.env.BENCH_ACK ?? "stored",
    },
  },
  plugins,
);
const service = new Service(config, { plugins });
await service.start();
const csms = service.connectors[0] as unknown as { port: number };
process.send?.({ ready: true, port: csms.port, path: "/ocpp" });
process.on("message", async (message: { cmd: string; file?: string }) => {
  if (await handleProfileCommand(message)) return;
  if (message.cmd === "stats") {
    process.send?.({ stats: service.pipeline.stats() });
  }
  if (message.cmd === "stop") {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }
});
