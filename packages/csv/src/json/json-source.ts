import { createInterface } from "node:readline";
import type { Diagnostic, ReadingSource } from "@qubit/core";
import type { CsvConfig } from "../config.js";
import { CsvError } from "../errors.js";
import { type InputInfo, inspectInput, openTextStream } from "../file/open.js";
import { RecordMessage } from "../import/row-message.js";
import type { InputSource, ResumePoint, RowSink } from "../import/source.js";
import type { RowMapper } from "../mapping/row-mapper.js";
import { parseGreenButton } from "./greenbutton.js";
import { selectRecords } from "./path.js";
import { convertRecord, createJsonMapper, type JsonRecord } from "./records.js";

/**
 * A JSON document (records selected by a path), an NDJSON file (one
 * record per line) or a Green Button XML download (one record per
 * interval reading), mapped with JSON paths. A JSON or XML document is
 * parsed whole, so its size is bounded by memory; NDJSON streams.
 */
export class JsonInput implements InputSource {
  readonly inputDiagnostics: Diagnostic[] = [];
  readonly rejectHeader = undefined;
  readonly resumable = true;
  private readonly mapper: RowMapper<JsonRecord>;

  private constructor(
    private readonly config: CsvConfig,
    private readonly connector: string,
    private readonly info: InputInfo,
    private readonly format: "json" | "ndjson" | "greenbutton",
  ) {
    this.mapper = createJsonMapper(config);
    this.inputDiagnostics.push(
      ...this.mapper.inputDiagnostics.map((diagnostic) => ({
        ...diagnostic,
        location: { address: config.file_path, ...diagnostic.location },
      })),
    );
  }

  /** Opens a JSON, NDJSON or Green Button file and compiles its mapping. */
  static async open(
    config: CsvConfig,
    connector: string,
    format: "json" | "ndjson" | "greenbutton",
  ): Promise<JsonInput> {
    const info = await inspectInput(config.file_path, config);
    return new JsonInput(config, connector, info, format);
  }

  get fingerprint(): string {
    return this.info.fingerprint;
  }

  fingerprintFor(length: number): string {
    return this.info.fingerprintFor(length);
  }

  get size(): number {
    return this.info.size;
  }

  get duplicates(): number {
    return this.mapper.duplicates;
  }

  get conflicts(): number {
    return this.mapper.conflicts;
  }

  async read(
    from: ResumePoint | undefined,
    sink: RowSink,
    signal: AbortSignal,
  ): Promise<void> {
    const skip = from?.offset ?? 0;
    if (this.format === "ndjson") return this.readLines(skip, sink, signal);
    const text = await this.readAll(sink);
    let records: unknown[];
    let root: unknown;
    if (this.format === "greenbutton") {
      records = parseGreenButton(text, this.config.file_path);
      root = { readings: records };
    } else {
      try {
        root = JSON.parse(text);
      } catch (error) {
        throw jsonError(error, text, this.config.file_path);
      }
      records = selectRecords(root, this.config.records);
    }
    for (
      let index = skip;
      index < records.length && !signal.aborted;
      index += 1
    ) {
      this.emit({ value: records[index], root }, index + 1, "record", sink);
      const pause = sink.pause();
      if (pause) await pause;
    }
  }

  private async readLines(
    skip: number,
    sink: RowSink,
    signal: AbortSignal,
  ): Promise<void> {
    const opened = openTextStream(this.info, 0, (bytes) => sink.bytes(bytes));
    const lines = createInterface({
      input: opened.stream,
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let line = 0;
    let records = 0;
    try {
      for await (const text of lines) {
        line += 1;
        if (signal.aborted) break;
        if (text.trim() === "") continue;
        records += 1;
        if (records <= skip) continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          this.emitError(text, line, (error as Error).message, sink, records);
          continue;
        }
        this.emit({ value, root: value }, line, "line", sink, records);
        const pause = sink.pause();
        if (pause) await pause;
      }
    } finally {
      lines.close();
      opened.close();
    }
  }

  private emit(
    record: JsonRecord,
    place: number,
    key: "record" | "line",
    sink: RowSink,
    count = place,
  ): void {
    const source = {
      protocol: "csv",
      address: this.config.file_path,
      connector: this.connector,
      [key]: place,
    } as ReadingSource;
    const result = convertRecord(this.mapper, record, source, source);
    const message = new RecordMessage<JsonRecord>({
      protocol: "csv",
      kind: "record",
      source,
      receivedAt: sink.now(),
      raw: (record.value ?? null) as object,
      result,
    });
    sink.row(message, count, count);
  }

  private emitError(
    text: string,
    line: number,
    reason: string,
    sink: RowSink,
    count: number,
  ): void {
    const source = {
      protocol: "csv",
      address: this.config.file_path,
      connector: this.connector,
      line,
    } as ReadingSource;
    const message = new RecordMessage<JsonRecord>({
      protocol: "csv",
      kind: "record",
      source,
      receivedAt: sink.now(),
      raw: text,
      result: {
        readings: [],
        rejects: [
          {
            code: "QUBIT_CSV_JSON_INVALID",
            message: `Invalid JSON on line ${line}: ${reason}`,
            location: { line },
            value: text.slice(0, 200),
            fix: "each line of an NDJSON file must be one JSON value",
          },
        ],
        diagnostics: [],
      },
    });
    sink.row(message, count, count);
  }

  private async readAll(sink: RowSink): Promise<string> {
    const opened = openTextStream(this.info, 0, (bytes) => sink.bytes(bytes));
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of opened.stream as AsyncIterable<Buffer>)
        chunks.push(chunk);
    } finally {
      opened.close();
    }
    return Buffer.concat(chunks).toString("utf8");
  }
}

function jsonError(error: unknown, text: string, path: string): CsvError {
  const message = (error as Error).message;
  const position = /position (\d+)/.exec(message);
  let where = "";
  const location: Record<string, string | number> = { address: path };
  if (position) {
    const offset = Number(position[1]);
    const before = text.slice(0, offset);
    location.line = before.split("\n").length;
    location.column = offset - before.lastIndexOf("\n");
    where = ` at line ${location.line}, column ${location.column}`;
  }
  return new CsvError(
    "QUBIT_CSV_JSON_INVALID",
    `${path} is not valid JSON${where}: ${message}`,
    {
      location,
      fix: "check the file; use format ndjson for one JSON value per line",
      cause: error,
    },
  );
}
