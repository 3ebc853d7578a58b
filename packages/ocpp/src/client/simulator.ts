import { randomUUID } from "node:crypto";
import { sleep } from "@qubit/core";
import type { ChargePointClient } from "./charge-point-client.js";

/** Options of {@link ChargingSimulator}. */
export interface SimulationOptions {
  /** Sessions to run; 0 runs until aborted. */
  sessions: number;
  sessionDurationS: number;
  meterIntervalS: number;
  powerW: number;
  idTag: string;
  /** Connector (1.6) or EVSE (2.0.1) to charge on; default 1. */
  connectorId?: number;
  /** Register value at the first start, in Wh; default 100,000. */
  initialRegisterWh?: number;
  /** Pause between sessions, in seconds; default 2. */
  pauseS?: number;
  /**
   * Sends BootNotification and StatusNotification Available first; default
   * true. False when the connector's StationLifecycle already sends them.
   */
  boot?: boolean;
}

const VOLTAGE = 230;

/**
 * Drives realistic charging sessions through a {@link ChargePointClient}:
 * boot, status changes, authorization, a transaction with periodic meter
 * values (energy register, power, current and voltage per phase, SoC) and
 * its stop, in OCPP 1.6 or 2.0.1 as the client speaks. Meter values carry
 * the time they were taken, so values queued while offline keep it.
 */
export class ChargingSimulator {
  private registerWh: number;
  private readonly connectorId: number;

  constructor(
    private readonly client: ChargePointClient,
    private readonly options: SimulationOptions,
  ) {
    this.registerWh = options.initialRegisterWh ?? 100_000;
    this.connectorId = options.connectorId ?? 1;
  }

  /** Runs the sessions; resolves when done or aborted. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.race([this.client.whenConnected(), aborted(signal)]);
    if (signal.aborted) return;
    if (this.options.boot !== false) await this.boot();
    for (
      let count = 0;
      this.options.sessions === 0 || count < this.options.sessions;
      count += 1
    ) {
      if (signal.aborted) return;
      await this.session(signal);
      await sleep((this.options.pauseS ?? 2) * 1000, signal).catch(
        () => undefined,
      );
    }
  }

  private get v16(): boolean {
    return this.client.version === "1.6";
  }

  private async boot(): Promise<void> {
    if (this.v16) {
      await this.client.call("BootNotification", {
        chargePointVendor: "Qubit",
        chargePointModel: "Simulator",
        firmwareVersion: "1.0.0",
      });
    } else {
      await this.client.call("BootNotification", {
        reason: "PowerUp",
        chargingStation: {
          vendorName: "Qubit",
          model: "Simulator",
          firmwareVersion: "1.0.0",
        },
      });
    }
    await this.status("Available");
  }

  private async status(status: string): Promise<void> {
    const timestamp = new Date().toISOString();
    if (this.v16) {
      await this.client.call("StatusNotification", {
        connectorId: this.connectorId,
        errorCode: "NoError",
        status,
        timestamp,
      });
    } else {
      const map: Record<string, string> = {
        Preparing: "Occupied",
        Charging: "Occupied",
        Finishing: "Occupied",
      };
      await this.client.call("StatusNotification", {
        timestamp,
        connectorStatus: map[status] ?? status,
        evseId: this.connectorId,
        connectorId: 1,
      });
    }
  }

  private async session(signal: AbortSignal): Promise<void> {
    const options = this.options;
    await this.status("Preparing").catch(() => undefined);
    const startedAt = Date.now();
    const transactionId = randomUUID();
    const ref = this.client.newTransactionRef();
    let seqNo = 0;
    if (this.v16) {
      await this.client
        .call("Authorize", { idTag: options.idTag })
        .catch(() => undefined);
      void this.client
        .call(
          "StartTransaction",
          {
            connectorId: this.connectorId,
            idTag: options.idTag,
            meterStart: Math.round(this.registerWh),
            timestamp: new Date(startedAt).toISOString(),
          },
          { defineRef: ref },
        )
        .catch(() => undefined);
    } else {
      void this.client
        .call("TransactionEvent", {
          eventType: "Started",
          timestamp: new Date(startedAt).toISOString(),
          triggerReason: "Authorized",
          seqNo: seqNo++,
          transactionInfo: { transactionId, chargingState: "Charging" },
          evse: { id: this.connectorId, connectorId: 1 },
          idToken: { idToken: options.idTag, type: "ISO14443" },
          meterValue: [this.meterValue(startedAt, 0, 0, "Transaction.Begin")],
        })
        .catch(() => undefined);
    }
    await this.status("Charging").catch(() => undefined);
    let last = startedAt;
    const end = startedAt + options.sessionDurationS * 1000;
    const intervalMs = options.meterIntervalS * 1000;
    while (!signal.aborted) {
      // Periodic samples keep the interval, so a session whose length is
      // not a multiple of it ends without a shorter last gap.
      if (last + intervalMs > end) {
        await sleep(Math.max(0, end - Date.now()), signal).catch(
          () => undefined,
        );
        break;
      }
      await sleep(Math.max(0, last + intervalMs - Date.now()), signal).catch(
        () => undefined,
      );
      if (signal.aborted) break;
      const now = Date.now();
      const power = options.powerW * (0.95 + Math.random() * 0.05);
      this.registerWh += (power * (now - last)) / 3_600_000;
      last = now;
      const soc = Math.min(
        100,
        20 + ((now - startedAt) / (options.sessionDurationS * 1000)) * 60,
      );
      const sample = this.meterValue(now, power, soc, "Sample.Periodic");
      if (this.v16) {
        void this.client
          .call(
            "MeterValues",
            { connectorId: this.connectorId, meterValue: [sample] },
            { transactionRef: ref },
          )
          .catch(() => undefined);
      } else {
        void this.client
          .call("TransactionEvent", {
            eventType: "Updated",
            timestamp: new Date(now).toISOString(),
            triggerReason: "MeterValuePeriodic",
            seqNo: seqNo++,
            transactionInfo: { transactionId, chargingState: "Charging" },
            meterValue: [sample],
          })
          .catch(() => undefined);
      }
    }
    const stoppedAt = Date.now();
    if (this.v16) {
      await this.client
        .call(
          "StopTransaction",
          {
            meterStop: Math.round(this.registerWh),
            timestamp: new Date(stoppedAt).toISOString(),
            reason: "EVDisconnected",
            idTag: options.idTag,
          },
          { transactionRef: ref },
        )
        .catch(() => undefined);
    } else {
      await this.client
        .call("TransactionEvent", {
          eventType: "Ended",
          timestamp: new Date(stoppedAt).toISOString(),
          triggerReason: "EVDeparted",
          seqNo: seqNo++,
          transactionInfo: { transactionId, stoppedReason: "EVDisconnected" },
          meterValue: [this.meterValue(stoppedAt, 0, 0, "Transaction.End")],
        })
        .catch(() => undefined);
    }
    await this.status("Available").catch(() => undefined);
  }

  private meterValue(
    epochMs: number,
    powerW: number,
    soc: number,
    context: string,
  ): Record<string, unknown> {
    const current = powerW / VOLTAGE / 3;
    const register = Math.round(this.registerWh);
    const timestamp = new Date(epochMs).toISOString();
    if (this.v16) {
      const sampledValue: Record<string, unknown>[] = [
        {
          value: String(register),
          context,
          measurand: "Energy.Active.Import.Register",
          unit: "Wh",
        },
      ];
      if (context === "Sample.Periodic") {
        sampledValue.push(
          {
            value: (powerW / 1000).toFixed(3),
            context,
            measurand: "Power.Active.Import",
            unit: "kW",
          },
          ...["L1", "L2", "L3"].map((phase) => ({
            value: current.toFixed(2),
            context,
            measurand: "Current.Import",
            phase,
            unit: "A",
          })),
          {
            value: String(VOLTAGE),
            context,
            measurand: "Voltage",
            phase: "L1-N",
            unit: "V",
          },
          { value: soc.toFixed(0), context, measurand: "SoC", unit: "Percent" },
        );
      }
      return { timestamp, sampledValue };
    }
    const sampledValue: Record<string, unknown>[] = [
      {
        value: register,
        context,
        measurand: "Energy.Active.Import.Register",
        unitOfMeasure: { unit: "Wh" },
      },
    ];
    if (context === "Sample.Periodic") {
      sampledValue.push(
        {
          value: Math.round(powerW),
          context,
          measurand: "Power.Active.Import",
          unitOfMeasure: { unit: "W" },
        },
        ...["L1", "L2", "L3"].map((phase) => ({
          value: Number(current.toFixed(2)),
          context,
          measurand: "Current.Import",
          phase,
          unitOfMeasure: { unit: "A" },
        })),
        {
          value: VOLTAGE,
          context,
          measurand: "Voltage",
          phase: "L1-N",
          unitOfMeasure: { unit: "V" },
        },
        {
          value: Math.round(soc),
          context,
          measurand: "SoC",
          unitOfMeasure: { unit: "Percent" },
        },
      );
    }
    return { timestamp, sampledValue };
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
