import { basename } from "node:path";
import { MetricsRegistry, Pipeline, type StateStore } from "@qubit/core";
import {
  CsvConnector,
  formatProgressLine,
  type ImportProgress,
  type ImportSummary,
  renderProgressBar,
} from "@qubit/csv";
import { timeWindowOf } from "../../config/load.js";
import { UsageError } from "../../errors.js";
import {
  createDeadLetterOutputs,
  createOutputs,
  storePath,
} from "../../outputs/create.js";
import { SqliteStateStore } from "../../outputs/sqlite.js";
import type { CommandArgs, CommandContext, ExtraCommand } from "../types.js";
import { loadCsvCommandConfig } from "./config.js";
import { expandInputs } from "./inputs.js";
import { allPluginsLazy } from "./plugins.js";

const USAGE = `Usage: qubit import csv INPUT... --config FILE [options]

Imports files into the configured outputs (default the embedded SQLite
store in data_dir) with the csv section of FILE as the template of each
file's import. INPUT is a file, a folder (its .csv, .tsv, .txt, .json,
.ndjson and .xml files, also gzipped) or a quoted glob such as
'exports/**/*.csv'. An interrupted import resumes from its checkpoint; a
file imported unchanged is skipped. Shows a progress bar on a terminal
and a progress line every 5 s otherwise. Exits 0 when every row was
imported, 1 when rows were rejected or a file failed, 130 on SIGINT.

Options:
  -c, --config FILE       config file: a runner config with a csv section,
                          or the csv section alone
  -j, --concurrency N     files imported at the same time; default 2
  --no-resume             import from the start, ignoring checkpoints
  --reject-file FILE      append the raw bad rows to FILE
  --data-dir DIR          folder of the store and the checkpoints`;

interface FileRun {
  file: string;
  connector?: CsvConnector;
  summary?: ImportSummary;
  error?: string;
}

/**
 * Dead-letter code of the pipeline's de-duplication for a reading whose
 * id it took before with another value: a conflict between files, or
 * with a row further back than the connector's own check reaches.
 */
const PIPELINE_CONFLICT = "QUBIT_CORE_READING_CONFLICT";

/** `qubit import csv`. */
export const importCsvCommand: ExtraCommand = {
  path: ["import", "csv"],
  summary: "import CSV, JSON and Green Button files with a progress bar",
  usage: USAGE,
  options: {
    config: { type: "string", short: "c" },
    concurrency: { type: "string", short: "j" },
    "no-resume": { type: "boolean" },
    "reject-file": { type: "string" },
    "data-dir": { type: "string" },
  },
  allowPositionals: true,
  run: runImport,
};

async function runImport(
  args: CommandArgs,
  context: CommandContext,
): Promise<number> {
  const configPath = args.values.config;
  if (typeof configPath !== "string")
    throw new UsageError("--config is required", `usage:\n${USAGE}`);
  if (args.positionals.length === 0)
    throw new UsageError(
      "Give at least one input file, folder or glob",
      `usage:\n${USAGE}`,
    );
  const concurrency =
    args.values.concurrency === undefined ? 2 : Number(args.values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(
      `Invalid --concurrency ${JSON.stringify(args.values.concurrency)}`,
      "give a whole number of files, such as 2",
    );
  }
  const files = await expandInputs(args.positionals);
  const loaded = loadCsvCommandConfig(
    configPath,
    allPluginsLazy(),
    context.env,
    files[0],
  );
  const runner = loaded.runner;
  if (typeof args.values["data-dir"] === "string")
    runner.data_dir = args.values["data-dir"];
  const template = { ...loaded.csv };
  if (args.values["no-resume"]) template.resume = false;
  if (typeof args.values["reject-file"] === "string")
    template.reject_file = args.values["reject-file"];

  const registry = new MetricsRegistry();
  const state: StateStore = new SqliteStateStore(storePath(runner));
  const pipeline = new Pipeline({
    name: "import",
    outputs: createOutputs(runner),
    deadLetters: createDeadLetterOutputs(runner),
    batchSize: runner.pipeline.batch_size,
    batchIntervalMs: runner.pipeline.batch_interval_ms,
    maxPendingReadings: runner.pipeline.max_pending_readings,
    unitMode: runner.pipeline.unit_mode,
    dedupWindow: runner.pipeline.dedup_window,
    timeWindow: timeWindowOf(runner),
    logger: context.logger,
    registry,
  });
  await pipeline.open();
  const pipelineConflicts = new Map<string, number>();
  pipeline.on("dead-letter", (letter) => {
    if (letter.code !== PIPELINE_CONFLICT) return;
    const file = String(letter.location.address ?? "");
    pipelineConflicts.set(file, (pipelineConflicts.get(file) ?? 0) + 1);
  });

  const display = new ProgressDisplay(context.stderr, files.length);
  const runs: FileRun[] = files.map((file) => ({ file }));
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) return;
    display.stop();
    context.stderr.write(
      `${signal} received: stopping the import, writing the accepted readings and saving checkpoints. A second Ctrl-C exits at once.\n`,
    );
    interrupt.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const started = Date.now();
  try {
    let next = 0;
    const worker = async () => {
      while (next < runs.length && !interrupt.signal.aborted) {
        const run = runs[next]!;
        next += 1;
        await importOne(run, template, {
          context,
          pipeline,
          state,
          registry,
          display,
          signal: interrupt.signal,
        });
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, runs.length) }, worker),
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    display.stop();
    await pipeline.close();
    state.close();
  }
  printSummary(
    runs,
    pipeline,
    pipelineConflicts,
    runner.outputs.some((output) => output.type === "sqlite")
      ? storePath(runner)
      : undefined,
    Date.now() - started,
    interrupt.signal.aborted,
    context,
  );
  if (interrupt.signal.aborted) return 130;
  const failed = runs.some(
    (run) =>
      run.error !== undefined ||
      run.summary?.status === "failed" ||
      (run.summary?.bad_rows ?? 0) > 0,
  );
  return failed || pipeline.stats().dead_letters > 0 ? 1 : 0;
}

async function importOne(
  run: FileRun,
  template: ReturnType<typeof loadCsvCommandConfig>["csv"],
  env: {
    context: CommandContext;
    pipeline: Pipeline;
    state: StateStore;
    registry: MetricsRegistry;
    display: ProgressDisplay;
    signal: AbortSignal;
  },
): Promise<void> {
  const connector = new CsvConnector(
    { ...template, file_path: run.file },
    {
      name: template.name ?? "csv",
      logger: env.context.logger,
      registry: env.registry,
      state: env.state,
    },
    { onProgress: (progress) => env.display.update(progress) },
  );
  run.connector = connector;
  connector.attach(env.pipeline);
  // `finished` resolves only when every row is read, so a stopped import
  // ends when its disconnect has saved the checkpoint.
  let stop = (): void => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = () => {
      connector.disconnect().then(resolve, resolve);
    };
  });
  env.signal.addEventListener("abort", stop, { once: true });
  try {
    await connector.connect();
    await Promise.race([connector.finished, stopped]);
  } catch (error) {
    run.error = (error as Error).message;
  } finally {
    env.signal.removeEventListener("abort", stop);
    if (env.signal.aborted) await connector.disconnect();
    env.display.finish(run.file);
  }
  run.summary = connector.summary;
  if (connector.summary?.error) run.error = connector.summary.error.message;
}

/** Renders progress: a redrawn bar on a terminal, a line every 5 s otherwise. */
class ProgressDisplay {
  private readonly interactive: boolean;
  private readonly active = new Map<string, ImportProgress>();
  private lastDraw = 0;
  private done = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly total: number,
  ) {
    this.interactive = (stream as NodeJS.WriteStream).isTTY === true;
  }

  update(progress: ImportProgress): void {
    this.active.set(progress.file, progress);
    const now = Date.now();
    if (now - this.lastDraw < (this.interactive ? 200 : 5000)) return;
    this.lastDraw = now;
    this.draw(progress);
  }

  finish(file: string): void {
    this.done += 1;
    this.active.delete(file);
  }

  stop(): void {
    if (this.interactive) this.stream.write("\r\u001b[K");
  }

  private draw(progress: ImportProgress): void {
    const prefix = `[${Math.min(this.done + 1, this.total)}/${this.total}] ${basename(progress.file)} `;
    if (this.interactive) {
      const width = (this.stream as NodeJS.WriteStream).columns ?? 100;
      this.stream.write(
        `\r${`${prefix}${renderProgressBar(progress, 20)}`.slice(0, width - 1)}\u001b[K`,
      );
    } else {
      this.stream.write(`${prefix}${formatProgressLine(progress)}\n`);
    }
  }
}

function printSummary(
  runs: FileRun[],
  pipeline: Pipeline,
  pipelineConflicts: ReadonlyMap<string, number>,
  store: string | undefined,
  durationMs: number,
  interrupted: boolean,
  context: CommandContext,
): void {
  const out = (line: string) => context.stdout.write(`${line}\n`);
  out("");
  out(
    `${"file".padEnd(40)} ${"status".padEnd(10)}${"rows".padStart(10)}${"readings".padStart(11)}${"bad".padStart(7)}${"duplicates".padStart(12)}${"conflicts".padStart(11)}`,
  );
  let rows = 0;
  let readings = 0;
  let bad = 0;
  let duplicates = 0;
  let conflicts = 0;

  for (const run of runs) {
    const summary = run.summary;
    const status =
      run.error !== undefined && summary?.status !== "failed"
        ? "failed"
        : (summary?.status ?? "not run");
    const fileConflicts =
      (summary?.conflicts ?? 0) + (pipelineConflicts.get(run.file) ?? 0);
    rows += summary?.rows ?? 0;
    readings += summary?.readings ?? 0;
    bad += summary?.bad_rows ?? 0;
    duplicates += summary?.duplicates ?? 0;
    conflicts += fileConflicts;
    out(
      `${basename(run.file).slice(0, 40).padEnd(40)} ${status.padEnd(10)}${String(summary?.rows ?? 0).padStart(10)}${String(summary?.readings ?? 0).padStart(11)}${String(summary?.bad_rows ?? 0).padStart(7)}${String(summary?.duplicates ?? 0).padStart(12)}${String(fileConflicts).padStart(11)}`,
    );
    if (summary?.resumed_after_line !== undefined)
      out(`  resumed after line ${summary.resumed_after_line}`);
    if (run.error !== undefined) out(`  error: ${run.error}`);
    if (summary?.reject_file)
      out(`  bad rows written to ${summary.reject_file}`);
  }

  const stats = pipeline.stats();
  out(
    `${runs.length} files, ${rows} rows, ${readings} readings converted, ${stats.readings_written} written, ${duplicates + stats.readings_duplicate} duplicates dropped, ${conflicts} conflicting values rejected, ${bad} bad rows, ${stats.dead_letters} dead letters in ${(durationMs / 1000).toFixed(1)} s`,
  );
  if (conflicts > 0) {
    out(
      "  a conflicting value gives the series and timestamp of an earlier reading another value; each one is a dead letter with its file and line",
    );
  }
  if (store) out(`Store: sqlite3 ${store} "SELECT * FROM readings LIMIT 10"`);
  if (interrupted) {
    out(
      "Interrupted: the readings accepted so far are stored and each stopped file has a checkpoint. Run the same command again to resume after the last accepted row.",
    );
  }
}
