import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ConnectorPlugin } from "@qubit/core";
import Database from "better-sqlite3";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { createLogger } from "../logger.js";
import { PROTOCOL_MODULES } from "../protocols/index.js";
import type { CommandContext, DemoRun } from "../protocols/types.js";
import { Service } from "../service.js";

export const DEMO_USAGE = `Usage: qubit demo [--duration SECONDS] [--data-dir DIR]

Runs the whole pipeline on this machine with nothing else installed: an
in-process MQTT broker with simulated meters, a Modbus TCP inverter
simulator, OCPP 1.6J charge points running a charging session and a CSV
file, read by the real connectors into the embedded SQLite store. Prints
a summary per connector and exits 0 when every connector stored readings.

Options:
  -d, --duration SECONDS   how long to run; default 30
  --data-dir DIR           keep the store here (default: a temporary folder,
                           removed at the end)`;

interface Summary {
  protocol: string;
  readings: number;
  rejected: number;
  series: number;
  examples: {
    asset_id: string;
    metric: string;
    value: unknown;
    value_type: string;
    unit: string;
    timestamp: string;
  }[];
  rejects: { code: string; reason: string }[];
}

/** Runs `qubit demo`. Returns the exit status. */
export async function demoCommand(
  argv: string[],
  context: CommandContext,
  plugins: readonly ConnectorPlugin[],
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", short: "d" },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    context.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  const seconds = values.duration === undefined ? 30 : Number(values.duration);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(
      `Invalid --duration ${JSON.stringify(values.duration)}`,
      "give a number of seconds, for example --duration 15",
    );
  }
  const temporary = values["data-dir"] === undefined;
  const dir = values["data-dir"] ?? mkdtempSync(join(tmpdir(), "qubit-demo-"));
  // Rejects are part of the demo and its summary shows them, so only
  // errors are logged unless QUBIT_LOG_LEVEL asks for more.
  const logger = createLogger({
    level: context.env.QUBIT_LOG_LEVEL ?? "error",
  });
  const out = (line: string) => context.stdout.write(`${line}\n`);

  out(
    `qubit demo: ${seconds} s, store ${join(dir, "qubit.db")}${temporary ? " (temporary: removed at exit unless --data-dir DIR is given)" : ""}`,
  );
  const parts = PROTOCOL_MODULES.filter((module) => module.demo);
  const started = await Promise.allSettled(
    parts.map((module) =>
      module.demo!.start({ dir, logger, durationMs: seconds * 1000 }),
    ),
  );
  const runs: { protocol: string; run: DemoRun }[] = [];
  started.forEach((result, index) => {
    const protocol = parts[index]!.protocol;
    if (result.status === "fulfilled") {
      runs.push({ protocol, run: result.value });
      out(`  ${protocol.padEnd(7)} ${result.value.description}`);
    } else {
      out(
        `  ${protocol.padEnd(7)} simulator failed to start: ${(result.reason as Error).message}`,
      );
    }
  });

  let service: Service | undefined;
  let summaries: Summary[] = [];
  try {
    const input: Record<string, unknown> = {
      data_dir: dir,
      outputs: [{ type: "sqlite" }],
      server: { enabled: true, port: 0 },
      log: { level: "warn" },
    };
    for (const { protocol, run } of runs) input[protocol] = run.config;
    const { config } = loadConfig(input, plugins, {
      env: context.env,
      source: "demo",
    });
    service = new Service(config, { plugins, logger });
    await service.start();
    out(
      `  health and metrics: ${service.serverUrl}/health, ${service.serverUrl}/metrics`,
    );
    await progress(service, seconds * 1000, context);
  } finally {
    await service?.stop();
    await Promise.allSettled(runs.map(({ run }) => run.stop()));
  }

  summaries = summarize(
    join(dir, "qubit.db"),
    parts.map((module) => module.protocol),
  );
  printSummary(summaries, out);
  out("");
  if (temporary) {
    rmSync(dir, { recursive: true, force: true });
    out(
      `Store removed: ${dir} was a temporary folder; run "qubit demo --data-dir DIR" to keep the store in DIR`,
    );
  } else {
    out(
      `Store kept: sqlite3 ${join(dir, "qubit.db")} "SELECT * FROM readings LIMIT 10"`,
    );
  }
  const empty = summaries.filter((summary) => summary.readings === 0);
  if (empty.length > 0) {
    out(
      `No readings from: ${empty.map((summary) => summary.protocol).join(", ")}`,
    );
    return 1;
  }
  return 0;
}

async function progress(
  service: Service,
  durationMs: number,
  context: CommandContext,
): Promise<void> {
  const stdout = context.stdout as NodeJS.WriteStream;
  const interactive = stdout.isTTY === true;
  const deadline = Date.now() + durationMs;
  const line = () => {
    const stats = service.pipeline.stats();
    const parts = Object.entries(stats.by_connector).map(
      ([name, counters]) =>
        `${name} ${counters.readings}${counters.dead_letters ? ` (+${counters.dead_letters} rejected)` : ""}`,
    );
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    return `  ${left.toString().padStart(3)} s left | readings: ${parts.join(" | ") || "waiting"}`;
  };
  let lastLog = 0;
  while (Date.now() < deadline) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))),
    );
    if (interactive) stdout.write(`\r${line()}\u001b[K`);
    else if (Date.now() - lastLog >= 5000) {
      stdout.write(`${line()}\n`);
      lastLog = Date.now();
    }
  }
  if (interactive) stdout.write("\n");
}

function summarize(path: string, protocols: string[]): Summary[] {
  const db = new Database(path, { readonly: true });
  try {
    return protocols.map((protocol) => {
      const readings = (
        db
          .prepare("SELECT COUNT(*) AS n FROM readings WHERE protocol = ?")
          .get(protocol) as { n: number }
      ).n;
      const rejected = (
        db
          .prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE protocol = ?")
          .get(protocol) as { n: number }
      ).n;
      const series = (
        db
          .prepare(
            "SELECT COUNT(*) AS n FROM (SELECT DISTINCT asset_id, metric FROM readings WHERE protocol = ?)",
          )
          .get(protocol) as { n: number }
      ).n;
      const examples = db
        .prepare(
          `SELECT asset_id, metric, value, value_type, unit, timestamp FROM readings
           WHERE protocol = ? GROUP BY metric ORDER BY MAX(ts_ms) DESC LIMIT 3`,
        )
        .all(protocol) as Summary["examples"];
      const rejects = db
        .prepare(
          "SELECT code, reason FROM dead_letters WHERE protocol = ? GROUP BY code ORDER BY MIN(seq) LIMIT 2",
        )
        .all(protocol) as Summary["rejects"];
      return { protocol, readings, rejected, series, examples, rejects };
    });
  } finally {
    db.close();
  }
}

function printSummary(summaries: Summary[], out: (line: string) => void): void {
  out("");
  out("Summary");
  out(
    `  ${"connector".padEnd(10)}${"stored".padStart(9)}${"rejected".padStart(10)}${"series".padStart(8)}`,
  );
  for (const summary of summaries) {
    out(
      `  ${summary.protocol.padEnd(10)}${String(summary.readings).padStart(9)}${String(summary.rejected).padStart(10)}${String(summary.series).padStart(8)}`,
    );
  }
  for (const summary of summaries) {
    if (summary.examples.length === 0) continue;
    out("");
    out(`  ${summary.protocol} examples:`);
    for (const example of summary.examples) {
      const value =
        example.value_type === "boolean"
          ? String(example.value === 1)
          : String(example.value);
      out(
        `    ${example.timestamp}  ${example.asset_id}  ${example.metric} = ${value} ${example.unit}`.trimEnd(),
      );
    }
    for (const reject of summary.rejects) {
      out(`    rejected: ${reject.reason} [${reject.code}]`);
    }
  }
}
