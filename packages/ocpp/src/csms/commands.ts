import type { Logger } from "@qubit/core";
import { OcppError } from "../errors.js";
import type { OcppProcessor } from "../processor/processor.js";
import { checkPayload, describeDeviations } from "../schema/tolerant-check.js";
import type { OcppVersion } from "../versions.js";
import type { CommandQueue, QueuedCommand } from "./command-queue.js";
import type { ChargePointConnection } from "./connection.js";

/** Options of {@link CommandDispatcher.send}. */
export interface SendOptions {
  /** Queue the command when the charge point is offline (default true). */
  queueIfOffline?: boolean;
  /** Response timeout in ms; default the connector's call_timeout_ms. */
  timeoutMs?: number;
}

interface Waiter {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

/**
 * Sends commands (CALLs from the central system) to charge points. Each
 * payload is checked against its schema before it is sent. Per charge
 * point, commands run one after another, queued ones first, so at most
 * one CALL is in flight as OCPP requires and the order is kept. A command
 * for an offline charge point waits in the persisted queue; its promise
 * resolves when it is delivered after a reconnect, or rejects on expiry.
 */
export class CommandDispatcher {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly waiters = new Map<string, Waiter>();

  constructor(
    private readonly host: {
      connection(identity: string): ChargePointConnection | undefined;
      versionOf(identity: string): OcppVersion | undefined;
      processor: OcppProcessor;
      queue: CommandQueue;
      logger: Logger;
      callTimeoutMs: number;
      recordFault(error: OcppError): void;
    },
  ) {}

  /** Sends a command and returns the charge point's response. */
  async send(
    identity: string,
    action: string,
    payload: Record<string, unknown>,
    options: SendOptions = {},
  ): Promise<Record<string, unknown>> {
    const version = this.host.versionOf(identity);
    if (!version) {
      throw new OcppError(
        "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
        `charge point ${identity} has never connected, so its OCPP version is unknown; ${action} not sent`,
        { location: { protocol: "ocpp", address: identity } },
      );
    }
    const check = checkPayload(version, action, "req", payload);
    if (!check.ok || check.deviations.length > 0) {
      const reason = check.ok
        ? describeDeviations(check.deviations).join("; ")
        : check.violation.message;
      throw new OcppError(
        "QUBIT_OCPP_COMMAND_INVALID",
        `${action} for ${identity} violates the OCPP ${version} schema: ${reason}; not sent`,
        { value: payload, location: { protocol: "ocpp", address: identity } },
      );
    }
    if (!this.host.connection(identity)) {
      if (options.queueIfOffline === false) {
        throw new OcppError(
          "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
          `charge point ${identity} is not connected; ${action} not sent`,
          { location: { protocol: "ocpp", address: identity } },
        );
      }
      const command = this.host.queue.enqueue(identity, action, payload);
      this.host.logger.info(
        {
          charge_point: identity,
          action,
          queued: this.host.queue.size(identity),
        },
        "Charge point offline; command queued",
      );
      return new Promise((resolve, reject) => {
        this.waiters.set(command.id, { resolve, reject });
      });
    }
    return this.serial(identity, () =>
      this.call(identity, action, payload, options.timeoutMs),
    );
  }

  /** Delivers the queued commands of a charge point that (re)connected, in order. */
  flush(identity: string): Promise<void> {
    const { live, expired } = this.host.queue.take(identity);
    for (const command of expired) this.expire(command);
    if (live.length === 0) return Promise.resolve();
    return this.serial(identity, async () => {
      for (const command of live) {
        if (!this.host.connection(identity)) return;
        const waiter = this.waiters.get(command.id);
        try {
          const answer = await this.call(
            identity,
            command.action,
            command.payload,
          );
          this.host.queue.remove(command);
          this.waiters.delete(command.id);
          waiter?.resolve(answer);
        } catch (error) {
          if (!this.host.connection(identity)) return;
          this.host.queue.remove(command);
          this.waiters.delete(command.id);
          waiter?.reject(error as Error);
        }
      }
    }).catch(() => undefined);
  }

  /** Rejects the promises of queued commands when the connector stops; the commands stay queued. */
  close(): void {
    for (const waiter of this.waiters.values()) {
      waiter.reject(
        new OcppError(
          "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
          "connector stopped; the command stays queued for the next start",
        ),
      );
    }
    this.waiters.clear();
  }

  private serial<T>(identity: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(identity) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.chains.set(identity, next);
    next
      .finally(() => {
        if (this.chains.get(identity) === next) this.chains.delete(identity);
      })
      .catch(() => undefined);
    return next;
  }

  private async call(
    identity: string,
    action: string,
    payload: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>> {
    const connection = this.host.connection(identity);
    if (!connection) {
      throw new OcppError(
        "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
        `charge point ${identity} disconnected; ${action} not sent`,
      );
    }
    let answer: unknown;
    try {
      answer = await connection.peer.call(action, payload, {
        callTimeoutMs: timeoutMs ?? this.host.callTimeoutMs,
      });
    } catch (error) {
      const fault = new OcppError(
        "QUBIT_OCPP_CALL_FAILED",
        `${action} to ${identity} failed: ${(error as Error).message}`,
        {
          cause: error,
          value: (error as { rpcErrorCode?: string }).rpcErrorCode,
          location: { protocol: "ocpp", address: identity, action },
        },
      );
      this.host.recordFault(fault);
      throw fault;
    }
    const result = (answer ?? {}) as Record<string, unknown>;
    const check = checkPayload(connection.version, action, "conf", result);
    if (!check.ok) {
      this.host.logger.warn(
        { charge_point: identity, action, violation: check.violation.message },
        "Charge point's answer violates the OCPP schema; returned as received",
      );
    }
    this.noteFirmwareRequest(
      identity,
      connection.version,
      action,
      payload,
      result,
    );
    return result;
  }

  private noteFirmwareRequest(
    identity: string,
    version: OcppVersion,
    action: string,
    payload: Record<string, unknown>,
    answer: Record<string, unknown>,
  ): void {
    if (action !== "UpdateFirmware" && action !== "SignedUpdateFirmware")
      return;
    const stations = this.host.processor.stations;
    const station = stations.get(identity, version);
    const firmware = (payload.firmware ?? {}) as Record<string, unknown>;
    station.firmware = {
      ...station.firmware,
      status: answer.status === "Rejected" ? "Rejected" : "Requested",
      updated_at: new Date().toISOString(),
    };
    const location = payload.location ?? firmware.location;
    const retrieve = payload.retrieveDate ?? firmware.retrieveDateTime;
    if (typeof location === "string") station.firmware.location = location;
    if (typeof retrieve === "string") station.firmware.retrieve_at = retrieve;
    if (typeof payload.requestId === "number")
      station.firmware.request_id = payload.requestId;
    stations.save(station);
  }

  private expire(command: QueuedCommand): void {
    const error = new OcppError(
      "QUBIT_OCPP_COMMAND_EXPIRED",
      `${command.action} for ${command.identity} expired after waiting since ${new Date(command.queued_at).toISOString()}`,
      { location: { protocol: "ocpp", address: command.identity } },
    );
    this.host.recordFault(error);
    const waiter = this.waiters.get(command.id);
    this.waiters.delete(command.id);
    waiter?.reject(error);
  }
}
