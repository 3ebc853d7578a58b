// `pnpm bench csv [--rows N] [--gb X] [--runs R] [--skip-gb] [--gb-sqlite]`
//
// Compares the CSV import with bare csv-parse on the same files in the
// same run: a file of N rows (default 1,000,000) and a file of X GB
// (default 1). Each variant runs in its own process, so that peak RSS is
// the variant's own. The variants:
// - csv-parse: `columns: true` and no conversion, the yardstick.
// - import-null: CsvConnector with Los Angeles time conversion,
//   validation, unit conversion and de-duplication, into a null output.
// - import-null-nodedup: the same with the pipeline's de-duplication off.
// - import-sqlite: the same into the embedded SQLite store.
// The connector and its dependencies are bundled with esbuild first, so
// no TypeScript loader runs during the measurement.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundle } from "./bundle.mjs";
import { generate } from "./generate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    gb: { type: "string", default: "1" },
    runs: { type: "string", default: "3" },
    "skip-gb": { type: "boolean", default: false },
    "gb-sqlite": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const work = mkdtempSync(join(tmpdir(), "qubit-bench-csv-"));

function runVariant(variant, file, bundlePath) {
  const result = spawnSync(
    process.execPath,
    [
      join(here, "worker.mjs"),
      variant,
      file,
      bundlePath,
      join(root, "packages/csv/package.json"),
    ],
    // A variant that stalls (an output that keeps retrying a failed
    // write) fails the run instead of hanging it.
    { encoding: "utf8", maxBuffer: 1 << 20, timeout: 30 * 60_000 },
  );
  if (result.status !== 0)
    throw new Error(
      `${variant} failed${result.signal ? ` (${result.signal})` : ""}: ${result.stderr}`,
    );
  return JSON.parse(result.stdout.trim().split("\n").pop());
}

function median(numbers) {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(label, file, variants, times) {
  const size = statSync(file).size;
  console.log(
    `\n${label}: ${file} (${(size / 1e6).toFixed(1)} MB), ${times} run(s) per variant`,
  );
  const results = {};

  for (let run = 0; run < times; run += 1) {
    for (const variant of variants) {
      const result = runVariant(variant, file, bundlePath);
      results[variant] = [...(results[variant] ?? []), result];
      console.log(
        `  run ${run + 1} ${variant.padEnd(20)} ${JSON.stringify(result)}`,
      );
    }
  }

  // Rows per CPU second divide out the share of the cores the process got,
  // which varies when other work runs on the machine.
  const perCpu = (result) =>
    Math.round(result.rows_per_second / (result.cpu_percent / 100));
  const base = median(
    results["csv-parse"].map((result) => result.rows_per_second),
  );
  const baseCpu = median(results["csv-parse"].map(perCpu));
  console.log(
    `\n  ${"variant".padEnd(20)} ${"rows/s (median [min-max])".padEnd(30)} ${"ratio".padStart(6)} ${"rows/CPU-s".padStart(11)} ${"ratio".padStart(6)} ${"peak RSS MB".padStart(12)} ${"CPU %".padStart(6)}`,
  );
  for (const variant of variants) {
    const rates = results[variant].map((result) => result.rows_per_second);
    const cpuRate = median(results[variant].map(perCpu));
    const rss = median(results[variant].map((result) => result.peak_rss_mb));
    const cpu = median(results[variant].map((result) => result.cpu_percent));
    const rate = `${median(rates).toLocaleString("en-US")} [${Math.min(...rates).toLocaleString("en-US")}-${Math.max(...rates).toLocaleString("en-US")}]`;
    console.log(
      `  ${variant.padEnd(20)} ${rate.padEnd(30)} ${(median(rates) / base).toFixed(2).padStart(6)} ${cpuRate.toLocaleString("en-US").padStart(11)} ${(cpuRate / baseCpu).toFixed(2).padStart(6)} ${String(rss).padStart(12)} ${String(cpu).padStart(6)}`,
    );
  }
  return results;
}

let bundlePath;
try {
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  let gitRevision = "unknown";
  try {
    gitRevision = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
  } catch {}
  console.log(`revision: ${gitRevision} (plus uncommitted changes, if any)`);
  bundlePath = await bundle(join(work, "bench-bundle.mjs"));
  const rowsFile = join(work, "rows.csv");
  const count = await generate(rowsFile, { rows: Number(values.rows) });
  const variants = [
    "csv-parse",
    "import-null",
    "import-null-nodedup",
    "import-sqlite",
  ];
  const summary = {
    rows: measure(
      `${count.toLocaleString("en-US")} rows`,
      rowsFile,
      variants,
      runs,
    ),
  };
  rmSync(rowsFile, { force: true });
  if (!values["skip-gb"]) {
    const gbFile = join(work, "large.csv");
    const gbRows = await generate(gbFile, { bytes: Number(values.gb) * 1e9 });
    const gbVariants = [
      "csv-parse",
      "import-null",
      "import-null-nodedup",
      ...(values["gb-sqlite"] ? ["import-sqlite"] : []),
    ];
    summary.gb = measure(
      `${values.gb} GB, ${gbRows.toLocaleString("en-US")} rows`,
      gbFile,
      gbVariants,
      1,
    );
    rmSync(gbFile, { force: true });
  }
  writeFileSync(join(work, "results.json"), JSON.stringify(summary, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
