import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { MqttConnector } from "../src/index.js";
import {
  type MosquittoInstance,
  startMosquitto,
  temporaryDir,
  waitFor,
} from "./helpers/brokers.js";
import { attachPipeline } from "./helpers/pipeline.js";

const here = dirname(fileURLToPath(import.meta.url));
const BASE_TS = Date.parse("2025-01-15T00:00:00.000Z");
const work = temporaryDir("qubit-mqtt-reliability-");
const brokers: MosquittoInstance[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null) child.kill("SIGKILL");
  for (const broker of brokers) await broker.dispose();
  work.remove();
});

function payload(index: number): string {
  return `{"value":${index},"ts":${BASE_TS + index * 1000}}`;
}

describe("broker restart", () => {
  it("survives a broker restart exactly", async () => {
    const broker = await startMosquitto({
      dir: join(work.dir, "restart"),
      global: [
        "persistence true",
        "max_queued_messages 0",
        "autosave_interval 1",
      ],
    });
    brokers.push(broker);
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const connector = new MqttConnector({
      broker: url,
      topics: ["restart/#"],
      client_id: "restart-subscriber",
      clean_session: false,
      qos: 1,
      reconnect_initial_delay_ms: 100,
      reconnect_max_delay_ms: 1_000,
    });
    const { output, pipeline } = attachPipeline(connector);
    await connector.connect();

    const publisher = await mqtt.connectAsync(url, {
      clientId: "restart-publisher",
      clean: false,
      reconnectPeriod: 200,
    });
    const total = 20_000;
    const sent: Promise<unknown>[] = [];
    let restarted = false;
    let readingsAtRestart = 0;
    for (let index = 0; index < total; index += 1) {
      sent.push(
        publisher.publishAsync(
          `restart/s/meter${index % 10}/d/p`,
          payload(index),
          { qos: 1 },
        ),
      );
      if (index % 500 === 499)
        await new Promise((resolve) => setImmediate(resolve));
      if (!restarted && output.readings.length >= 5_000) {
        restarted = true;
        readingsAtRestart = output.readings.length;
        await broker.stop();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await broker.start();
      }
    }
    if (!restarted) {
      await waitFor(
        () => output.readings.length >= 5_000,
        60_000,
        "5,000 readings",
      );
      readingsAtRestart = output.readings.length;
      await broker.stop();
      await broker.start();
    }
    // The restart happened in the middle of the stream.
    expect(readingsAtRestart).toBeLessThan(total);
    await Promise.all(sent);
    await waitFor(
      () => output.readings.length >= total,
      120_000,
      "20,000 readings",
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const values = output.readings.map((reading) => reading.value as number);
    expect(values).toHaveLength(total);
    expect(new Set(values).size).toBe(total);
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(total - 1);
    expect(connector.health().details).toMatchObject({ connected: true });
    expect(
      (connector.health().details as { reconnects: number }).reconnects,
    ).toBeGreaterThan(0);
    // Redelivered copies were dropped by id, not written twice.
    expect(pipeline.stats().readings_written).toBe(total);
    await publisher.endAsync();
    await connector.disconnect();
  }, 180_000);
});

describe("shared subscriptions", () => {
  it("splits one stream over three processes, each message once", async () => {
    const broker = await startMosquitto({
      dir: join(work.dir, "share"),
      global: ["max_queued_messages 0"],
    });
    brokers.push(broker);
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const files = [0, 1, 2].map((index) =>
      join(work.dir, `share-${index}.txt`),
    );
    const ready = files.map((file) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--conditions=@qubit/source",
          join(here, "workers/share-worker.ts"),
          file,
          url,
          "ingest",
        ],
        { cwd: resolve(here, ".."), stdio: ["ignore", "pipe", "inherit"] },
      );
      children.push(child);
      return new Promise<void>((resolveReady, reject) => {
        child.stdout!.on("data", (chunk) => {
          if (String(chunk).includes("ready")) resolveReady();
        });
        child.once("exit", (code) =>
          reject(new Error(`worker exited with ${code}`)),
        );
      });
    });
    await Promise.all(ready);

    const publisher = await mqtt.connectAsync(url);
    const total = 3_000;
    const sends: Promise<unknown>[] = [];
    for (let index = 0; index < total; index += 1)
      sends.push(
        publisher.publishAsync(`share/s/m${index % 30}/d/p`, payload(index), {
          qos: 1,
        }),
      );
    await Promise.all(sends);
    await publisher.endAsync();

    const lines = () =>
      files.map((file) =>
        existsSync(file)
          ? readFileSync(file, "utf8").split("\n").filter(Boolean)
          : [],
      );
    await waitFor(
      () => lines().reduce((sum, list) => sum + list.length, 0) >= total,
      60_000,
      "all shared messages",
    );
    await new Promise((resolveWait) => setTimeout(resolveWait, 300));
    const perProcess = lines();
    const all = perProcess.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    for (const list of perProcess) expect(list.length).toBeGreaterThan(0);

    for (const child of children.splice(0)) {
      const exited = new Promise((resolveExit) =>
        child.once("exit", resolveExit),
      );
      child.kill("SIGTERM");
      await exited;
    }
  }, 120_000);
});
