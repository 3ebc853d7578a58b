import {
  type Logger,
  noopLogger,
  type Output,
  type TimeSeries,
} from "@qubit/core";
import {
  connect,
  type JetStreamClient,
  type NatsConnection,
  type NatsError,
  nanos,
  type PubAck,
} from "nats";
import type { NatsOutputConfig } from "./config.js";
import { redactUrl } from "./endpoint.js";
import { OutputDeliveryError, StreamMissingError } from "./errors.js";
import {
  compileTemplate,
  natsSubjectFilter,
  sanitizeNatsToken,
} from "./template.js";

/** Options of {@link NatsOutput}. */
export interface NatsOutputOptions {
  name?: string;
  logger?: Logger;
}

/** JetStream's API error code for "stream not found". */
const STREAM_NOT_FOUND = 10059;

/**
 * Publishes each reading as a JSON message to NATS JetStream, on a
 * subject rendered from the reading's fields. The message id is the
 * reading id, so JetStream stores a reading sent twice within the
 * stream's duplicate window once. A write resolves when every message of
 * the batch is acknowledged by the stream.
 */
export class NatsOutput implements Output {
  readonly name: string;
  /** Messages of the last write that JetStream reported as duplicates. */
  lastDuplicates = 0;
  private readonly config: NatsOutputConfig;
  private readonly logger: Logger;
  private readonly subjectOf: (reading: TimeSeries) => string;
  private readonly servers: string[];
  private connection: Promise<JetStreamClient> | undefined;
  private nc: NatsConnection | undefined;
  private closed = false;
  private readonly encoder = new TextEncoder();

  constructor(config: NatsOutputConfig, options: NatsOutputOptions = {}) {
    this.config = config;
    this.name = options.name ?? "nats";
    this.servers =
      typeof config.servers === "string" ? [config.servers] : config.servers;
    this.logger = (options.logger ?? noopLogger).child({
      output: this.name,
      servers: this.servers.map(redactUrl),
      stream: config.stream,
    });
    this.subjectOf = compileTemplate(config.subject, sanitizeNatsToken);
  }

  /**
   * Connects and creates the stream when missing. A failure is logged
   * and not thrown, so the service starts while NATS is down; each write
   * tries again.
   */
  async open(): Promise<void> {
    try {
      await this.client();
      this.logger.info({}, "NATS output ready");
    } catch (error) {
      this.logger.error(
        { err: error },
        "NATS output is not ready; writes will retry",
      );
    }
  }

  async write(readings: readonly TimeSeries[]): Promise<void> {
    if (readings.length === 0) return;
    const js = await this.client();
    const options = {
      msgID: "",
      timeout: this.config.timeout_ms,
      expect: { streamName: this.config.stream },
    };
    const acks = readings.map((reading) =>
      js.publish(
        this.subjectOf(reading),
        this.encoder.encode(JSON.stringify(reading)),
        { ...options, msgID: reading.id },
      ),
    );
    const results = await Promise.allSettled(acks);
    const failed = results.filter(
      (result): result is PromiseRejectedResult => result.status === "rejected",
    );
    if (failed.length > 0) {
      const first = failed[0]!.reason as NatsError;
      const timeout = first.code === "TIMEOUT";
      throw new OutputDeliveryError(
        timeout
          ? "QUBIT_RUNNER_OUTPUT_TIMEOUT"
          : "QUBIT_RUNNER_OUTPUT_REJECTED",
        `JetStream did not acknowledge ${failed.length} of ${readings.length} readings: ${first.message}`,
        {
          cause: first,
          location: { address: this.config.stream },
          fix: timeout
            ? "check that the NATS server is up and JetStream is enabled"
            : "check that the stream exists and its subjects match the subject template",
        },
      );
    }
    this.lastDuplicates = results.filter(
      (result) =>
        (result as PromiseFulfilledResult<PubAck>).value.duplicate === true,
    ).length;
    this.logger.debug(
      { readings: readings.length, duplicates: this.lastDuplicates },
      "Batch acknowledged by JetStream",
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    this.nc = undefined;
    if (!nc || nc.isClosed()) return;
    // drain() waits for a server that may be gone, so close() follows
    // after the timeout. What the client still holds then is dropped, and
    // the pipeline has not counted it as written.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.config.timeout_ms);
    });
    await Promise.race([nc.drain().catch(() => undefined), timeout]);
    clearTimeout(timer);
    if (!nc.isClosed()) await nc.close();
  }

  // Memoised until it fails, so a server that was down is connected to on
  // a later write. Once connected, the client reconnects by itself.
  private client(): Promise<JetStreamClient> {
    if (this.closed) {
      return Promise.reject(
        new OutputDeliveryError(
          "QUBIT_RUNNER_OUTPUT_UNAVAILABLE",
          "The NATS output is closed",
        ),
      );
    }
    if (!this.connection) {
      this.connection = this.connect().catch((error: unknown) => {
        this.connection = undefined;
        throw error;
      });
    }
    return this.connection;
  }

  private async connect(): Promise<JetStreamClient> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: this.servers,
        name: `qubit-${this.name}`,
        timeout: this.config.timeout_ms,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1_000,
        ...(this.config.user === undefined ? {} : { user: this.config.user }),
        ...(this.config.password === undefined
          ? {}
          : { pass: this.config.password }),
        ...(this.config.token === undefined
          ? {}
          : { token: this.config.token }),
      });
    } catch (error) {
      throw new OutputDeliveryError(
        "QUBIT_RUNNER_OUTPUT_UNAVAILABLE",
        `Connection to NATS failed: ${(error as Error).message}`,
        {
          cause: error,
          fix: "check servers, the credentials and that the NATS server is up",
        },
      );
    }
    this.nc = nc;
    this.watch(nc);
    try {
      await this.ensureStream(nc);
    } catch (error) {
      await nc.close().catch(() => undefined);
      this.nc = undefined;
      throw error;
    }
    return nc.jetstream({ timeout: this.config.timeout_ms });
  }

  private watch(nc: NatsConnection): void {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === "disconnect" || status.type === "error") {
          this.logger.warn(
            { event: status.type, server: redactUrl(String(status.data)) },
            "NATS connection lost; the client reconnects",
          );
        } else if (status.type === "reconnect") {
          this.logger.info(
            { server: redactUrl(String(status.data)) },
            "NATS connection restored",
          );
        }
      }
    })();
    void nc.closed().then((error) => {
      // A connection that closes by itself (not by close()) is connected
      // again on the next write.
      if (this.nc === nc) {
        this.nc = undefined;
        this.connection = undefined;
      }
      if (error) this.logger.error({ err: error }, "NATS connection closed");
    });
  }

  private async ensureStream(nc: NatsConnection): Promise<void> {
    const jsm = await nc.jetstreamManager({ timeout: this.config.timeout_ms });
    try {
      await jsm.streams.info(this.config.stream);
      return;
    } catch (error) {
      if ((error as NatsError).api_error?.err_code !== STREAM_NOT_FOUND)
        throw error;
    }
    if (!this.config.create_stream) {
      throw new StreamMissingError(
        `JetStream stream ${this.config.stream} does not exist`,
        {
          location: { address: this.config.stream },
          fix: "create the stream, or set create_stream to true",
        },
      );
    }
    const subjects = this.config.stream_subjects ?? [
      natsSubjectFilter(this.config.subject),
    ];
    await jsm.streams.add({
      name: this.config.stream,
      subjects,
      duplicate_window: nanos(this.config.duplicate_window_ms),
    });
    this.logger.info({ subjects }, "Created the JetStream stream");
  }
}
