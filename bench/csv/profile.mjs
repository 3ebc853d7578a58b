// `node bench/csv/profile.mjs [--rows N] [--variant import-null] [--top K]`
//
// CPU profile of one benchmark variant: runs bench/csv/worker.mjs under
// `node --cpu-prof` and prints its self time grouped by source file of
// the bundle (esbuild marks each module with a `// path` comment) and the
// functions with the most self time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundle } from "./bundle.mjs";
import { generate } from "./generate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "400000" },
    variant: { type: "string", default: "import-null" },
    top: { type: "string", default: "25" },
  },
});
const work = mkdtempSync(join(tmpdir(), "qubit-profile-csv-"));

/** Start lines of the bundle's modules, from esbuild's `// path` comments. */
function moduleStarts(bundlePath) {
  const starts = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((line, index) => {
      const match = /^\/\/ ((?:packages|apps|node_modules)\/\S+)$/.exec(line);
      if (match) starts.push({ line: index, module: match[1] });
    });
  return starts;
}

function moduleOf(starts, line) {
  let found = "(bundle prelude)";
  for (const start of starts) {
    if (start.line > line) break;
    found = start.module;
  }
  return found
    .replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
    .replace(/^(csv-parse)\/.*/, "$1");
}

try {
  const bundlePath = await bundle(join(work, "bench-bundle.mjs"));
  const file = join(work, "rows.csv");
  const rows = await generate(file, { rows: Number(values.rows) });
  const result = spawnSync(
    process.execPath,
    [
      "--cpu-prof",
      `--cpu-prof-dir=${work}`,
      "--cpu-prof-interval=200",
      join(here, "worker.mjs"),
      values.variant,
      file,
      bundlePath,
      join(root, "packages/csv/package.json"),
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  console.log(result.stdout.trim());
  const profileFile = readdirSync(work).find((name) =>
    name.endsWith(".cpuprofile"),
  );
  const profile = JSON.parse(readFileSync(join(work, profileFile), "utf8"));
  const starts = moduleStarts(bundlePath);
  const selfTime = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, index) => {
    selfTime.set(id, (selfTime.get(id) ?? 0) + (deltas[index] ?? 0));
  });
  const byModule = new Map();
  const byFunction = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const time = selfTime.get(node.id) ?? 0;
    if (time === 0) continue;
    total += time;
    const frame = node.callFrame;
    let module;
    if (frame.url.endsWith("bench-bundle.mjs")) {
      module = moduleOf(starts, frame.lineNumber);
    } else if (frame.url === "") {
      module = `(${frame.functionName || "native"})`;
    } else if (frame.url.startsWith("node:")) {
      module = "(node internals)";
    } else {
      module = frame.url.replace(/^file:\/\/.*node_modules\//, "");
    }
    byModule.set(module, (byModule.get(module) ?? 0) + time);
    const name = `${frame.functionName || "(anonymous)"}  ${module}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
  }
  const print = (title, map, limit) => {
    console.log(`\n${title}`);
    for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      console.log(
        `  ${((time / total) * 100).toFixed(1).padStart(5)} %  ${(time / 1000).toFixed(0).padStart(6)} ms  ${name}`,
      );
    }
  };
  console.log(`\nself time ${(total / 1e6).toFixed(2)} s`);
  print("by source file", byModule, 40);
  print("by function", byFunction, Number(values.top));
} finally {
  rmSync(work, { recursive: true, force: true });
}
