import { spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/cli.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-csv-import-"));
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const child of children)
    if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const runnerDir = join(dirname(fileURLToPath(import.meta.url)), "..");

async function run(
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => {
    out += chunk;
  });
  stderr.on("data", (chunk) => {
    err += chunk;
  });
  const code = await main(argv, {
    stdout,
    stderr,
    env: { ...process.env, QUBIT_LOG_LEVEL: "silent" },
  });
  return { code, stdout: out, stderr: err };
}

function rows(from: number, to: number): string {
  const lines = ["DateTime,InverterID,Generation_kWh"];
  for (let index = from; index < to; index += 1) {
    const time = new Date(Date.UTC(2024, 0, 1) + index * 60_000)
      .toISOString()
      .replace("T", " ")
      .slice(0, 19);
    lines.push(`${time},INV-${index % 4},${(index / 1000).toFixed(3)}`);
  }
  return `${lines.join("\n")}\n`;
}

function count(dataDir: string, sql: string): number {
  const db = new Database(join(dataDir, "qubit.db"), { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const config = join(dir, "import.json");
writeFileSync(
  config,
  JSON.stringify({
    mapping: {
      timestamp: "DateTime",
      asset_id: "InverterID",
      value: "Generation_kWh",
      unit: "kWh",
    },
    timestamp_format: "%Y-%m-%d %H:%M:%S",
    timezone: "UTC",
    checkpoint_interval_ms: 100,
  }),
);

describe("qubit import csv", () => {
  const exports = join(dir, "exports");
  mkdirSync(join(exports, "2024"), { recursive: true });
  writeFileSync(join(exports, "a.csv"), rows(0, 1000));
  writeFileSync(join(exports, "2024", "b.csv.gz"), gzipSync(rows(1000, 1500)));
  writeFileSync(join(exports, "notes.md"), "not data");
  const data = join(dir, "store");

  it("imports a folder into the store and sums up", async () => {
    const result = await run([
      "import",
      "csv",
      exports,
      "--config",
      config,
      "--data-dir",
      data,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/a\.csv\s+completed\s+1000\s+1000\s+0/);
    expect(result.stdout).toMatch(/b\.csv\.gz\s+completed\s+500\s+500\s+0/);
    expect(result.stdout).toContain("2 files, 1500 rows");
    expect(count(data, "SELECT COUNT(*) AS n FROM readings")).toBe(1500);
    expect(
      count(
        data,
        "SELECT value AS n FROM readings WHERE asset_id = 'INV-1' AND timestamp = '2024-01-01T00:01:00.000Z'",
      ),
    ).toBe(1);
  });

  it("writes nothing new when a file is imported again", async () => {
    const skipped = await run([
      "import",
      "csv",
      join(exports, "*.csv"),
      "--config",
      config,
      "--data-dir",
      data,
    ]);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/a\.csv\s+skipped/);
    const again = await run([
      "import",
      "csv",
      join(exports, "a.csv"),
      "--no-resume",
      "--config",
      config,
      "--data-dir",
      data,
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/a\.csv\s+completed\s+1000/);
    expect(count(data, "SELECT COUNT(*) AS n FROM readings")).toBe(1500);
  });

  it("reports bad rows, writes them to the reject file and exits 1", async () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(
      bad,
      "DateTime,InverterID,Generation_kWh\n2024-02-01 00:00:00,INV-1,1\n2024-02-01 00:01:00,INV-1,oops\n",
    );
    const rejects = join(dir, "rejects.csv");
    const result = await run([
      "import",
      "csv",
      bad,
      "--config",
      config,
      "--data-dir",
      join(dir, "bad-store"),
      "--reject-file",
      rejects,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/bad\.csv\s+completed\s+2\s+1\s+1/);
    expect(result.stdout).toContain(`bad rows written to ${rejects}`);
    expect(readFileSync(rejects, "utf8")).toBe(
      "DateTime,InverterID,Generation_kWh\n2024-02-01 00:01:00,INV-1,oops\n",
    );
    expect(
      count(join(dir, "bad-store"), "SELECT COUNT(*) AS n FROM dead_letters"),
    ).toBe(1);
  });

  it("fails empty files by name and imports the others", async () => {
    const folder = join(dir, "mixed");
    mkdirSync(folder);
    const header = "DateTime,InverterID,Generation_kWh";
    writeFileSync(join(folder, "empty.csv"), "");
    writeFileSync(join(folder, "header.csv"), `${header}\n`);
    writeFileSync(
      join(folder, "repeats.csv"),
      [
        header,
        "2024-03-01 00:00:00,INV-1,1.5",
        "2024-03-01 00:00:00,INV-1,1.5", // a duplicate
        "2024-03-01 00:00:00,INV-1,2.5", // a conflict
        "2024-03-01 00:01:00,INV-1,3.5",
        "",
      ].join("\n"),
    );
    const store = join(dir, "mixed-store");

    const result = await run([
      "import",
      "csv",
      folder,
      "--config",
      config,
      "--data-dir",
      store,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/empty\.csv\s+failed\s+0\s+0\s+0/);
    expect(result.stdout).toContain(
      `error: File ${join(folder, "empty.csv")} is empty (0 bytes): it has no header and no data rows`,
    );
    expect(result.stdout).toMatch(/header\.csv\s+failed\s+0\s+0\s+0/);
    expect(result.stdout).toContain(
      `error: File ${join(folder, "header.csv")} has no data rows: nothing follows its header`,
    );
    expect(result.stdout).not.toContain("is not in the header");

    expect(result.stdout).toMatch(
      /repeats\.csv\s+completed\s+4\s+2\s+1\s+1\s+1/,
    );
    expect(result.stdout).toContain(
      "1 duplicates dropped, 1 conflicting values rejected",
    );
    expect(count(store, "SELECT COUNT(*) AS n FROM readings")).toBe(2);
    expect(
      count(
        store,
        "SELECT COUNT(*) AS n FROM dead_letters WHERE code = 'QUBIT_CSV_VALUE_CONFLICT'",
      ),
    ).toBe(1);
  });

  it("exits 2 for missing inputs and options", async () => {
    expect((await run(["import", "csv", "--config", config])).code).toBe(2);
    expect(
      (
        await run([
          "import",
          "csv",
          join(dir, "none", "*.csv"),
          "--config",
          config,
        ])
      ).code,
    ).toBe(2);
    expect((await run(["import", "csv", join(exports, "a.csv")])).code).toBe(2);
  });

  it("names a runner config without csv section", async () => {
    const mqttOnly = join(dir, "mqtt-only.json");
    writeFileSync(
      mqttOnly,
      JSON.stringify({
        mqtt: { broker: "mqtt://127.0.0.1:1883", topics: ["a/+"] },
        outputs: [{ type: "sqlite" }],
      }),
    );
    const file = join(exports, "a.csv");
    for (const command of ["import", "convert"]) {
      const result = await run([command, "csv", file, "--config", mqttOnly]);
      expect(result.code, command).toBe(2);
      expect(result.stderr).toContain(
        `error: ${mqttOnly} has no csv section; add one (it contains the runner keys mqtt, outputs)`,
      );
      expect(result.stderr).toContain('"csv": {');
      expect(result.stderr).not.toContain("is not a known option");
    }
    // A file that is only a csv section still works for both commands.
    const converted = await run(["convert", "csv", file, "--config", config]);
    expect(converted.code, converted.stderr).toBe(0);
    const imported = await run([
      "import",
      "csv",
      file,
      "--config",
      config,
      "--data-dir",
      join(dir, "section-only"),
    ]);
    expect(imported.code, imported.stderr).toBe(0);
  });

  it("resumes an import killed with SIGKILL, without duplicates", async () => {
    const total = 200_000;
    const big = join(dir, "big.csv");
    writeFileSync(big, rows(0, total));
    const store = join(dir, "killed");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@qubit/source",
        "src/cli.ts",
        "import",
        "csv",
        big,
        "--config",
        config,
        "--data-dir",
        store,
      ],
      {
        cwd: runnerDir,
        stdio: "ignore",
        env: { ...process.env, QUBIT_LOG_LEVEL: "silent" },
      },
    );
    children.push(child);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    // Wait for a checkpoint with accepted rows, then kill the process.
    const deadline = Date.now() + 60_000;
    let saved = 0;
    while (saved === 0) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error("no checkpoint before the import ended");
      await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        saved = count(
          store,
          "SELECT COALESCE(MAX(json_extract(value, '$.rows')), 0) AS n FROM state WHERE namespace = 'csv.import'",
        );
      } catch {
        saved = 0;
      }
    }
    child.kill("SIGKILL");
    await exited;
    const before = count(store, "SELECT COUNT(*) AS n FROM readings");
    expect(before).toBeLessThan(total);

    const resumed = await run([
      "import",
      "csv",
      big,
      "--config",
      config,
      "--data-dir",
      store,
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const line = Number(/resumed after line (\d+)/.exec(resumed.stdout)?.[1]);
    expect(line).toBeGreaterThan(1);
    expect(count(store, "SELECT COUNT(*) AS n FROM readings")).toBe(total);
    expect(
      count(
        store,
        "SELECT COUNT(DISTINCT asset_id || timestamp) AS n FROM readings",
      ),
    ).toBe(total);
  });
  it("stops on the first SIGINT and resumes", async () => {
    const total = 200_000;
    const big = join(dir, "interrupted.csv");
    writeFileSync(big, rows(0, total));
    const store = join(dir, "interrupted");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@qubit/source",
        "src/cli.ts",
        "import",
        "csv",
        big,
        "--config",
        config,
        "--data-dir",
        store,
      ],
      {
        cwd: runnerDir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, QUBIT_LOG_LEVEL: "silent" },
      },
    );
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr!.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => resolve(code)),
    );
    const deadline = Date.now() + 60_000;
    let saved = 0;
    while (saved === 0) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error("no checkpoint before the import ended");
      await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        saved = count(
          store,
          "SELECT COALESCE(MAX(json_extract(value, '$.rows')), 0) AS n FROM state WHERE namespace = 'csv.import'",
        );
      } catch {
        saved = 0;
      }
    }

    const signalled = Date.now();
    child.kill("SIGINT");
    const timeout = new Promise<"timed out">((resolve) =>
      setTimeout(() => resolve("timed out"), 10_000),
    );
    const code = await Promise.race([exited, timeout]);
    const seconds = (Date.now() - signalled) / 1000;
    expect(code, stderr).toBe(130);
    expect(seconds).toBeLessThan(10);
    expect(stderr).toContain("SIGINT received: stopping the import");
    expect(stdout).toMatch(/interrupted\.csv\s+stopped/);
    expect(stdout).toContain("Interrupted:");
    expect(stdout).toContain("Run the same command again to resume");
    const before = count(store, "SELECT COUNT(*) AS n FROM readings");
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(total);

    const resumed = await run([
      "import",
      "csv",
      big,
      "--config",
      config,
      "--data-dir",
      store,
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resumed after line \d+/);
    expect(count(store, "SELECT COUNT(*) AS n FROM readings")).toBe(total);
  });
});
