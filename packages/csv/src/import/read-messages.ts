import { noopLogger, parseConfig, type SourceMessage } from "@qubit/core";
import { type CsvConfig, CsvConfigSchema } from "../config.js";
import type { CsvConfigInput } from "../csv-connector.js";
import { FileImport } from "./file-import.js";
import { openInput } from "./open-input.js";

/**
 * Yields the messages (rows or records) of one file in order, converted
 * lazily, without a connector, checkpoint or error limit: what `qubit
 * convert csv` shows. The file is opened before the first message, so a
 * missing column throws from the first `next()`.
 */
export async function* readFileMessages(
  input: CsvConfigInput,
  options: { connector?: string; now?: () => number } = {},
): AsyncGenerator<SourceMessage> {
  const config = parseConfig<CsvConfig>(CsvConfigSchema, input, "csv").value;
  const queue: SourceMessage[] = [];
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  let done = false;
  const signal = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const abort = new AbortController();
  const importer = new FileImport({
    config: {
      ...config,
      resume: false,
      max_errors: null,
      max_error_ratio: null,
    },
    connector: options.connector ?? config.name ?? "csv",
    logger: noopLogger,
    state: undefined,
    now: options.now ?? Date.now,
    openSource: openInput,
    deliver: (message) => {
      queue.push(message);
      signal();
      return Promise.resolve();
    },
    saturated: () => queue.length >= 1000,
    whenWritable: () =>
      new Promise<void>((resolve) => {
        drained = resolve;
      }),
    signal: abort.signal,
  });
  await importer.open();
  const running = importer.run().finally(() => {
    done = true;
    signal();
  });
  try {
    for (;;) {
      const message = queue.shift();
      if (message) {
        if (queue.length < 500 && drained) {
          const resolve = drained;
          drained = undefined;
          resolve();
        }
        yield message;
        continue;
      }
      if (done) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    const summary = await running;
    if (summary.status === "failed" && importer.error) throw importer.error;
  } finally {
    abort.abort();
    drained?.();
  }
}
