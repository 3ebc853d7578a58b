import {
  type Diagnostic,
  type Logger,
  MemoryDeadLetterOutput,
  MemoryOutput,
  type MetricsRegistry,
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
export function harness(
  config: ModbusConfig,
  name = "modbus-test",
  extra: { logger?: Logger; registry?: MetricsRegistry } = {},
): Harness {
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
    ...extra,
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

/** One log entry of a {@link recordingLogger}. */
export interface LogEntry {
  level: string;
  context: Record<string, unknown>;
  message: string | undefined;
}

/** Creates a logger that keeps every entry, with its children's bindings. */
export function recordingLogger(
  entries: LogEntry[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { entries: LogEntry[] } {
  const write =
    (level: string) =>
    (context: object, message?: string): void => {
      entries.push({ level, context: { ...bindings, ...context }, message });
    };
  return {
    entries,
    trace: write("trace"),
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    fatal: write("fatal"),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
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
