import {
  type DeadLetter,
  type Diagnostic,
  MemoryDeadLetterOutput,
  MemoryOutput,
  Pipeline,
  type SourceMessage,
  type TimeSeries,
} from "@qubit/core";

/** What a run of messages through a real pipeline gave. */
export interface PipelineRun {
  readings: TimeSeries[];
  deadLetters: DeadLetter[];
  diagnostics: Diagnostic[];
}

/**
 * Sends messages through a Pipeline with memory outputs, so values are
 * compared after the pipeline's unit conversion to base units.
 */
export async function runThroughPipeline(
  messages: Iterable<SourceMessage>,
): Promise<PipelineRun> {
  const output = new MemoryOutput();
  const deadLetters = new MemoryDeadLetterOutput();
  const diagnostics: Diagnostic[] = [];
  const pipeline = new Pipeline({
    outputs: [output],
    deadLetters: [deadLetters],
    batchIntervalMs: 5,
    dedupWindow: 0,
  });
  pipeline.on("diagnostic", (diagnostic) => diagnostics.push(diagnostic));
  await pipeline.open();
  const pending: Promise<void>[] = [];
  for (const message of messages) {
    pending.push(pipeline.submit({ message, result: message.convert() }));
  }
  await Promise.all(pending);
  await pipeline.close();
  return {
    readings: output.readings,
    deadLetters: deadLetters.letters,
    diagnostics,
  };
}

/** Finds the one reading of an asset, metric and time, or fails. */
export function pick(
  readings: readonly TimeSeries[],
  assetId: string,
  metric: string,
  timestamp?: string,
): TimeSeries {
  const found = readings.filter(
    (reading) =>
      reading.asset_id === assetId &&
      reading.metric === metric &&
      (timestamp === undefined || reading.timestamp === timestamp),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one reading ${assetId} ${metric} ${timestamp ?? ""}, found ${found.length}: ${JSON.stringify(readings.map((r) => `${r.asset_id} ${r.metric} ${r.timestamp} ${String(r.value)}`))}`,
    );
  }
  return found[0] as TimeSeries;
}
