import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import {
  type MosquittoInstance,
  startMosquitto,
  waitFor,
} from "../../../packages/mqtt/test/helpers/brokers.js";

const here = dirname(fileURLToPath(import.meta.url));
const runnerDir = resolve(here, "..");
const dir = mkdtempSync(join(tmpdir(), "qubit-mqtt-sigkill-"));
const BASE_TS = Date.parse("2025-01-15T00:00:00.000Z");
let broker: MosquittoInstance | undefined;
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null) child.kill("SIGKILL");
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `qubit run` from the TypeScript sources in a child process. */
function startRunner(configPath: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=@qubit/source",
      join(runnerDir, "src/cli.ts"),
      "run",
      "--config",
      configPath,
    ],
    {
      cwd: runnerDir,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, QUBIT_LOG_LEVEL: "error" },
    },
  );
  children.push(child);
  return child;
}

/** Counts stored readings of the test stream (the probe asset excluded). */
function count(path: string): { rows: number; distinct: number } {
  if (!existsSync(path)) return { rows: 0, distinct: 0 };
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const row = db
      .prepare(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT value) AS d FROM readings WHERE asset_id != 'probe'",
      )
      .get() as { n: number; d: number };
    return { rows: row.n, distinct: row.d };
  } catch {
    return { rows: 0, distinct: 0 };
  } finally {
    db?.close();
  }
}

describe("connector killed with SIGKILL", () => {
  it("stores 20,000 messages exactly once", async () => {
    broker = await startMosquitto({
      dir: join(dir, "broker"),
      global: ["max_queued_messages 0"],
    });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const dbPath = join(dir, "data", "qubit.db");
    const configPath = join(dir, "config.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        data_dir: join(dir, "data"),
        outputs: [{ type: "sqlite" }],
        server: { enabled: false },
        log: { level: "error" },
        mqtt: {
          broker: url,
          topics: ["kill/#"],
          client_id: "sigkill-subscriber",
          clean_session: false,
          qos: 1,
          reconnect_initial_delay_ms: 100,
        },
      }),
    );

    let runner = startRunner(configPath);
    const publisher = await mqtt.connectAsync(url, {
      clientId: "sigkill-publisher",
      clean: false,
    });
    // The persistent session exists once the runner stored a probe reading.
    const probeStored = () => {
      if (!existsSync(dbPath)) return false;
      const db = new Database(dbPath, { readonly: true });
      try {
        return (
          (
            db
              .prepare(
                "SELECT COUNT(*) AS n FROM readings WHERE asset_id = 'probe'",
              )
              .get() as { n: number }
          ).n > 0
        );
      } catch {
        return false;
      } finally {
        db.close();
      }
    };
    let probe = 0;
    await waitFor(
      async () => {
        probe += 1;
        await publisher.publishAsync(
          "kill/s/probe/d/p",
          `{"value":${probe},"ts":${BASE_TS + probe}}`,
          { qos: 1 },
        );
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
        return probeStored();
      },
      60_000,
      "the runner to store a probe reading",
    );

    const total = 20_000;
    let killedAt = -1;
    for (let start = 0; start < total; start += 1_000) {
      const sends: Promise<unknown>[] = [];
      for (let index = start; index < start + 1_000; index += 1)
        sends.push(
          publisher.publishAsync(
            `kill/s/meter${index % 20}/d/p`,
            `{"value":${index},"ts":${BASE_TS + index * 1000}}`,
            { qos: 1 },
          ),
        );
      await Promise.all(sends);
      if (killedAt < 0 && count(dbPath).rows >= 5_000) {
        killedAt = count(dbPath).rows;
        const exited = new Promise((resolveExit) =>
          runner.once("exit", resolveExit),
        );
        runner.kill("SIGKILL");
        await exited;
        runner = startRunner(configPath);
      }
    }
    if (killedAt < 0) {
      await waitFor(
        () => count(dbPath).rows >= 5_000,
        60_000,
        "5,000 stored readings",
      );
      killedAt = count(dbPath).rows;
      const exited = new Promise((resolveExit) =>
        runner.once("exit", resolveExit),
      );
      runner.kill("SIGKILL");
      await exited;
      runner = startRunner(configPath);
    }
    // The kill came in the middle of the stream.
    expect(killedAt).toBeLessThan(total);
    await waitFor(
      () => count(dbPath).distinct >= total,
      120_000,
      "all 20,000 readings",
    );
    await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
    const final = count(dbPath);
    expect(final.distinct).toBe(total);
    expect(final.rows).toBe(total);
    await publisher.endAsync();
    const exited = new Promise((resolveExit) =>
      runner.once("exit", resolveExit),
    );
    runner.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 240_000);
});
