import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  Backoff,
  type Connector,
  type ConnectorPlugin,
  type Logger,
  MetricsRegistry,
  noopLogger,
  Pipeline,
  QualityMonitor,
  type QualityOptions,
  QubitError,
  type StateStore,
} from "@qubit/core";
import { connectorsOf, timeWindowOf } from "./config/load.js";
import type { RunnerConfig } from "./config/schema.js";
import {
  createDeadLetterOutputs,
  createOutputs,
  storePath,
} from "./outputs/create.js";
import { acquireLock, type Lock } from "./outputs/lock.js";
import { SqliteStateStore } from "./outputs/sqlite.js";

function qualityOptions(config: RunnerConfig["quality"]): QualityOptions {
  const options: QualityOptions = { ranges: config.ranges };
  if (config.frozen) options.frozen = config.frozen;
  return options;
}

/** Options of {@link Service}. */
export interface ServiceOptions {
  plugins: readonly ConnectorPlugin[];
  logger?: Logger;
  registry?: MetricsRegistry;
}

/** Overall health, as `GET /health` returns it. */
export interface ServiceHealth {
  status: "ok" | "degraded" | "failed";
  uptime_ms: number;
  connectors: ReturnType<Connector["health"]>[];
  pipeline: ReturnType<Pipeline["stats"]>;
}

const STATUS_UP = new Set(["running", "completed"]);

/**
 * The long-running service: every configured connector into one pipeline
 * and its outputs, with `/health` and `/metrics` over HTTP. A connector
 * that fails to start is retried with backoff. `stop()` stops input,
 * flushes what is held within `shutdown_timeout_ms`, and closes.
 */
export class Service {
  readonly config: RunnerConfig;
  readonly registry: MetricsRegistry;
  readonly connectors: Connector[] = [];
  readonly pipeline: Pipeline;
  private readonly plugins: readonly ConnectorPlugin[];
  private readonly logger: Logger;
  private readonly state: StateStore;
  private server: Server | undefined;
  private lock: Lock | undefined;
  private readonly retries = new Map<Connector, NodeJS.Timeout>();
  private stopping = false;
  private startedAt = 0;
  private readonly outputNames: string[];

  constructor(config: RunnerConfig, options: ServiceOptions) {
    this.config = config;
    this.plugins = options.plugins;
    this.logger = options.logger ?? noopLogger;
    this.registry = options.registry ?? new MetricsRegistry();
    mkdirSync(config.data_dir, { recursive: true });
    this.state = new SqliteStateStore(storePath(config));
    const outputs = createOutputs(config, {
      logger: this.logger,
      registry: this.registry,
    });
    this.outputNames = outputs.map((output) => output.name);
    this.pipeline = new Pipeline({
      outputs,
      deadLetters: createDeadLetterOutputs(config),
      batchSize: config.pipeline.batch_size,
      batchIntervalMs: config.pipeline.batch_interval_ms,
      maxPendingReadings: config.pipeline.max_pending_readings,
      unitMode: config.pipeline.unit_mode,
      dedupWindow: config.pipeline.dedup_window,
      timeWindow: timeWindowOf(config),
      quality: new QualityMonitor(
        qualityOptions(config.quality),
        this.registry,
      ),
      logger: this.logger,
      registry: this.registry,
    });
    for (const plugin of this.plugins) {
      for (const entry of connectorsOf(config, plugin.protocol)) {
        const connector = plugin.create(entry.config, {
          name: entry.name,
          logger: this.logger,
          registry: this.registry,
          state: this.state,
        });
        connector.attach(this.pipeline);
        this.connectors.push(connector);
      }
    }
    this.exportStatus();
  }

  /** URL of the health and metrics server, once started. */
  get serverUrl(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return undefined;
    return `http://${address.address}:${address.port}`;
  }

  /**
   * Locks the data folder, opens the outputs, starts the HTTP server and
   * every connector. A connector that fails to start is logged and tried
   * again with backoff while the others go on.
   */
  async start(): Promise<void> {
    this.startedAt = Date.now();
    this.lock = await this.lockDataDir();
    try {
      await this.pipeline.open();
      if (this.config.server.enabled) await this.listen();
    } catch (error) {
      await this.lock.release();
      this.lock = undefined;
      throw error;
    }
    await Promise.all(
      this.connectors.map((connector) =>
        this.startConnector(
          connector,
          new Backoff({ initialDelayMs: 1_000, maxDelayMs: 60_000 }),
        ),
      ),
    );
    this.logger.info(
      {
        connectors: this.connectors.map((connector) => connector.name),
        server: this.serverUrl,
      },
      "Service started",
    );
  }

  /** Resolves when every finite connector (file imports) is done. */
  async finiteDone(): Promise<void> {
    await Promise.allSettled(
      this.connectors
        .filter((connector) => connector.finite)
        .map((connector) => connector.finished),
    );
  }

  /**
   * Stops the connectors, flushes the pipeline and closes everything,
   * giving connectors and outputs `shutdown_timeout_ms` in all. What is
   * still unwritten then was never acknowledged to its source.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    const deadline = Date.now() + this.config.shutdown_timeout_ms;
    this.logger.info(
      { timeout_ms: this.config.shutdown_timeout_ms },
      "Service stopping: flushing pending readings",
    );
    await Promise.all(
      this.connectors.map((connector) =>
        this.stopConnector(connector, deadline),
      ),
    );
    await this.pipeline.close(Math.max(1_000, deadline - Date.now()));
    this.state.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.lock?.release();
    this.logger.info(
      {
        ...this.pipeline.stats(),
        readings_written_per_output: this.writtenPerOutput(),
      },
      "Service stopped",
    );
  }

  /**
   * Returns the readings each output accepted, by output name. The
   * pipeline's `readings_written` counts a batch only once every output
   * took it, so it stays 0 while one output is down, although the others
   * stored the readings.
   */
  writtenPerOutput(): Record<string, number> {
    const written = this.registry.counter("qubit_readings_written_total");
    const result: Record<string, number> = {};
    for (const name of this.outputNames) {
      result[name] = written.with({ output: name }).value;
    }
    return result;
  }

  /** Returns the health of the service and each connector. */
  health(): ServiceHealth {
    const connectors = this.connectors.map((connector) => connector.health());
    const failed = connectors.filter(
      (health) => health.status === "failed",
    ).length;
    const degraded = connectors.filter(
      (health) => health.status === "degraded",
    ).length;
    return {
      status:
        failed === connectors.length && failed > 0
          ? "failed"
          : failed + degraded > 0
            ? "degraded"
            : "ok",
      uptime_ms: Date.now() - this.startedAt,
      connectors,
      pipeline: this.pipeline.stats(),
    };
  }

  private async startConnector(
    connector: Connector,
    backoff: Backoff,
  ): Promise<void> {
    if (this.stopping) return;
    try {
      await connector.connect();
      if (backoff.attempts > 0) {
        this.logger.info(
          { connector: connector.name, attempts: backoff.attempts },
          "Connector started after retrying",
        );
      }
    } catch (error) {
      const delay = backoff.next();
      this.logger.error(
        {
          connector: connector.name,
          protocol: connector.protocol,
          attempt: backoff.attempts,
          retry_in_ms: delay,
          err: error,
        },
        "Connector failed to start; retrying while the other connectors go on",
      );
      await connector.disconnect().catch(() => undefined);
      if (this.stopping) return;
      this.retries.set(
        connector,
        setTimeout(() => {
          this.retries.delete(connector);
          void this.startConnector(connector, backoff);
        }, delay),
      );
    }
  }

  private async stopConnector(
    connector: Connector,
    deadline: number,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(
        () => resolve("timeout"),
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      const outcome = await Promise.race([connector.disconnect(), timedOut]);
      if (outcome === "timeout") {
        this.logger.error(
          {
            connector: connector.name,
            timeout_ms: this.config.shutdown_timeout_ms,
          },
          "Connector did not stop in time; closing the pipeline without it",
        );
      }
    } catch (error) {
      this.logger.error(
        { connector: connector.name, err: error },
        "Connector failed to stop cleanly",
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private async lockDataDir(): Promise<Lock> {
    try {
      return await acquireLock(this.config.data_dir);
    } catch (error) {
      throw new QubitError(
        "QUBIT_RUNNER_DATA_DIR_LOCKED",
        `Data folder ${this.config.data_dir} is in use by another qubit process`,
        {
          location: { address: this.config.data_dir },
          fix: "stop the other process, or give this one its own data_dir",
          cause: error,
        },
      );
    }
  }

  private exportStatus(): void {
    const up = this.registry.gauge(
      "qubit_connector_up",
      "1 while the connector runs (or finished a file), else 0",
    );
    const uptime = this.registry.gauge(
      "qubit_connector_uptime_seconds",
      "Time since the connector started",
    );
    const received = this.registry.gauge(
      "qubit_connector_messages_received",
      "Inputs the connector received",
    );
    this.registry.onCollect(() => {
      for (const connector of this.connectors) {
        const health = connector.health();
        const labels = {
          connector: connector.name,
          protocol: connector.protocol,
        };
        up.with(labels).set(STATUS_UP.has(health.status) ? 1 : 0);
        uptime.with(labels).set(health.uptime_ms / 1000);
        received.with(labels).set(health.messages_received);
      }
    });
  }

  private async listen(): Promise<void> {
    const server = createServer((request, response) => {
      const path = (request.url ?? "/").split("?")[0];
      if (request.method === "GET" && path === "/health") {
        const health = this.health();
        response.writeHead(health.status === "failed" ? 503 : 200, {
          "content-type": "application/json",
        });
        response.end(JSON.stringify(health));
        return;
      }
      if (request.method === "GET" && path === "/metrics") {
        response.writeHead(200, {
          "content-type": "text/plain; version=0.0.4; charset=utf-8",
        });
        response.end(this.registry.toPrometheus());
        return;
      }
      response.writeHead(404, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ error: "not found", paths: ["/health", "/metrics"] }),
      );
    });
    this.server = server;
    const { host, port } = this.config.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) => {
        reject(
          new QubitError(
            "QUBIT_RUNNER_SERVER_LISTEN",
            `Cannot serve /health and /metrics on ${host}:${port}: ${error.code === "EADDRINUSE" ? "the port is in use" : error.message}`,
            {
              location: { address: `${host}:${port}` },
              fix: "set server.port to a free port (0 picks one), stop the process using it, or set server.enabled to false",
              cause: error,
            },
          ),
        );
      });
      server.listen(port, host, () => {
        server.removeAllListeners("error");
        resolve();
      });
    });
  }
}
