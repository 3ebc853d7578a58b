import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  type Logger,
  noopLogger,
  type Output,
  rateLimited,
  type TimeSeries,
} from "@qubit/core";
import { connect, type IClientOptions, type MqttClient } from "mqtt";
import type { MqttOutputConfig } from "./config.js";
import { redactUrl } from "./endpoint.js";
import { OutputDeliveryError } from "./errors.js";
import { compileTemplate, sanitizeMqttLevel } from "./template.js";

/** Options of {@link MqttOutput}. */
export interface MqttOutputOptions {
  name?: string;
  logger?: Logger;
}

/** Builds the MQTT.js options of a config; reads the TLS files. */
function clientOptions(config: MqttOutputConfig): IClientOptions {
  const options: IClientOptions = {
    clientId:
      config.client_id ?? `qubit-output-${randomBytes(4).toString("hex")}`,
    protocolVersion: config.protocol_version,
    keepalive: config.keepalive,
    connectTimeout: config.timeout_ms,
    reconnectPeriod: 1_000,
    clean: true,
  };
  if (config.auth) {
    options.username = config.auth.username;
    if (config.auth.password !== undefined)
      options.password = config.auth.password;
  }
  const tls = config.tls;
  if (tls) {
    if (tls.ca_certs) options.ca = readFileSync(tls.ca_certs);
    if (tls.certfile) options.cert = readFileSync(tls.certfile);
    if (tls.keyfile) options.key = readFileSync(tls.keyfile);
    options.rejectUnauthorized = !tls.insecure;
  }
  return options;
}

/**
 * Republishes each reading as a JSON message to an MQTT broker, on a
 * topic rendered from the reading's fields, with QoS 1 and the retain
 * flag off by default. A write resolves when the broker acknowledged
 * every message of the batch (for QoS 1 and 2).
 *
 * Delivery is at least once: a batch that timed out is published again
 * by the pipeline's retry, and MQTT.js also resends its unacknowledged
 * messages after a reconnect, so subscribers should de-duplicate by the
 * reading's `id`.
 */
export class MqttOutput implements Output {
  readonly name: string;
  private readonly config: MqttOutputConfig;
  private readonly logger: Logger;
  private readonly options: IClientOptions;
  private readonly topicOf: (reading: TimeSeries) => string;
  private client: MqttClient | undefined;
  private readonly logError = rateLimited(5, 60_000);

  constructor(config: MqttOutputConfig, options: MqttOutputOptions = {}) {
    this.config = config;
    this.name = options.name ?? "mqtt";
    this.logger = (options.logger ?? noopLogger).child({
      output: this.name,
      broker: redactUrl(config.broker),
    });
    this.options = clientOptions(config);
    this.topicOf = compileTemplate(config.topic, sanitizeMqttLevel);
    if (config.tls?.insecure) {
      this.logger.warn(
        {},
        "TLS certificate check of the MQTT output is off (tls.insecure)",
      );
    }
  }

  /**
   * Connects to the broker and waits up to `timeout_ms` for the
   * connection. A failure is logged and not thrown, so the service starts
   * while the broker is down; the client keeps reconnecting.
   */
  async open(): Promise<void> {
    if (await this.connected()) this.logger.info({}, "MQTT output ready");
    else
      this.logger.error(
        { timeout_ms: this.config.timeout_ms },
        "MQTT output is not connected; the client keeps reconnecting and writes fail until then",
      );
  }

  async write(readings: readonly TimeSeries[]): Promise<void> {
    if (readings.length === 0) return;
    const client = this.connectClient();
    if (!(await this.connected())) {
      // Messages published while offline would pile up in MQTT.js's
      // memory at each retry, so the batch is not published at all.
      throw new OutputDeliveryError(
        "QUBIT_RUNNER_OUTPUT_UNAVAILABLE",
        `MQTT output is not connected to ${redactUrl(this.config.broker)}`,
        {
          location: { address: redactUrl(this.config.broker) },
          fix: "check that the broker is up and the credentials are right",
        },
      );
    }
    const publishOptions = {
      qos: this.config.qos,
      retain: this.config.retain,
    };
    const published = Promise.all(
      readings.map((reading) =>
        client.publishAsync(
          this.topicOf(reading),
          JSON.stringify(reading),
          publishOptions,
        ),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.config.timeout_ms);
    });
    try {
      const outcome = await Promise.race([published, timeout]);
      if (outcome === "timeout") {
        published.catch(() => undefined);
        throw new OutputDeliveryError(
          "QUBIT_RUNNER_OUTPUT_TIMEOUT",
          `MQTT broker did not acknowledge ${readings.length} readings within ${this.config.timeout_ms} ms`,
          {
            location: { address: redactUrl(this.config.broker) },
            fix: "check the broker's load and raise timeout_ms if it is slow",
          },
        );
      }
    } catch (error) {
      if (error instanceof OutputDeliveryError) throw error;
      throw new OutputDeliveryError(
        "QUBIT_RUNNER_OUTPUT_REJECTED",
        `MQTT publish of ${readings.length} readings failed: ${(error as Error).message}`,
        {
          cause: error,
          location: { address: redactUrl(this.config.broker) },
          fix: "check the broker's access rules for the topic template",
        },
      );
    } finally {
      clearTimeout(timer);
    }
    this.logger.debug({ readings: readings.length }, "Batch published");
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A broker that is gone cannot take a DISCONNECT; force the close
    // after the timeout.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.config.timeout_ms);
    });
    const outcome = await Promise.race([
      client.endAsync().catch(() => undefined),
      timeout,
    ]);
    clearTimeout(timer);
    if (outcome === "timeout") await client.endAsync(true);
  }

  /** Waits up to `timeout_ms` for the client to be connected. */
  private async connected(): Promise<boolean> {
    const client = this.connectClient();
    if (client.connected) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), this.config.timeout_ms);
      const onConnect = () => done(true);
      function done(result: boolean): void {
        clearTimeout(timer);
        client.off("connect", onConnect);
        resolve(result);
      }
      client.on("connect", onConnect);
    });
  }

  private connectClient(): MqttClient {
    if (this.client) return this.client;
    const client = connect(this.config.broker, this.options);
    client.on("connect", () => this.logger.info({}, "Connected to the broker"));
    client.on("offline", () =>
      this.logger.warn({}, "MQTT output is offline; the client reconnects"),
    );
    client.on("error", (error) => {
      const { allowed, suppressed } = this.logError();
      if (allowed)
        this.logger.warn({ err: error, suppressed }, "MQTT client error");
    });
    this.client = client;
    return client;
  }
}
