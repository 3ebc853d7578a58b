// Runs one benchmark variant on one file and prints one JSON line:
// rows, seconds, rows per second, peak RSS and CPU share of this process.
import { createReadStream, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [variant, file, bundle, csvPackage] = process.argv.slice(2);
const started = performance.now();
const cpuStart = process.cpuUsage();
let rows = 0;
let extra = {};

if (variant === "csv-parse") {
  const { parse } = createRequire(csvPackage)("csv-parse");
  const parser = parse({ columns: true });
  createReadStream(file).pipe(parser);
  await new Promise((resolve, reject) => {
    parser.on("readable", () => {
      while (parser.read() !== null) rows += 1;
    });
    parser.on("end", resolve);
    parser.on("error", reject);
  });
} else {
  const lib = await import(bundle);
  const database = join(tmpdir(), `qubit-bench-${process.pid}.db`);
  const output =
    variant === "import-sqlite"
      ? new lib.SqliteOutput(database)
      : new lib.NullOutput();
  const pipeline = new lib.Pipeline({
    outputs: [output],
    deadLetters: [new lib.MemoryDeadLetterOutput()],
    ...(variant === "import-null-nodedup" ? { dedupWindow: 0 } : {}),
  });
  const connector = new lib.CsvConnector({
    file_path: file,
    mapping: {
      timestamp: "DateTime",
      asset_id: "InverterID",
      value: "Generation_kWh",
      unit: "kWh",
    },
    timestamp_format: "%Y-%m-%d %H:%M:%S",
    timezone: "America/Los_Angeles",
    nonexistent_time: "shift_forward",
  });
  connector.attach(pipeline);
  await pipeline.open();
  await connector.connect();
  await connector.finished;
  await pipeline.close();
  rows = connector.summary.rows;
  const stats = pipeline.stats();
  extra = {
    readings_written: stats.readings_written,
    duplicates: stats.readings_duplicate,
    dead_letters: stats.dead_letters,
  };
  rmSync(database, { force: true });
  rmSync(`${database}-wal`, { force: true });
  rmSync(`${database}-shm`, { force: true });
}

const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
process.stdout.write(
  `${JSON.stringify({
    variant,
    rows,
    seconds: Number(seconds.toFixed(2)),
    rows_per_second: Math.round(rows / seconds),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    cpu_percent: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
    ...extra,
  })}\n`,
);
