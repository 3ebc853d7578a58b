import type { Diagnostic } from "../connector/message.js";
import type { Logger } from "../logger.js";
import type { MetricsRegistry } from "../metrics/registry.js";
import type { QualityMonitor } from "../quality/monitor.js";
import type { UnitMode } from "../timeseries/reading.js";
import type { TimeSeries } from "../timeseries/schema.js";
import type { DeadLetter, DeadLetterOutput, Output } from "./output.js";
import type { TimeWindow } from "./plausibility.js";

/** Options of {@link Pipeline}. */
export interface PipelineOptions {
  /** Outputs of the readings; a batch is done when every output has it. */
  outputs: Output[];
  /** Outputs of the rejects; default an in-memory ring of 10,000. */
  deadLetters?: DeadLetterOutput[];
  /** Readings per batch; default 500. */
  batchSize?: number;
  /** Maximum wait of a reading for its batch to fill, in ms; default 200. */
  batchIntervalMs?: number;
  /**
   * Readings held (batched or being written) above which the pipeline
   * reports itself saturated and connectors slow down; default 20,000.
   */
  maxPendingReadings?: number;
  /** `base` converts values to base units (default); `canonical` keeps the scale. */
  unitMode?: UnitMode;
  /** Reading ids remembered to drop duplicates; default 100,000, 0 disables. */
  dedupWindow?: number;
  /**
   * Time window of accepted timestamps; readings outside it go to the
   * dead letters. Default: from 1990-01-01 to one day ahead of now.
   */
  timeWindow?: TimeWindow;
  /** Flags frozen and out-of-range values and scores each connector. */
  quality?: QualityMonitor;
  /** First retry delay of a failed output write, in ms; default 100. */
  retryInitialDelayMs?: number;
  /** Maximum retry delay of a failed output write, in ms; default 30,000. */
  retryMaxDelayMs?: number;
  logger?: Logger;
  registry?: MetricsRegistry;
  /** Pipeline name in metrics and logs; default `main`. */
  name?: string;
  now?: () => number;
}

/** Counts of what a pipeline did, per connector and in total. */
export interface PipelineStats {
  messages: number;
  readings_written: number;
  readings_invalid: number;
  readings_duplicate: number;
  readings_conflict: number;
  dead_letters: number;
  diagnostics: number;
  pending_readings: number;
  by_connector: Record<
    string,
    {
      messages: number;
      readings: number;
      dead_letters: number;
      diagnostics: number;
    }
  >;
}

/** Events of a {@link Pipeline}. */
export interface PipelineEvents {
  diagnostic: [Diagnostic & { connector: string }];
  "dead-letter": [DeadLetter];
  written: [readonly TimeSeries[]];
}
