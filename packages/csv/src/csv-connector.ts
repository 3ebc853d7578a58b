import {
  BaseConnector,
  type ConnectorContext,
  parseConfig,
  type SourceMessage,
} from "@qubit/core";
import { type CsvConfig, CsvConfigSchema } from "./config.js";
import { FileImport, type ImportSummary } from "./import/file-import.js";
import { openInput } from "./import/open-input.js";
import type { ImportProgress } from "./import/progress.js";
import type { DeepPartial, MappingInput } from "./mapping/schema.js";

/**
 * Config of {@link CsvConnector} as a user writes it: keys with a default
 * may be left out.
 */
export type CsvConfigInput = DeepPartial<Omit<CsvConfig, "mapping">> & {
  file_path: string;
  mapping: MappingInput;
};

/** Options of {@link CsvConnector} besides its config. */
export interface CsvConnectorOptions {
  /** Called with the progress every `progress_interval_ms` and at the end. */
  onProgress?: (progress: ImportProgress) => void;
}

/**
 * Imports one CSV, JSON, NDJSON or Green Button file as readings, as a
 * finite source. `connect()` opens the file and checks the mapping
 * against its header, and throws when a column is missing. The rows then
 * stream into the sink with back-pressure. When every row is read and
 * accepted, the status becomes `completed` and `finished` resolves. With
 * a state store in the context, the import saves checkpoints and resumes
 * after the last accepted row, and skips a file imported unchanged.
 *
 * @example
 * ```ts
 * const connector = new CsvConnector({
 *   file_path: "/data/historical_generation.csv",
 *   mapping: { timestamp: "DateTime", asset_id: "InverterID",
 *              value: "Generation_kWh", unit: "kWh" },
 *   timestamp_format: "%Y-%m-%d %H:%M:%S",
 *   timezone: "America/Los_Angeles",
 * });
 * for await (const batch of connector.process()) console.log(batch.length);
 * ```
 */
export class CsvConnector extends BaseConnector<SourceMessage> {
  readonly protocol = "csv";
  override readonly finite = true;
  readonly config: CsvConfig;
  private readonly progressListeners: ((progress: ImportProgress) => void)[] =
    [];
  private importer: FileImport | undefined;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private lastSummary: ImportSummary | undefined;

  constructor(
    config: CsvConfigInput,
    context: ConnectorContext = {},
    options: CsvConnectorOptions = {},
  ) {
    const parsed = parseConfig<CsvConfig>(CsvConfigSchema, config, "csv").value;
    super(parsed.name ?? "csv", context);
    this.config = parsed;
    if (options.onProgress) this.progressListeners.push(options.onProgress);
  }

  /** Adds a progress callback; see {@link ImportProgress}. */
  onProgress(listener: (progress: ImportProgress) => void): this {
    this.progressListeners.push(listener);
    return this;
  }

  /** Current progress of the import. */
  progress(): ImportProgress | undefined {
    return this.importer?.progress();
  }

  /** Summary of the import, once it ended. */
  get summary(): ImportSummary | undefined {
    return this.lastSummary;
  }

  protected async start(): Promise<void> {
    this.abort = new AbortController();
    const importer = new FileImport({
      config: this.config,
      connector: this.name,
      logger: this.logger,
      state: this.state,
      now: this.now,
      openSource: openInput,
      deliver: (message) => this.deliver(message),
      saturated: () => this.sinkSaturated,
      whenWritable: () => this.whenSinkWritable(),
      onProgress:
        this.progressListeners.length > 0
          ? (progress) => {
              for (const listener of this.progressListeners) listener(progress);
            }
          : undefined,
      signal: this.abort.signal,
    });
    this.importer = importer;
    try {
      await importer.open();
    } catch (error) {
      this.markFailed(error as Error);
      throw error;
    }
    this.running = this.runImport(importer);
  }

  protected async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  protected override healthDetails(): Record<string, unknown> {
    return {
      file: this.config.file_path,
      progress: this.importer?.progress(),
      summary: this.lastSummary,
    };
  }

  private async runImport(importer: FileImport): Promise<void> {
    let summary: ImportSummary;
    try {
      summary = await importer.run();
    } catch (error) {
      this.markFailed(error as Error);
      return;
    }
    this.lastSummary = summary;
    if (summary.status === "failed") this.markFailed(importer.error!);
    else if (summary.status !== "stopped") this.markFinished();
  }
}
