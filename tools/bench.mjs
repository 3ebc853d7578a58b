#!/usr/bin/env node
// `pnpm bench [name ...]`: runs the benchmarks in bench/<name>/index.mjs
// (all of them when no name is given). Each prints its results and the
// machine it ran on; docs/benchmarks.md records them.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = join(root, "bench");
const available = existsSync(benchDir)
  ? readdirSync(benchDir).filter((name) =>
      existsSync(join(benchDir, name, "index.mjs")),
    )
  : [];
const [first, ...rest] = process.argv.slice(2);
const names = first && !first.startsWith("-") ? [first] : available;
const extra = first && !first.startsWith("-") ? rest : process.argv.slice(2);
let status = 0;
for (const name of names) {
  if (!available.includes(name)) {
    process.stderr.write(
      `unknown benchmark "${name}"; available: ${available.join(", ") || "none"}\n`,
    );
    process.exit(2);
  }
  const result = spawnSync(
    process.execPath,
    ["--expose-gc", join(benchDir, name, "index.mjs"), ...extra],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
