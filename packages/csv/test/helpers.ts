import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ConnectorContext,
  type DeadLetter,
  type Diagnostic,
  MemoryDeadLetterOutput,
  MemoryOutput,
  Pipeline,
  type TimeSeries,
} from "@qubit/core";
import { expect } from "vitest";
import {
  type CsvConfigInput,
  CsvConnector,
  type CsvConnectorOptions,
  type ImportSummary,
} from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Path of a fixture file. */
export function fixture(...parts: string[]): string {
  return join(here, "fixtures", ...parts);
}

/** Path of a real export copied into the fixtures. */
export function realdata(name: string): string {
  return fixture("realdata", name);
}

/** Creates a temporary folder; `remove` deletes it. */
export function tempDir(prefix = "qubit-csv-"): {
  dir: string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A reading whose source has the finer place keys (line, record, page). */
export type PlacedReading = TimeSeries & {
  source: TimeSeries["source"] & Record<string, string | number | undefined>;
};

/** What one import produced, after the pipeline (base units). */
export interface ImportResult {
  readings: PlacedReading[];
  deadLetters: DeadLetter[];
  diagnostics: Diagnostic[];
  summary: ImportSummary | undefined;
  connector: CsvConnector;
  /** Connector status once the file was read, before disconnect. */
  status: string;
  duplicates: number;
}

/**
 * Imports one file through a real pipeline into memory and waits for the
 * end: readings in base units (W, Wh, ...), dead letters and warnings.
 */
export async function importFile(
  config: CsvConfigInput,
  context: ConnectorContext = {},
  options: CsvConnectorOptions = {},
): Promise<ImportResult> {
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
  const connector = new CsvConnector(config, context, options);
  connector.attach(pipeline);
  await connector.connect();
  await connector.finished.catch(() => undefined);
  const status = connector.status;
  await connector.disconnect();
  await pipeline.close();
  return {
    readings: output.readings as PlacedReading[],
    deadLetters: deadLetters.letters,
    diagnostics,
    summary: connector.summary,
    connector,
    status,
    duplicates: pipeline.stats().readings_duplicate,
  };
}

/** Finds the one reading of a metric (and asset) at a timestamp. */
export function reading(
  readings: readonly TimeSeries[],
  metric: string,
  timestamp: string,
  asset?: string,
): PlacedReading {
  const found = readings.filter(
    (item) =>
      item.metric === metric &&
      item.timestamp === timestamp &&
      (asset === undefined || item.asset_id === asset),
  );
  expect(found, `${metric} at ${timestamp}`).toHaveLength(1);
  return found[0] as PlacedReading;
}

/** Asserts that no two readings share an id. */
export function expectUniqueIds(readings: readonly TimeSeries[]): void {
  expect(new Set(readings.map((item) => item.id)).size).toBe(readings.length);
}
