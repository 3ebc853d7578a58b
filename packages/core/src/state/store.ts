import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";

/**
 * Key-value state that must survive a restart: OCPP transactions and
 * queues, import checkpoints, REST cursors. Values are JSON. Calls are
 * synchronous so that a state change and the action it records happen in
 * one step; implementations must make `set` durable before returning.
 */
export interface StateStore {
  get<T = unknown>(namespace: string, key: string): T | undefined;
  set(namespace: string, key: string, value: unknown): void;
  delete(namespace: string, key: string): void;
  /** Returns every entry of a namespace, in insertion order. */
  entries<T = unknown>(namespace: string): [string, T][];
  close(): void;
}

/** State in memory only; for tests and one-off conversions. */
export class MemoryStateStore implements StateStore {
  protected readonly data = new Map<string, Map<string, unknown>>();

  get<T = unknown>(namespace: string, key: string): T | undefined {
    const value = this.data.get(namespace)?.get(key);
    return value === undefined ? undefined : (structuredClone(value) as T);
  }

  set(namespace: string, key: string, value: unknown): void {
    let map = this.data.get(namespace);
    if (!map) {
      map = new Map();
      this.data.set(namespace, map);
    }
    map.set(key, structuredClone(value));
  }

  delete(namespace: string, key: string): void {
    this.data.get(namespace)?.delete(key);
  }

  entries<T = unknown>(namespace: string): [string, T][] {
    const map = this.data.get(namespace);
    if (!map) return [];
    return [...map].map(([key, value]) => [key, structuredClone(value) as T]);
  }

  close(): void {}
}

interface LogRecord {
  n: string;
  k: string;
  v?: unknown;
  d?: true;
}

/**
 * State in an append-only NDJSON file, replayed on open and compacted when
 * the log grows to 4 times its live size. For library users without the
 * runner's SQLite store; each `set` is one synchronous append, durable
 * against a crash of the process (not of the machine: it does not fsync).
 */
export class FileStateStore extends MemoryStateStore {
  readonly path: string;
  private records = 0;

  constructor(path: string) {
    super();
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) this.replay();
  }

  override set(namespace: string, key: string, value: unknown): void {
    super.set(namespace, key, value);
    this.append({ n: namespace, k: key, v: value });
  }

  override delete(namespace: string, key: string): void {
    super.delete(namespace, key);
    this.append({ n: namespace, k: key, d: true });
  }

  private append(record: LogRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
    this.records += 1;
    const live = [...this.data.values()].reduce(
      (sum, map) => sum + map.size,
      0,
    );
    if (this.records > 1000 && this.records > live * 4) this.compact();
  }

  private replay(): void {
    const lines = readFileSync(this.path, "utf8").split("\n");
    for (const line of lines) {
      if (line.trim() === "") continue;
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        // A torn last line from a crash mid-append is skipped.
        continue;
      }
      if (record.d) super.delete(record.n, record.k);
      else super.set(record.n, record.k, record.v);
      this.records += 1;
    }
  }

  private compact(): void {
    const temporary = `${this.path}.tmp`;
    let text = "";
    let count = 0;
    for (const [namespace, map] of this.data) {
      for (const [key, value] of map) {
        text += `${JSON.stringify({ n: namespace, k: key, v: value })}\n`;
        count += 1;
      }
    }
    writeFileSync(temporary, text);
    renameSync(temporary, this.path);
    this.records = count;
  }
}
