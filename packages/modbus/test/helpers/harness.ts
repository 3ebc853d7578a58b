import {
  type Diagnostic,
  MemoryDeadLetterOutput,
  MemoryOutput,
  Pipeline,
  type TimeSeries,
} from "@qubit/core";
import { type ModbusConfig, ModbusConnector } from "../../src/index.js";

/** A connector wired to a pipeline with memory outputs and a test clock. */
export interface Harness {
  connector: ModbusConnector;
  pipeline: Pipeline;
  output: MemoryOutput;
  deadLetters: MemoryDeadLetterOutput;
  diagnostics: Diagnostic[];
  clock: { now: number };
  /** Readings of one metric in arrival order. */
  of(metric: string): TimeSeries[];
  close(): Promise<void>;
}

/** Builds a connector whose readings go through a real pipeline. */
export function harness(config: ModbusConfig, name = "modbus-test"): Harness {
  const clock = { now: Date.parse("2025-01-15T10:00:00.000Z") };
  const output = new MemoryOutput();
  const deadLetters = new MemoryDeadLetterOutput();
  const pipeline = new Pipeline({
    outputs: [output],
    deadLetters: [deadLetters],
    batchIntervalMs: 5,
    dedupWindow: 0,
  });
  const diagnostics: Diagnostic[] = [];
  pipeline.on("diagnostic", (diagnostic) => diagnostics.push(diagnostic));
  const connector = new ModbusConnector(config, {
    name,
    now: () => clock.now,
  });
  connector.attach(pipeline);
  return {
    connector,
    pipeline,
    output,
    deadLetters,
    diagnostics,
    clock,
    of: (metric) =>
      output.readings.filter((reading) => reading.metric === metric),
    async close() {
      await connector.disconnect();
      await pipeline.close();
    },
  };
}

/** Waits until a condition holds, polling every 20 ms. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
