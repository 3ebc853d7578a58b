import { MemoryStateStore, type StateStore } from "@qubit/core";

/** A CALL waiting to be sent. */
export interface PendingCall {
  /** Order key; also the state store key. */
  key: string;
  action: string;
  payload: Record<string, unknown>;
  /** 1.6: fill `transactionId` from the StartTransaction with this reference. */
  transactionRef?: string;
  /** 1.6 StartTransaction: remember the answered transactionId under this reference. */
  defineRef?: string;
  /** Kept across disconnects and restarts (transaction-related messages). */
  durable: boolean;
  queuedAt: number;
}

/** Actions the OCPP specifications say a charger must keep while offline. */
export function isTransactionMessage(
  action: string,
  payload: Record<string, unknown>,
): boolean {
  if (
    action === "StartTransaction" ||
    action === "StopTransaction" ||
    action === "TransactionEvent"
  )
    return true;
  return action === "MeterValues" && payload.transactionId !== undefined;
}

/**
 * The charge point client's outgoing CALLs in order. Transaction-related
 * ones are written to the state store, so they are replayed after a
 * reconnect or a restart, unchanged (with their original timestamps).
 * When full, the oldest meter values are dropped first; starts and stops
 * are never dropped.
 */
export class OfflineQueue {
  private readonly items: PendingCall[] = [];
  private readonly namespace: string;
  private readonly refsNamespace: string;
  private sequence = 0;
  /** Meter values dropped because the queue was full. */
  dropped = 0;

  constructor(
    identity: string,
    private readonly max: number,
    private readonly state: StateStore = new MemoryStateStore(),
  ) {
    this.namespace = `ocpp-client:${identity}:queue`;
    this.refsNamespace = `ocpp-client:${identity}:transaction-refs`;
    for (const [key, item] of state.entries<PendingCall>(this.namespace)) {
      this.items.push(item);
      this.sequence = Math.max(this.sequence, Number(key));
    }
    this.items.sort((a, b) => a.key.localeCompare(b.key));
  }

  get length(): number {
    return this.items.length;
  }

  /** Returns the next call without removing it. */
  peek(): PendingCall | undefined {
    return this.items[0];
  }

  /** Adds a call at the end. Returns false when it cannot be kept. */
  push(call: Omit<PendingCall, "key">): PendingCall | undefined {
    if (this.items.length >= this.max && !this.makeRoom()) return undefined;
    this.sequence += 1;
    const item: PendingCall = {
      ...call,
      key: String(this.sequence).padStart(12, "0"),
    };
    this.items.push(item);
    if (item.durable) this.state.set(this.namespace, item.key, item);
    return item;
  }

  /** Removes a call that was answered (or failed for good). */
  remove(item: PendingCall): void {
    const index = this.items.indexOf(item);
    if (index >= 0) this.items.splice(index, 1);
    if (item.durable) this.state.delete(this.namespace, item.key);
  }

  /** Removes every call that is not durable and returns them. */
  dropVolatile(): PendingCall[] {
    const volatile = this.items.filter((item) => !item.durable);
    for (const item of volatile) this.items.splice(this.items.indexOf(item), 1);
    return volatile;
  }

  /** Stores the 1.6 transaction id a StartTransaction got. */
  defineRef(ref: string, transactionId: unknown): void {
    this.state.set(this.refsNamespace, ref, transactionId);
  }

  /** Returns the transaction id of a reference, once its start was answered. */
  resolveRef(ref: string): unknown {
    return this.state.get(this.refsNamespace, ref);
  }

  private makeRoom(): boolean {
    const index = this.items.findIndex((item) => item.action === "MeterValues");
    if (index < 0) return false;
    const [item] = this.items.splice(index, 1);
    if (item?.durable) this.state.delete(this.namespace, item.key);
    this.dropped += 1;
    return true;
  }
}
