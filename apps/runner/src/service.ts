import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Connector,
  type ConnectorPlugin,
  type Logger,
  MetricsRegistry,
  noopLogger,
  Pipeline,
  QualityMonitor,
  type QualityOptions,
  type StateStore,
} from "@qubit/core";
import { connectorsOf } from "./config/load.js";
import type { RunnerConfig } from "./config/schema.js";
import {
  createDeadLetterOutputs,
  createOutputs,
  storePath,
} from "./outputs/create.js";
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

/**
 * The long-running service: every configured connector into one pipeline
 * and its outputs, with `/health` and `/metrics` over HTTP. `stop()`
 * stops input, flushes what is held, and closes.
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
  private startedAt = 0;

  constructor(config: RunnerConfig, options: ServiceOptions) {
    this.config = config;
    this.plugins = options.plugins;
    this.logger = options.logger ?? noopLogger;
    this.registry = options.registry ?? new MetricsRegistry();
    mkdirSync(config.data_dir, { recursive: true });
    this.state = new SqliteStateStore(storePath(config));
    this.pipeline = new Pipeline({
      outputs: createOutputs(config, {
        logger: this.logger,
        registry: this.registry,
      }),
      deadLetters: createDeadLetterOutputs(config),
      batchSize: config.pipeline.batch_size,
      batchIntervalMs: config.pipeline.batch_interval_ms,
      maxPendingReadings: config.pipeline.max_pending_readings,
      unitMode: config.pipeline.unit_mode,
      dedupWindow: config.pipeline.dedup_window,
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
  }

  /** URL of the health and metrics server, once started. */
  get serverUrl(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return undefined;
    return `http://${address.address}:${address.port}`;
  }

  /**
   * Opens the outputs, starts the HTTP server and every connector. A
   * connector that fails to start is logged and marked failed; the
   * others go on.
   */
  async start(): Promise<void> {
    this.startedAt = Date.now();
    await this.pipeline.open();
    if (this.config.server.enabled) await this.listen();
    await Promise.all(
      this.connectors.map(async (connector) => {
        try {
          await connector.connect();
        } catch (error) {
          this.logger.error(
            {
              connector: connector.name,
              protocol: connector.protocol,
              err: error,
            },
            "Connector failed to start; the other connectors go on",
          );
        }
      }),
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

  /** Stops the connectors, flushes the pipeline and closes everything. */
  async stop(): Promise<void> {
    this.logger.info({}, "Service stopping: flushing pending readings");
    await Promise.all(
      this.connectors.map((connector) =>
        connector
          .disconnect()
          .catch((error: unknown) =>
            this.logger.error(
              { connector: connector.name, err: error },
              "Connector failed to stop cleanly",
            ),
          ),
      ),
    );
    await this.pipeline.close();
    this.state.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.logger.info(this.pipeline.stats(), "Service stopped");
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
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.config.server.port, this.config.server.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }
}
