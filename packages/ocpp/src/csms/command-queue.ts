import type { StateStore } from "@qubit/core";
import { OcppError } from "../errors.js";

/** A command waiting for its charge point to come back. */
export interface QueuedCommand {
  id: string;
  identity: string;
  action: string;
  payload: Record<string, unknown>;
  queued_at: number;
  expires_at: number;
}

/**
 * Commands for offline charge points, persisted in the state store so
 * they survive a restart, bounded per charge point, with an expiry. They
 * are handed out in the order they were queued.
 */
export class CommandQueue {
  private readonly namespace: string;
  private readonly byIdentity = new Map<string, QueuedCommand[]>();
  private sequence = 0;

  constructor(
    connectorName: string,
    private readonly state: StateStore,
    private readonly limits: { maxPerChargePoint: number; expiryMs: number },
    private readonly now: () => number,
  ) {
    this.namespace = `ocpp:${connectorName}:commands`;
    for (const [key, command] of state.entries<QueuedCommand>(this.namespace)) {
      const list = this.byIdentity.get(command.identity) ?? [];
      list.push(command);
      this.byIdentity.set(command.identity, list);
      const number = Number(key.slice(key.lastIndexOf("|") + 1));
      if (Number.isFinite(number))
        this.sequence = Math.max(this.sequence, number);
    }
  }

  /** Queues a command; throws when the charge point's queue is full. */
  enqueue(
    identity: string,
    action: string,
    payload: Record<string, unknown>,
  ): QueuedCommand {
    const list = this.byIdentity.get(identity) ?? [];
    this.dropExpired(identity, list);
    if (list.length >= this.limits.maxPerChargePoint) {
      throw new OcppError(
        "QUBIT_OCPP_COMMAND_QUEUE_FULL",
        `command queue of offline charge point ${identity} is full (${list.length} commands); ${action} not queued`,
        {
          location: { protocol: "ocpp", address: identity },
          fix: "wait for the charge point to reconnect or raise command_queue.max_per_charge_point",
        },
      );
    }
    this.sequence += 1;
    const time = this.now();
    const command: QueuedCommand = {
      id: `${identity}|${String(this.sequence).padStart(12, "0")}`,
      identity,
      action,
      payload,
      queued_at: time,
      expires_at: time + this.limits.expiryMs,
    };
    list.push(command);
    this.byIdentity.set(identity, list);
    this.state.set(this.namespace, command.id, command);
    return command;
  }

  /** Returns the live commands of a charge point in order; expired ones are removed and returned apart. */
  take(identity: string): { live: QueuedCommand[]; expired: QueuedCommand[] } {
    const list = this.byIdentity.get(identity) ?? [];
    const expired = this.dropExpired(identity, list);
    return { live: [...list], expired };
  }

  /** Removes a delivered (or failed) command. */
  remove(command: QueuedCommand): void {
    const list = this.byIdentity.get(command.identity);
    if (list) {
      const index = list.findIndex((entry) => entry.id === command.id);
      if (index >= 0) list.splice(index, 1);
    }
    this.state.delete(this.namespace, command.id);
  }

  /** Number of commands waiting for a charge point. */
  size(identity: string): number {
    return this.byIdentity.get(identity)?.length ?? 0;
  }

  private dropExpired(
    identity: string,
    list: QueuedCommand[],
  ): QueuedCommand[] {
    const time = this.now();
    const expired = list.filter((command) => command.expires_at <= time);
    for (const command of expired) this.remove(command);
    if (list.length === 0) this.byIdentity.delete(identity);
    return expired;
  }
}
