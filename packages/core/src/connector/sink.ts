import type { PipelineEntry } from "./message.js";

/**
 * Where a connector delivers converted messages: the pipeline, or the
 * queue behind `connector.process()`.
 */
export interface MessageSink {
  /**
   * Accepts one converted message. The promise resolves once its readings
   * are written by every output (or held by an output's buffer) and its
   * rejects are in the dead-letter output: the moment a connector may
   * acknowledge the input to its peer. It rejects only when the sink is
   * closed before that.
   */
  submit(entry: PipelineEntry): Promise<void>;
  /** True while the sink holds more pending readings than its limit. */
  readonly saturated: boolean;
  /** Resolves when the sink is below its limit again. */
  whenWritable(): Promise<void>;
}
