import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import {
  BaseConnector,
  BasicMessage,
  type ConnectorContext,
  type ConnectorPlugin,
  createReading,
  type Logger,
} from "@qubit/core";
import { Type } from "@sinclair/typebox";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, Service } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-service-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An in-process source standing in for a protocol connector: it delivers
 * `count` readings and one input it cannot convert, then keeps running.
 */
class TickSource extends BaseConnector {
  readonly protocol = "tick";
  private readonly count: number;

  constructor(count: number, context: ConnectorContext) {
    super("tick", context);
    this.count = count;
  }

  protected async start(): Promise<void> {
    for (let index = 0; index < this.count; index += 1) {
      const source = {
        protocol: "tick",
        address: `tick/${index}`,
        connector: this.name,
      };
      void this.deliver(
        new BasicMessage({
          protocol: "tick",
          kind: "tick",
          source,
          receivedAt: Date.now(),
          raw: String(index),
          convert: () => ({
            readings: [
              createReading({
                asset_id: "meter-1",
                metric: "energy",
                value: index / 10,
                unit: "kWh",
                timestamp: Date.UTC(2025, 0, 1, 0, index),
                source,
              }),
            ],
            rejects: [],
            diagnostics: [],
          }),
        }),
      );
    }
    const source = {
      protocol: "tick",
      address: "tick/bad",
      connector: this.name,
    };
    void this.deliver(
      new BasicMessage({
        protocol: "tick",
        kind: "tick",
        source,
        receivedAt: Date.now(),
        raw: "not a number",
        convert: () => ({
          readings: [],
          rejects: [
            {
              code: "QUBIT_TICK_INVALID",
              message: 'value "not a number" is not a number',
              fix: "send digits",
            },
          ],
          diagnostics: [],
        }),
      }),
    );
  }

  protected async stop(): Promise<void> {}
}

const tickPlugin: ConnectorPlugin<{ count: number }> = {
  protocol: "tick",
  configSchema: Type.Object({
    count: Type.Integer(),
    name: Type.Optional(Type.String()),
  }),
  create: (config, context) => new TickSource(config.count, context),
};

describe("Service", () => {
  it("runs connectors into the store, serves health and metrics, and flushes on stop", async () => {
    const { config } = loadConfig(
      {
        data_dir: dir,
        tick: { count: 25 },
        server: { port: 0 },
        pipeline: { batch_interval_ms: 50 },
      },
      [tickPlugin],
      { env: {} },
    );
    const service = new Service(config, { plugins: [tickPlugin] });
    await service.start();

    const health = (await (
      await fetch(`${service.serverUrl}/health`)
    ).json()) as {
      status: string;
      connectors: { name: string; status: string }[];
    };
    expect(health.status).toBe("ok");
    expect(health.connectors).toEqual([
      expect.objectContaining({ name: "tick", status: "running" }),
    ]);

    await service.stop();
    const db = new Database(join(dir, "qubit.db"), { readonly: true });
    const stored = db
      .prepare(
        "SELECT COUNT(*) AS n, MAX(value) AS max, MIN(unit) AS unit FROM readings",
      )
      .get();
    const letters = db.prepare("SELECT code, location FROM dead_letters").all();
    db.close();
    expect(stored).toEqual({ n: 25, max: 2400, unit: "Wh" });
    expect(letters).toEqual([
      {
        code: "QUBIT_TICK_INVALID",
        location: '{"protocol":"tick","address":"tick/bad"}',
      },
    ]);
    const file = readFileSync(join(dir, "dead-letters.ndjson"), "utf8")
      .trim()
      .split("\n");
    expect(JSON.parse(file[0]!)).toMatchObject({
      code: "QUBIT_TICK_INVALID",
      raw: "not a number",
      fix: "send digits",
    });
  });

  it("exposes Prometheus metrics", async () => {
    const { config } = loadConfig(
      {
        data_dir: join(dir, "m"),
        tick: { count: 3 },
        server: { port: 0 },
        pipeline: { batch_interval_ms: 10 },
      },
      [tickPlugin],
      { env: {} },
    );
    const service = new Service(config, { plugins: [tickPlugin] });
    await service.start();
    await service.pipeline.flush();
    const text = await (await fetch(`${service.serverUrl}/metrics`)).text();
    await service.stop();
    expect(text).toContain('qubit_pipeline_messages_total{connector="tick"} 4');
    expect(text).toContain(
      'qubit_dead_letters_total{connector="tick",code="QUBIT_TICK_INVALID"} 1',
    );
    expect(text).toMatch(/qubit_readings_written_total\{output="sqlite-0"\} 3/);
  });

  it("reports readings written per output", async () => {
    // A loopback port with no listener: the webhook output fails every
    // write while the SQLite store takes the readings.
    const closed = createServer();
    await new Promise<void>((resolve) =>
      closed.listen(0, "127.0.0.1", resolve),
    );
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { config } = loadConfig(
      {
        data_dir: join(dir, "outputs"),
        tick: { count: 5 },
        server: { enabled: false },
        shutdown_timeout_ms: 0,
        pipeline: { batch_interval_ms: 10 },
        outputs: [
          { type: "sqlite" },
          {
            type: "webhook",
            url: `http://127.0.0.1:${port}/hook`,
            max_attempts: 1,
            timeout_ms: 500,
          },
        ],
      },
      [tickPlugin],
      { env: {} },
    );
    const lines: string[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    ) as unknown as Logger;
    const service = new Service(config, { plugins: [tickPlugin], logger });
    await service.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await service.stop();

    expect(service.writtenPerOutput()).toEqual({
      "sqlite-0": 5,
      "webhook-1": 0,
    });
    const stopped = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === "Service stopped");
    expect(stopped?.readings_written).toBe(0);
    expect(stopped?.readings_written_per_output).toEqual({
      "sqlite-0": 5,
      "webhook-1": 0,
    });
  });
});
