import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { OutputError, type TimeSeries } from "@qubit/core";

/** One row of the `readings` table, in column order. */
type Row = unknown[];

// The writer thread: its own connection inserts each batch in one
// transaction, so the inserts never hold the event loop of the
// connectors. It checkpoints only when the WAL has grown to 64 MiB,
// which happens when the checkpoint thread below falls behind.
const WRITER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("cache_size = -65536");
db.pragma("busy_timeout = 5000");
db.pragma("journal_size_limit = 67108864");
db.pragma("wal_autocheckpoint = 16384");
const insert = db.prepare(
  "INSERT OR IGNORE INTO readings (id, asset_id, metric, value, value_type, unit, timestamp, ts_ms, org_id, site_id, device_id, quality, flags, protocol, address, connector, source, metadata, inserted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
);
const insertAll = db.transaction((rows) => {
  let inserted = 0;
  for (const row of rows) inserted += insert.run(row).changes;
  return inserted;
});
parentPort.on("message", (message) => {
  if (message.type === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: message.id, inserted: insertAll(message.rows) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

// The checkpoint thread copies the WAL into the database file every
// interval. A passive checkpoint does not block the writer, so the disk
// syncs of a checkpoint (tens of milliseconds each on a busy disk) no
// longer delay the batch being inserted, and with it every reading that
// waits to be acknowledged. A failed checkpoint is tried again at the
// next interval.
const CHECKPOINT_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {}
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message.type !== "close") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/** Time between two checkpoints of the checkpoint thread, in ms. */
const CHECKPOINT_INTERVAL_MS = 500;

const moduleRequire = createRequire(import.meta.url);

interface Pending {
  resolve: (inserted: number) => void;
  reject: (error: Error) => void;
}

/**
 * Inserts readings into a store's `readings` table from a worker thread.
 * A batch costs the event loop only its conversion to rows and the copy
 * to the thread; the insert and the checkpoints run beside it.
 */
export class SqliteReadingWriter {
  private readonly path: string;
  private worker: Worker | undefined;
  private checkpointer: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly sourceJson = new WeakMap<object, string>();

  constructor(path: string) {
    this.path = path;
  }

  /** Inserts a batch; resolves with the rows inserted (duplicates excluded). */
  write(readings: readonly TimeSeries[]): Promise<number> {
    const worker = this.start();
    const id = this.nextId++;
    const rows = readings.map((reading) => this.toRow(reading));
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ type: "write", id, rows });
    });
  }

  /** Stops the threads after the writes in flight. */
  async close(): Promise<void> {
    const worker = this.worker;
    const checkpointer = this.checkpointer;
    this.worker = undefined;
    this.checkpointer = undefined;
    if (worker) await stopThread(worker);
    if (checkpointer) await stopThread(checkpointer);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: {
        path: this.path,
        module: moduleRequire.resolve("better-sqlite3"),
      },
    });
    worker.on(
      "message",
      (message: { id: number; inserted?: number; error?: string }) => {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        if (message.error === undefined) pending.resolve(message.inserted ?? 0);
        else pending.reject(this.failure(message.error));
      },
    );
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of this.pending.values())
        pending.reject(this.failure(error.message));
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (code !== 0) fail(new Error(`writer thread exited with code ${code}`));
    });
    this.worker = worker;
    this.startCheckpointer();
    return worker;
  }

  private startCheckpointer(): void {
    if (this.checkpointer || this.path === ":memory:") return;
    const checkpointer = new Worker(CHECKPOINT_SOURCE, {
      eval: true,
      workerData: {
        path: this.path,
        module: moduleRequire.resolve("better-sqlite3"),
        intervalMs: CHECKPOINT_INTERVAL_MS,
      },
    });
    // Without this thread the writer still checkpoints at 64 MiB of WAL,
    // so its loss costs latency, not data.
    checkpointer.on("error", () => undefined);
    checkpointer.on("exit", () => {
      if (this.checkpointer === checkpointer) this.checkpointer = undefined;
    });
    this.checkpointer = checkpointer;
  }

  private failure(reason: string): OutputError {
    return new OutputError(
      "QUBIT_CORE_OUTPUT_FAILED",
      `SQLite insert into ${this.path} failed: ${reason}`,
      {
        location: { address: this.path },
        fix: "check free disk space and that the file is writable; the batch is retried",
      },
    );
  }

  private toRow(reading: TimeSeries): Row {
    const value = reading.value;
    const stored =
      value === null
        ? null
        : typeof value === "boolean"
          ? value
            ? 1
            : 0
          : value;
    const valueType = value === null ? "null" : typeof value;
    return [
      reading.id,
      reading.asset_id,
      reading.metric,
      stored,
      valueType,
      reading.unit,
      reading.timestamp,
      Date.parse(reading.timestamp),
      reading.org_id ?? null,
      reading.site_id ?? null,
      reading.device_id ?? null,
      reading.quality ?? null,
      reading.flags ? JSON.stringify(reading.flags) : null,
      reading.source.protocol,
      reading.source.address,
      reading.source.connector ?? null,
      this.jsonOfSource(reading.source),
      reading.metadata ? JSON.stringify(reading.metadata) : null,
      Date.now(),
    ];
  }

  // Connectors share one source object among the readings of a message,
  // so its JSON is made once per object.
  private jsonOfSource(source: TimeSeries["source"]): string {
    let json = this.sourceJson.get(source);
    if (json === undefined) {
      json = JSON.stringify(source);
      this.sourceJson.set(source, json);
    }
    return json;
  }
}

/** Asks a thread to close its database and waits until it has exited. */
function stopThread(thread: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) =>
    thread.once("exit", () => resolve()),
  );
  thread.postMessage({ type: "close" });
  return exited;
}
