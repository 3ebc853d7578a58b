import { BaseConnector, type ConnectorContext } from "@qubit/core";
import type { ClientConfig } from "../config.js";
import type { OcppMessage } from "../message.js";
import { OcppProcessor } from "../processor/processor.js";
import { type OcppVersion, parseVersion } from "../versions.js";
import { ChargePointClient } from "./charge-point-client.js";
import { ChargingSimulator } from "./simulator.js";
import { StationLifecycle } from "./station-lifecycle.js";

/**
 * The charge point client role: connects to a CSMS as `charge_point_id`
 * and keeps reconnecting. After each connection it sends BootNotification,
 * StatusNotification Available per connector and Heartbeats at the
 * interval the CSMS gives ({@link StationLifecycle}). Every CALL it sends
 * and gets answered is also turned into readings, so
 * `onMessage("MeterValues")` hooks and the pipeline see what the charge
 * point reports. It measures nothing itself: meter values come from
 * `client.call` of the library user, or from `simulation`, which drives
 * charging sessions (`qubit simulate ocpp`).
 */
export class ChargePointConnector extends BaseConnector<OcppMessage> {
  readonly protocol = "ocpp";
  readonly config: ClientConfig;
  /** The OCPP client; use it to send CALLs and handle the CSMS's. */
  readonly client: ChargePointClient;
  private readonly processor: OcppProcessor;
  private readonly lifecycle: StationLifecycle;
  private readonly abort = new AbortController();
  private simulation: Promise<void> | undefined;

  constructor(config: ClientConfig, context: ConnectorContext = {}) {
    super(`ocpp-${config.charge_point_id}`, context);
    this.config = config;
    const version = parseVersion(config.version) as OcppVersion;
    const options: ConstructorParameters<typeof ChargePointClient>[0] = {
      version,
      url: config.websocket_url,
      identity: config.charge_point_id,
      reconnectInitialDelayMs: config.reconnect_initial_delay_ms,
      reconnectMaxDelayMs: config.reconnect_max_delay_ms,
      callTimeoutMs: config.call_timeout_ms,
      offlineQueueMax: config.offline_queue_max,
      logger: this.logger,
    };
    if (this.state) options.state = this.state;
    if (config.auth?.basic_auth) options.basicAuth = config.auth.basic_auth;
    if (config.tls) {
      const tls: NonNullable<typeof options.tls> = {};
      if (config.tls.ca_file) tls.caFile = config.tls.ca_file;
      if (config.tls.cert_file) tls.certFile = config.tls.cert_file;
      if (config.tls.key_file) tls.keyFile = config.tls.key_file;
      options.tls = tls;
    }
    this.client = new ChargePointClient(options);
    const processorOptions: ConstructorParameters<typeof OcppProcessor>[0] = {
      connectorName: this.name,
      logger: this.logger,
      now: this.now,
    };
    if (this.state) processorOptions.state = this.state;
    this.processor = new OcppProcessor(processorOptions);
    this.lifecycle = new StationLifecycle(this.client, {
      vendor: config.vendor,
      model: config.model,
      connectors: config.connectors,
      logger: this.logger.child({ charge_point: config.charge_point_id }),
    });
    this.client.on("connected", () => this.setStatus("running"));
    this.client.on("disconnected", () => this.setStatus("degraded"));
    this.client.on("answered", (answered) => {
      const message = this.processor.record(
        {
          identity: this.client.identity,
          version,
          messageId: answered.messageId,
          action: answered.action,
          payload: answered.payload,
          raw: JSON.stringify([
            2,
            answered.messageId,
            answered.action,
            answered.payload,
          ]),
          receivedAt: this.now(),
        },
        answered.response,
      );
      this.deliver(message).catch((error: unknown) =>
        this.logger.error(
          { err: error, action: answered.action },
          "Readings of a sent CALL were not stored",
        ),
      );
    });
    this.client.on("failed", (failed) => {
      this.recordFault(failed.error, "QUBIT_OCPP_CALL_FAILED");
    });
    this.client.on("connect_failed", (failure) => {
      this.recordFault(failure.error, failure.error.code);
      if (this.status === "running") this.setStatus("degraded");
    });
  }

  protected async start(): Promise<void> {
    this.client.start();
    const simulation = this.config.simulation;
    this.logger.info(
      {
        charge_point: this.config.charge_point_id,
        url: this.config.websocket_url,
        connectors: this.config.connectors,
        simulation: simulation !== undefined,
      },
      simulation
        ? "Charge point client started: it sends BootNotification, StatusNotification, Heartbeats and simulated charging sessions, and stores the readings of each answered CALL"
        : "Charge point client started: it sends BootNotification, StatusNotification and Heartbeats and stores Connector.Status readings; meter readings come only from CALLs the library user sends",
    );
    if (simulation) {
      const simulator = new ChargingSimulator(this.client, {
        sessions: simulation.sessions,
        sessionDurationS: simulation.session_duration_s,
        meterIntervalS: simulation.meter_interval_s,
        powerW: simulation.power_w,
        idTag: simulation.id_tag,
        boot: false,
      });
      const signal = this.abort.signal;
      this.simulation = Promise.race([
        this.lifecycle.whenAccepted(),
        abortedPromise(signal),
      ])
        .then(() => simulator.run(signal))
        .catch((error: unknown) => {
          this.logger.error({ err: error }, "Charging simulation failed");
        });
    }
  }

  protected async stop(): Promise<void> {
    this.abort.abort();
    this.lifecycle.stop();
    await this.simulation;
    await this.client.close();
  }

  protected override healthDetails(): Record<string, unknown> {
    return {
      charge_point_id: this.client.identity,
      connected: this.client.isConnected,
      queued_calls: this.client.queued,
    };
  }
}

function abortedPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
