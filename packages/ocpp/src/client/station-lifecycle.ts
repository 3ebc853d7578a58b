import type { Logger } from "@qubit/core";
import type { ChargePointClient } from "./charge-point-client.js";

/** Options of {@link StationLifecycle}. */
export interface StationLifecycleOptions {
  vendor: string;
  model: string;
  /** Connectors (1.6) or EVSEs (2.0.1), numbered from 1. */
  connectors: number;
  logger: Logger;
}

/**
 * Interval used when a BootNotification response gives none or 0, in
 * seconds. OCPP 1.6 lets the charge point choose in that case.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 300;

/**
 * The messages every connected charge point sends by itself: a
 * BootNotification after each connection, then StatusNotification
 * Available for each connector and a Heartbeat at the interval from the
 * BootNotification response. A Pending or Rejected registration is retried
 * after that interval, and nothing else is sent until it is accepted,
 * as OCPP requires.
 */
export class StationLifecycle {
  private timer: NodeJS.Timeout | undefined;
  private connection = 0;
  private accepted = false;
  private readonly acceptedWaiters: (() => void)[] = [];

  constructor(
    private readonly client: ChargePointClient,
    private readonly options: StationLifecycleOptions,
  ) {
    client.on("connected", () => {
      this.connection += 1;
      void this.boot(this.connection);
    });
    client.on("disconnected", () => this.stop());
  }

  /** Resolves once the CSMS has accepted a BootNotification. */
  whenAccepted(): Promise<void> {
    if (this.accepted) return Promise.resolve();
    return new Promise((resolve) => this.acceptedWaiters.push(resolve));
  }

  /** Stops the timers. The next connection sends BootNotification again. */
  stop(): void {
    this.connection += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async boot(connection: number): Promise<void> {
    let response: Record<string, unknown>;
    try {
      response = await this.client.call("BootNotification", this.bootPayload());
    } catch (error) {
      // A closed connection sends BootNotification again on reconnect. A
      // CALLERROR on an open one is retried after the default interval.
      const retry = this.client.isConnected && connection === this.connection;
      this.options.logger.warn(
        {
          err: error,
          retry_in_s: retry ? DEFAULT_HEARTBEAT_INTERVAL_S : undefined,
        },
        retry
          ? "BootNotification failed; sending it again after the default interval"
          : "BootNotification failed; sending it again after the next connection",
      );
      if (retry) {
        this.timer = setTimeout(
          () => void this.boot(connection),
          DEFAULT_HEARTBEAT_INTERVAL_S * 1000,
        );
      }
      return;
    }
    if (connection !== this.connection) return;
    const intervalS = heartbeatInterval(response.interval);
    const status = String(response.status);
    if (status !== "Accepted") {
      this.options.logger.warn(
        { status, retry_in_s: intervalS },
        "The CSMS did not accept the BootNotification; sending it again after the interval",
      );
      this.timer = setTimeout(
        () => void this.boot(connection),
        intervalS * 1000,
      );
      return;
    }
    this.options.logger.info(
      { heartbeat_interval_s: intervalS, connectors: this.options.connectors },
      "BootNotification accepted; sending StatusNotification and Heartbeats",
    );
    this.accepted = true;
    for (const resolve of this.acceptedWaiters.splice(0)) resolve();
    await this.sendStatuses();
    if (connection !== this.connection) return;
    this.scheduleHeartbeat(connection, intervalS);
  }

  private bootPayload(): Record<string, unknown> {
    if (this.client.version === "1.6") {
      return {
        chargePointVendor: this.options.vendor,
        chargePointModel: this.options.model,
      };
    }
    return {
      reason: "PowerUp",
      chargingStation: {
        vendorName: this.options.vendor,
        model: this.options.model,
      },
    };
  }

  private async sendStatuses(): Promise<void> {
    const timestamp = new Date().toISOString();
    for (let id = 1; id <= this.options.connectors; id += 1) {
      const payload =
        this.client.version === "1.6"
          ? {
              connectorId: id,
              errorCode: "NoError",
              status: "Available",
              timestamp,
            }
          : {
              timestamp,
              connectorStatus: "Available",
              evseId: id,
              connectorId: 1,
            };
      await this.client
        .call("StatusNotification", payload)
        .catch((error: unknown) =>
          this.options.logger.warn(
            { err: error, connector_id: id },
            "StatusNotification failed; it is sent again after the next BootNotification",
          ),
        );
    }
  }

  private scheduleHeartbeat(connection: number, intervalS: number): void {
    this.timer = setTimeout(async () => {
      if (connection !== this.connection) return;
      await this.client
        .call("Heartbeat", {})
        .catch((error: unknown) =>
          this.options.logger.warn(
            { err: error },
            "Heartbeat failed; the next one follows after the interval",
          ),
        );
      if (connection === this.connection)
        this.scheduleHeartbeat(connection, intervalS);
    }, intervalS * 1000);
  }
}

function heartbeatInterval(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0
    ? value
    : DEFAULT_HEARTBEAT_INTERVAL_S;
}
