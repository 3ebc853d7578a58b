import { MemoryStateStore, type StateStore } from "@qubit/core";
import type { SignedSample } from "../meter/sampled-values.js";
import type { OcppVersion } from "../versions.js";

/** One charging transaction, as stored and as the session record. */
export interface TransactionRecord {
  identity: string;
  transaction_id: string;
  /** Connector (1.6) or EVSE (2.0.1) the transaction runs on. */
  connector_id: number;
  version: OcppVersion;
  status: "active" | "ended";
  id_tag?: string;
  started_at: string;
  /** Energy register at the start, in Wh. */
  meter_start_wh?: number;
  /** Latest energy register seen, in Wh. */
  last_register_wh?: number;
  last_register_at?: string;
  /** 2.0.1: the last TransactionEvent seqNo and the gaps seen. */
  last_seq_no?: number;
  sequence_gaps?: number;
  offline_events?: number;
  signed_data: SignedSample[];
  stopped_at?: string;
  meter_stop_wh?: number;
  stop_reason?: string;
  /**
   * Energy charged: stop register minus start register, in Wh. Not set
   * when the stop register is below the start register.
   */
  energy_wh?: number;
}

/**
 * Maximum time the latest register of an active transaction may live in
 * memory only, in ms. Starts and stops are written at once; a crash loses
 * at most this much of the in-between register, which only matters for a
 * 2.0.1 transaction that then ends without meter values.
 */
const REGISTER_PERSIST_INTERVAL_MS = 60_000;

/**
 * Transactions of one connector instance, kept in the injected state
 * store so that a restart of the process in the middle of a session
 * completes it correctly. Active transactions are cached in memory;
 * every change of state is written through.
 */
export class TransactionStore {
  private readonly state: StateStore;
  private readonly namespace: string;
  private readonly activeNamespace: string;
  private readonly counterNamespace: string;
  /**
   * Active transactions per charge point, then per transaction id: two
   * lookups with strings the caller already has, instead of building a
   * key for every meter value.
   */
  private readonly cache = new Map<string, Map<string, TransactionRecord>>();
  /** Active transaction id per `<identity>|<connector>`; null when none. */
  private readonly active = new Map<string, string | null>();
  /** When each cached record was last written to the store, in epoch ms. */
  private readonly persistedAt = new WeakMap<TransactionRecord, number>();

  private readonly now: () => number;
  private lastTransactionId: number | undefined;

  constructor(
    connectorName: string,
    state: StateStore = new MemoryStateStore(),
    now: () => number = Date.now,
  ) {
    this.state = state;
    this.now = now;
    this.namespace = `ocpp:${connectorName}:transactions`;
    this.activeNamespace = `ocpp:${connectorName}:active`;
    this.counterNamespace = `ocpp:${connectorName}:counters`;
  }

  /** Issues the next 1.6 transaction id; the counter is persisted. */
  nextTransactionId(): number {
    // Read once: this store is the only writer of its counter.
    this.lastTransactionId ??=
      this.state.get<number>(this.counterNamespace, "transaction_id") ?? 0;
    this.lastTransactionId += 1;
    this.state.set(
      this.counterNamespace,
      "transaction_id",
      this.lastTransactionId,
    );
    return this.lastTransactionId;
  }

  /** Returns a transaction by charger and id. */
  get(identity: string, transactionId: string): TransactionRecord | undefined {
    const cached = this.cache.get(identity)?.get(transactionId);
    if (cached) return cached;
    const stored = this.state.get<TransactionRecord>(
      this.namespace,
      recordKey(identity, transactionId),
    );
    if (stored?.status === "active") this.cacheRecord(stored);
    return stored;
  }

  /** Returns the active transaction on a connector, if any. */
  activeOn(
    identity: string,
    connectorId: number,
  ): TransactionRecord | undefined {
    const key = `${identity}|${connectorId}`;
    let id = this.active.get(key);
    if (id === undefined) {
      id = this.state.get<string>(this.activeNamespace, key) ?? null;
      this.active.set(key, id);
    }
    return id === null ? undefined : this.get(identity, id);
  }

  /** Stores a new active transaction. */
  start(record: TransactionRecord): void {
    this.cacheRecord(record);
    this.write(record);
    const activeKey = `${record.identity}|${record.connector_id}`;
    this.active.set(activeKey, record.transaction_id);
    this.state.set(this.activeNamespace, activeKey, record.transaction_id);
  }

  /**
   * Records the latest register of an active transaction. Written to the
   * store at most once per minute (see REGISTER_PERSIST_INTERVAL_MS).
   */
  updateRegister(record: TransactionRecord, wh: number, at: string): void {
    if (record.meter_start_wh === undefined) record.meter_start_wh = wh;
    if (
      record.last_register_at === undefined ||
      at >= record.last_register_at
    ) {
      record.last_register_wh = wh;
      record.last_register_at = at;
    }
    const last = this.persistedAt.get(record) ?? 0;
    if (this.now() - last >= REGISTER_PERSIST_INTERVAL_MS) this.write(record);
  }

  /** Writes a changed record through to the store at once. */
  save(record: TransactionRecord): void {
    this.write(record);
  }

  /** Ends a transaction and returns it with its energy. */
  end(
    record: TransactionRecord,
    stop: { at: string; meterStopWh?: number; reason?: string },
  ): TransactionRecord {
    record.status = "ended";
    record.stopped_at = stop.at;
    if (stop.meterStopWh !== undefined) record.meter_stop_wh = stop.meterStopWh;
    else if (record.last_register_wh !== undefined)
      record.meter_stop_wh = record.last_register_wh;
    if (stop.reason !== undefined) record.stop_reason = stop.reason;
    if (
      record.meter_start_wh !== undefined &&
      record.meter_stop_wh !== undefined &&
      record.meter_stop_wh >= record.meter_start_wh
    )
      record.energy_wh = record.meter_stop_wh - record.meter_start_wh;
    const key = recordKey(record.identity, record.transaction_id);
    const cached = this.cache.get(record.identity);
    cached?.delete(record.transaction_id);
    if (cached?.size === 0) this.cache.delete(record.identity);
    this.persistedAt.delete(record);
    this.state.set(this.namespace, key, record);
    const activeKey = `${record.identity}|${record.connector_id}`;
    if (
      this.activeOn(record.identity, record.connector_id)?.transaction_id ===
      record.transaction_id
    ) {
      this.state.delete(this.activeNamespace, activeKey);
      this.active.set(activeKey, null);
    }
    return record;
  }

  /** Returns every transaction, active and ended, in start order. */
  all(): TransactionRecord[] {
    return this.state
      .entries<TransactionRecord>(this.namespace)
      .map(
        ([, stored]) =>
          this.cache.get(stored.identity)?.get(stored.transaction_id) ?? stored,
      );
  }

  private cacheRecord(record: TransactionRecord): void {
    let records = this.cache.get(record.identity);
    if (!records) {
      records = new Map();
      this.cache.set(record.identity, records);
    }
    records.set(record.transaction_id, record);
  }

  private write(record: TransactionRecord): void {
    const key = recordKey(record.identity, record.transaction_id);
    this.state.set(this.namespace, key, record);
    this.persistedAt.set(record, this.now());
  }
}

function recordKey(identity: string, transactionId: string): string {
  return `${identity}|${transactionId}`;
}
