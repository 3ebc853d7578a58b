import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type {
  DeadLetter,
  DeadLetterOutput,
  Output,
  StateStore,
  TimeSeries,
} from "@qubit/core";
import Database from "better-sqlite3";
import { SqliteReadingWriter } from "./sqlite-writer.js";

type SqliteDatabase = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS readings (
  id TEXT PRIMARY KEY,
  asset_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value,
  value_type TEXT NOT NULL,
  unit TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  org_id TEXT,
  site_id TEXT,
  device_id TEXT,
  quality TEXT,
  flags TEXT,
  protocol TEXT NOT NULL,
  address TEXT NOT NULL,
  connector TEXT,
  source TEXT NOT NULL,
  metadata TEXT,
  inserted_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS readings_series ON readings (asset_id, metric, ts_ms);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  connector TEXT NOT NULL,
  protocol TEXT NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  location TEXT NOT NULL,
  fix TEXT,
  raw TEXT NOT NULL,
  raw_encoding TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_connector ON dead_letters (connector);
CREATE TABLE IF NOT EXISTS state (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (namespace, key)
);
`;

/**
 * The embedded store: one SQLite file (WAL mode) with a `readings` table
 * a user can query, a `dead_letters` table and a `state` table for
 * connector state. Opened once per path and shared by the three roles.
 */
export class SqliteStore {
  readonly path: string;
  readonly db: SqliteDatabase;
  private references = 0;
  private static readonly open = new Map<string, SqliteStore>();

  private writers = 0;

  private constructor(path: string) {
    this.path = path;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode syncs only at checkpoints, not at each commit: a
    // crash of the machine may lose the last commits but never corrupts
    // the file.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("journal_size_limit = 67108864");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
  }

  /**
   * Notes a writer thread on this file. While one runs, it checkpoints and
   * this connection does not, so a checkpoint's disk syncs never run on
   * the event loop.
   */
  addWriterThread(): void {
    this.writers += 1;
    this.db.pragma("wal_autocheckpoint = 0");
  }

  /** Notes that a writer thread stopped. */
  removeWriterThread(): void {
    this.writers -= 1;
    if (this.writers === 0 && this.db.open)
      this.db.pragma("wal_autocheckpoint = 1000");
  }

  /** Opens the store at `path`, or returns the instance already open. */
  static acquire(path: string): SqliteStore {
    let store = SqliteStore.open.get(path);
    if (!store) {
      store = new SqliteStore(path);
      SqliteStore.open.set(path, store);
    }
    store.references += 1;
    return store;
  }

  /** Closes the database when its last user releases it. */
  release(): void {
    this.references -= 1;
    if (this.references > 0) return;
    SqliteStore.open.delete(this.path);
    this.db.close();
  }
}

/**
 * Writes readings into the store's `readings` table, one transaction per
 * batch, from a writer thread. `INSERT OR IGNORE` on the deterministic id
 * makes a replayed or re-imported reading a no-op.
 */
export class SqliteOutput implements Output {
  readonly name: string;
  private readonly store: SqliteStore;
  private readonly writer: SqliteReadingWriter;

  constructor(path: string, name = "sqlite") {
    this.name = name;
    this.store = SqliteStore.acquire(path);
    this.store.addWriterThread();
    this.writer = new SqliteReadingWriter(path);
  }

  /** The number of rows the last write inserted (duplicates excluded). */
  lastInserted = 0;

  async write(readings: readonly TimeSeries[]): Promise<void> {
    this.lastInserted = await this.writer.write(readings);
  }

  async close(): Promise<void> {
    await this.writer.close();
    this.store.removeWriterThread();
    this.store.release();
  }
}

/** Writes dead letters into the store's `dead_letters` table. */
export class SqliteDeadLetterOutput implements DeadLetterOutput {
  readonly name = "dead-letter-sqlite";
  private readonly store: SqliteStore;
  private readonly insertBatch: (letters: readonly DeadLetter[]) => void;

  constructor(path: string) {
    this.store = SqliteStore.acquire(path);
    const insert = this.store.db.prepare(
      "INSERT INTO dead_letters (at, connector, protocol, code, reason, location, fix, raw, raw_encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.insertBatch = this.store.db.transaction(
      (letters: readonly DeadLetter[]) => {
        for (const letter of letters) {
          insert.run(
            letter.at,
            letter.connector,
            letter.protocol,
            letter.code,
            letter.reason,
            JSON.stringify(letter.location),
            letter.fix ?? null,
            letter.raw,
            letter.raw_encoding,
          );
        }
      },
    );
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    this.insertBatch(letters);
  }

  async close(): Promise<void> {
    this.store.release();
  }
}

/**
 * Connector state in the store's `state` table; each `set` is its own
 * committed transaction, so it survives a crash of the process.
 */
export class SqliteStateStore implements StateStore {
  private readonly store: SqliteStore;
  private readonly statements;
  private seq = 0;

  constructor(path: string) {
    this.store = SqliteStore.acquire(path);
    const db = this.store.db;
    this.statements = {
      get: db.prepare(
        "SELECT value FROM state WHERE namespace = ? AND key = ?",
      ),
      set: db.prepare(
        "INSERT INTO state (namespace, key, value, seq) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
      ),
      delete: db.prepare("DELETE FROM state WHERE namespace = ? AND key = ?"),
      entries: db.prepare(
        "SELECT key, value FROM state WHERE namespace = ? ORDER BY seq",
      ),
      maxSeq: db.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM state"),
    };
    this.seq = (this.statements.maxSeq.get() as { seq: number }).seq;
  }

  get<T = unknown>(namespace: string, key: string): T | undefined {
    const row = this.statements.get.get(namespace, key) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(namespace: string, key: string, value: unknown): void {
    this.seq += 1;
    this.statements.set.run(namespace, key, JSON.stringify(value), this.seq);
  }

  delete(namespace: string, key: string): void {
    this.statements.delete.run(namespace, key);
  }

  entries<T = unknown>(namespace: string): [string, T][] {
    const rows = this.statements.entries.all(namespace) as {
      key: string;
      value: string;
    }[];
    return rows.map((row) => [row.key, JSON.parse(row.value) as T]);
  }

  close(): void {
    this.store.release();
  }
}
