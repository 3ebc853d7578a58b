import { resolve } from "node:path";
import type { StateStore } from "@qubit/core";

/** Where an import stands, as saved in the state store. */
export interface Checkpoint {
  /** Hash of the file's first 64 KiB (or all of it, when smaller). */
  fingerprint: string;
  /** File size when the checkpoint was saved. */
  size: number;
  /** Byte offset (decoded UTF-8, without BOM) after the last accepted row. */
  offset: number;
  /** Physical line of the last accepted row. */
  line: number;
  /** Data rows accepted so far (records, for JSON files). */
  rows: number;
  /** True once every row was read and accepted. */
  completed: boolean;
  updated_at: string;
}

/** State-store namespace of import checkpoints. */
export const CHECKPOINT_NAMESPACE = "csv.import";

/**
 * Loads and saves the checkpoint of one file for one connector, keyed by
 * connector name and absolute path.
 */
export class CheckpointStore {
  readonly key: string;
  private readonly state: StateStore | undefined;
  private saved: Checkpoint | undefined;

  constructor(state: StateStore | undefined, connector: string, path: string) {
    this.state = state;
    this.key = `${connector}\u001f${resolve(path)}`;
  }

  load(): Checkpoint | undefined {
    this.saved = this.state?.get<Checkpoint>(CHECKPOINT_NAMESPACE, this.key);
    return this.saved;
  }

  /** Saves a checkpoint unless an equal or later one is saved already. */
  save(checkpoint: Checkpoint): void {
    const saved = this.saved;
    if (
      saved &&
      saved.fingerprint === checkpoint.fingerprint &&
      (saved.rows > checkpoint.rows ||
        (saved.rows === checkpoint.rows &&
          saved.completed === checkpoint.completed))
    ) {
      return;
    }
    this.saved = checkpoint;
    this.state?.set(CHECKPOINT_NAMESPACE, this.key, checkpoint);
  }

  clear(): void {
    this.saved = undefined;
    this.state?.delete(CHECKPOINT_NAMESPACE, this.key);
  }
}
