// Tests of the disk buffer around real outputs whose server is down: a
// webhook whose HTTP server is not listening yet, and a private NATS
// server that the test stops. The restart case kills a child process
// (output-buffer-child.ts) and replays its buffer in a new instance.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MetricsRegistry, Pipeline, type TimeSeries } from "@qubit/core";
import { connect } from "nats";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BufferedOutput } from "../src/outputs/buffered-output.js";
import {
  type NatsOutputConfig,
  NatsOutputConfigSchema,
  type WebhookOutputConfig,
  WebhookOutputConfigSchema,
} from "../src/outputs/config.js";
import { NatsOutput } from "../src/outputs/nats.js";
import { WebhookOutput } from "../src/outputs/webhook.js";
import {
  configOf,
  freePort,
  makeReadings,
  PrivateNats,
  tempDir,
  waitFor,
} from "./output-helpers.js";

/** An HTTP server that stores the JSON batches it receives. */
class Receiver {
  readonly batches: TimeSeries[][] = [];
  /** Requests that get 503 and Retry-After: 60 before batches are accepted. */
  unavailable = 0;
  private server: Server | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/ingest`;
  }

  get readings(): TimeSeries[] {
    return this.batches.flat();
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      let text = "";
      request.setEncoding("utf8");
      request.on("data", (chunk) => {
        text += chunk;
      });
      request.on("end", () => {
        if (this.unavailable > 0) {
          this.unavailable -= 1;
          response.writeHead(503, { "retry-after": "60" }).end();
          return;
        }
        this.batches.push(JSON.parse(text) as TimeSeries[]);
        response.writeHead(204).end();
      });
    });
    server.listen(this.port, "127.0.0.1");
    await once(server, "listening");
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  }
}

const folders: string[] = [];
const receivers: Receiver[] = [];
const children: ChildProcess[] = [];

function bufferFolder(): string {
  const folder = tempDir("buffer");
  folders.push(folder);
  return folder;
}

async function receiver(): Promise<Receiver> {
  const created = new Receiver(await freePort());
  receivers.push(created);
  return created;
}

function webhook(url: string, maxAttempts = 1): WebhookOutput {
  return new WebhookOutput(
    configOf<WebhookOutputConfig>(WebhookOutputConfigSchema, {
      type: "webhook",
      url,
      max_attempts: maxAttempts,
      timeout_ms: 1_000,
    }),
  );
}

function buffered(
  inner: WebhookOutput | NatsOutput,
  directory: string,
  overrides: Partial<ConstructorParameters<typeof BufferedOutput>[1]> = {},
): BufferedOutput {
  return new BufferedOutput(inner, {
    directory,
    maxBytes: 10_000_000,
    fsync: true,
    retryInitialDelayMs: 50,
    retryMaxDelayMs: 200,
    ...overrides,
  });
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }
  }
  for (const created of receivers.splice(0)) await created.stop();
  for (const folder of folders.splice(0))
    rmSync(folder, { recursive: true, force: true });
});

describe("disk buffer", () => {
  it("accepts batches while the output is down", async () => {
    const server = await receiver();
    const registry = new MetricsRegistry();
    const output = buffered(webhook(server.url), bufferFolder(), {
      registry,
    });
    await output.open();
    const readings = makeReadings(100);
    for (let index = 0; index < 100; index += 10)
      await output.write(readings.slice(index, index + 10));
    expect(output.isBuffering).toBe(true);
    expect(output.bufferedBatches).toBe(10);
    expect(registry.total("qubit_output_buffered_readings_total")).toBe(100);
    expect(registry.total("qubit_output_buffer_batches")).toBe(10);

    await server.start();
    expect(await output.whenDrained(20_000)).toBe(true);
    expect(server.readings).toEqual(readings);
    expect(output.bufferedBytes).toBe(0);
    expect(registry.total("qubit_output_buffer_replayed_readings_total")).toBe(
      100,
    );

    // Back to direct writes once the buffer is empty.
    await output.write(makeReadings(5, { asset: "inv-2" }));
    expect(server.batches).toHaveLength(11);
    await output.close();
  });

  it("keeps order when the output fails mid-stream", async () => {
    const server = await receiver();
    await server.start();
    const registry = new MetricsRegistry();
    const output = buffered(webhook(server.url), bufferFolder(), {
      registry,
    });
    const pipeline = new Pipeline({
      outputs: [output],
      batchSize: 25,
      batchIntervalMs: 5,
    });
    await pipeline.open();
    const readings = makeReadings(600);
    const written: Promise<void>[] = [];
    for (let index = 0; index < 600; index += 25) {
      written.push(pipeline.writeReadings(readings.slice(index, index + 25)));
      if (index === 150) await server.stop();
      if (index === 400) await server.start();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(written);
    expect(await output.whenDrained(20_000)).toBe(true);
    await pipeline.close();
    expect(
      registry.total("qubit_output_buffered_readings_total"),
    ).toBeGreaterThan(0);
    expect(server.readings.map((reading) => reading.id)).toEqual(
      readings.map((reading) => reading.id),
    );
  });

  it("fails writes when full so the pipeline slows down", async () => {
    const server = await receiver();
    const registry = new MetricsRegistry();
    const output = buffered(webhook(server.url), bufferFolder(), {
      maxBytes: 20_000,
      registry,
    });
    const pipeline = new Pipeline({
      outputs: [output],
      batchSize: 20,
      batchIntervalMs: 5,
      maxPendingReadings: 100,
      retryInitialDelayMs: 20,
      retryMaxDelayMs: 100,
    });
    await pipeline.open();
    const readings = makeReadings(400);
    const written: Promise<void>[] = [];
    for (let index = 0; index < 400; index += 20)
      written.push(pipeline.writeReadings(readings.slice(index, index + 20)));

    await waitFor(
      () => registry.total("qubit_output_buffer_full_total") > 0,
      10_000,
      "a full buffer",
    );
    expect(pipeline.saturated).toBe(true);
    expect(output.bufferedBytes).toBeLessThanOrEqual(20_000);
    expect(output.bufferedBatches).toBeLessThan(20);

    await server.start();
    await Promise.all(written);
    expect(await output.whenDrained(20_000)).toBe(true);
    await pipeline.close();
    expect(server.readings.map((reading) => reading.id)).toEqual(
      readings.map((reading) => reading.id),
    );
  });

  it("sends its batches after a graceful restart", async () => {
    const server = await receiver();
    const folder = bufferFolder();
    const first = buffered(webhook(server.url), folder);
    await first.open();
    const readings = makeReadings(30);
    await first.write(readings.slice(0, 15));
    await first.write(readings.slice(15));
    await first.close();

    await server.start();
    const second = buffered(webhook(server.url), folder);
    await second.open();
    expect(await second.whenDrained(20_000)).toBe(true);
    await second.close();
    expect(server.readings).toEqual(readings);
  });

  it("queues a batch that waits for Retry-After at close", async () => {
    const server = await receiver();
    await server.start();
    server.unavailable = 1;
    const folder = bufferFolder();
    // Three attempts: after the 503 the write waits 60 s for the next.
    const first = buffered(webhook(server.url, 3), folder);
    await first.open();
    const readings = makeReadings(10);
    const writing = first.write(readings);
    await waitFor(() => server.unavailable === 0, 10_000, "the 503");
    expect(first.bufferedBatches).toBe(0);
    await first.close();
    await expect(writing).resolves.toBeUndefined();
    expect(first.bufferedBatches).toBe(1);
    expect(server.batches).toHaveLength(0);

    const second = buffered(webhook(server.url), folder);
    await second.open();
    expect(await second.whenDrained(20_000)).toBe(true);
    await second.close();
    expect(server.readings).toEqual(readings);
  });

  it("sends its batches after the process was killed", async () => {
    const server = await receiver();
    const folder = bufferFolder();
    const script = fileURLToPath(
      new URL("./output-buffer-child.ts", import.meta.url),
    );
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@qubit/source",
        script,
        folder,
        server.url,
        "8",
      ],
      { cwd: join(script, "..", ".."), stdio: ["ignore", "pipe", "inherit"] },
    );
    children.push(child);
    let output = "";
    child.stdout!.on("data", (chunk) => {
      output += chunk;
    });
    await waitFor(() => output.includes("accepted"), 30_000, "the child");
    expect(output).toContain("accepted 8");
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;

    await server.start();
    const restarted = buffered(webhook(server.url), folder);
    await restarted.open();
    expect(await restarted.whenDrained(20_000)).toBe(true);
    await restarted.close();
    expect(server.readings).toEqual(makeReadings(80));
  });

  it("rejects a folder another output uses", async () => {
    const folder = bufferFolder();
    const first = buffered(webhook("http://127.0.0.1:1/"), folder);
    await first.open();
    const second = buffered(webhook("http://127.0.0.1:1/"), folder);
    const error = await second.open().catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_BUFFER_LOCKED");
    await first.close();
  });
});

describe("disk buffer around a stopped NATS server", () => {
  const server = new PrivateNats();

  afterAll(async () => {
    await server.dispose();
  });

  it("delivers every reading once NATS is back", async () => {
    await server.start();
    const config = configOf<NatsOutputConfig>(NatsOutputConfigSchema, {
      type: "nats",
      servers: server.url,
      stream: "BUFFERED",
      subject: "buffered.{asset_id}.{metric}",
      timeout_ms: 500,
    });
    const output = buffered(new NatsOutput(config), bufferFolder());
    await output.open();
    const readings = makeReadings(300);
    await output.write(readings.slice(0, 100));

    await server.stop();
    await output.write(readings.slice(100, 200));
    await output.write(readings.slice(200));
    expect(output.isBuffering).toBe(true);

    await server.start();
    expect(await output.whenDrained(30_000)).toBe(true);
    await output.close();

    const check = await connect({ servers: server.url });
    const info = await (await check.jetstreamManager()).streams.info(
      "BUFFERED",
    );
    expect(info.state.messages).toBe(300);
    await check.close();
  });
});
