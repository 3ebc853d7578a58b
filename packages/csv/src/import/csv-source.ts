import type { ConversionResult, Diagnostic, ReadingSource } from "@qubit/core";
import type { CsvConfig } from "../config.js";
import { ColumnNotFoundError } from "../errors.js";
import { readHeaderBlock } from "../file/header-block.js";
import { type InputInfo, inspectInput, openTextStream } from "../file/open.js";
import { readRecords, trimBreaks } from "../file/records.js";
import {
  type Dialect,
  sniffDialect,
  splitFields,
  splitLines,
} from "../file/sniff.js";
import type { FieldSource } from "../mapping/fields.js";
import { unitFromUnitsCell } from "../mapping/header.js";
import { detectDecimalMark, resolveNumberFormat } from "../mapping/numbers.js";
import { RowMapper } from "../mapping/row-mapper.js";
import {
  cleanCell,
  compileSkipPattern,
  requiredColumns,
  SECTION_COLUMN,
  sampleCells,
  trimmedKey,
} from "./csv-cells.js";
import { RecordMessage } from "./row-message.js";
import type { InputSource, ResumePoint, RowSink } from "./source.js";

/** A CSV file, opened: its dialect, header, mapping and record stream. */
export class CsvInput implements InputSource {
  readonly info: InputInfo;
  readonly dialect: Dialect;
  readonly columns: string[];
  readonly inputDiagnostics: Diagnostic[] = [];
  readonly rejectHeader: string | undefined;
  readonly resumable = true;
  private readonly mapper: RowMapper<string[]>;
  private readonly config: CsvConfig;
  private readonly connector: string;
  private readonly dataOffset: number;
  private readonly dataLineBase: number;
  private readonly width: number;
  private readonly requiredWidth: number;
  private warnedTrailing = false;
  private readonly headerKey: string;
  private readonly firstColumn: string;
  private readonly skipPattern: RegExp | undefined;
  private usesSection = false;
  private section = 1;
  /** Rows skipped by skip_lines_matching or as repeated headers. */
  skippedRows = 0;

  private constructor(config: CsvConfig, connector: string, info: InputInfo) {
    this.config = config;
    this.connector = connector;
    this.info = info;
    this.dialect = sniffDialect(info.head, {
      delimiter: config.delimiter,
      quote: config.quote,
      headerLine: config.header_line,
      unitsLine: config.units_line,
      comment: config.comment,
    });
    const block = readHeaderBlock(info.head, this.dialect, {
      quote: config.quote,
      path: config.file_path,
    });
    if (info.notUtf8At !== undefined) {
      this.inputDiagnostics.push({
        code: "QUBIT_CSV_ENCODING_GUESSED",
        message: `${config.file_path} is not valid UTF-8 at byte offset ${info.notUtf8At}, so it is read as Windows-1252; if it is a UTF-8 file with a damaged byte, its text values get wrong characters`,
        location: { address: config.file_path, offset: info.notUtf8At },
        fix: 'set "encoding": "latin1" when the file is Windows-1252 (this warning then goes away), or repair or re-export the file as UTF-8',
      });
    }
    this.dataOffset = block.dataOffset;
    this.dataLineBase = block.dataLineBase;
    const lines = splitLines(info.head);
    this.rejectHeader =
      this.dialect.headerLine === undefined
        ? undefined
        : lines[this.dialect.headerLine - 1];

    let header = block.header;
    if (header === undefined) {
      const first = lines[this.dialect.firstDataLine - 1] ?? "";
      const count = splitFields(
        first,
        this.dialect.delimiter,
        config.quote,
      ).length;
      header =
        config.column_names ??
        Array.from({ length: count }, (_, index) => String(index + 1));
    }
    header = header.map((name, position) =>
      name === "" && header!.slice(position).some((later) => later !== "")
        ? String(position + 1)
        : name,
    );
    while (header.length > 1 && header[header.length - 1] === "") {
      header = header.slice(0, -1);
      this.inputDiagnostics.push({
        code: "QUBIT_CSV_HEADER_EMPTY_COLUMN",
        message: `The header ends with an empty column (a trailing "${this.dialect.delimiter}"); it is ignored`,
        location: { address: config.file_path, line: this.dialect.headerLine },
      });
    }
    this.columns = header;
    this.width = header.length;

    const units = new Map<string, string>();
    block.units?.forEach((cell, index) => {
      const unit = unitFromUnitsCell(cell);
      const name = header![index];
      if (unit !== undefined && name !== undefined) units.set(name, unit);
    });
    const index = new Map<string, number>();
    header.forEach((name, position) => {
      if (name === "") return;
      if (index.has(name)) {
        this.inputDiagnostics.push({
          code: "QUBIT_CSV_HEADER_DUPLICATE",
          message: `Column ${JSON.stringify(name)} appears twice in the header (columns ${index.get(name)! + 1} and ${position + 1}); the mapping uses the first`,
          location: {
            address: config.file_path,
            line: this.dialect.headerLine,
          },
        });
        return;
      }
      index.set(name, position);
    });
    this.headerKey = header.join("\u001f");
    this.firstColumn = header[0] ?? "";
    this.skipPattern = compileSkipPattern(config.skip_lines_matching);
    const source: FieldSource<string[]> = {
      paths: false,
      has: (name) => index.has(name) || name === SECTION_COLUMN,
      getter: (name, field) => {
        if (name === SECTION_COLUMN) {
          this.usesSection = true;
          return () => String(this.section);
        }
        const position = index.get(name);
        if (position === undefined) {
          throw new ColumnNotFoundError(
            name,
            header!.filter((column) => column !== ""),
            field,
            config.file_path,
          );
        }
        return (fields) => cleanCell(fields[position]);
      },
    };
    const decimal =
      config.decimal_separator === "auto"
        ? detectDecimalMark(sampleCells(lines, this.dialect, config.quote))
        : config.decimal_separator;
    this.mapper = new RowMapper({
      mapping: config.mapping,
      source,
      columns: header,
      columnUnits: units,
      time: config,
      numbers: resolveNumberFormat(
        decimal,
        config.thousands_separator,
        decimal,
      ),
      missingValues: config.missing_values,
      sentinelValues: config.sentinel_values,
      validFlags: config.value_flags?.valid,
      onMissing: config.on_missing,
      placeKey: "column",
    });
    this.inputDiagnostics.push(
      ...this.mapper.inputDiagnostics.map((diagnostic) => ({
        ...diagnostic,
        location: { address: config.file_path, ...diagnostic.location },
      })),
    );
    const used = new Set<number>();
    for (const column of [
      ...this.mapper.valueColumns,
      ...requiredColumns(config),
    ]) {
      const position = index.get(column);
      if (position !== undefined) used.add(position);
    }
    this.requiredWidth = used.size === 0 ? 0 : Math.max(...used) + 1;
  }

  /** Opens a CSV file and compiles its mapping; throws on a bad mapping. */
  static async open(config: CsvConfig, connector: string): Promise<CsvInput> {
    const info = await inspectInput(config.file_path, config);
    return new CsvInput(config, connector, info);
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
    const offset = from?.offset ?? this.dataOffset;
    const lineBase = from?.line ?? this.dataLineBase;
    const opened = openTextStream(this.info, offset, (bytes) =>
      sink.bytes(bytes),
    );
    if (opened.seeked) sink.skipped(this.info.bomLength + offset);
    const address = this.config.file_path;
    const protocol = "csv";
    try {
      await readRecords(opened.stream, {
        delimiter: this.dialect.delimiter,
        quote: this.config.quote,
        comment: this.config.comment,
        lineBase,
        offsetBase: offset,
        signal,
        pause: () => sink.pause(),
        onRecord: (fields, line, raw, end) => {
          if (fields.length === 1 && fields[0]!.trim() === "") {
            sink.skip(end, line);
            return;
          }
          if (this.isSkipped(fields, raw)) {
            sink.skip(end, line);
            return;
          }
          const source = {
            protocol,
            address,
            connector: this.connector,
            line,
          } as ReadingSource;
          const problem = this.checkWidth(fields);
          // The $section column reads the current section, so such rows
          // convert now; other rows convert when the message is delivered.
          const result: ConversionResult | undefined = problem
            ? { readings: [], rejects: [problem], diagnostics: [] }
            : this.usesSection
              ? this.mapper.convert(fields, source, source)
              : undefined;
          const message = new RecordMessage<string[]>({
            protocol,
            kind: "row",
            source,
            receivedAt: sink.now(),
            raw,
            rawHasBreaks: true,
            converter: this.mapper,
            record: fields,
            result,
          });
          sink.row(message, end, line);
        },
        onMalformed: (record) => {
          const source = {
            protocol,
            address,
            connector: this.connector,
            line: record.line,
          } as ReadingSource;
          const message = new RecordMessage<string[]>({
            protocol,
            kind: "row",
            source,
            receivedAt: sink.now(),
            raw: record.raw,
            result: {
              readings: [],
              rejects: [
                {
                  code: "QUBIT_CSV_ROW_MALFORMED",
                  message: `Malformed CSV row: ${record.message} [${record.code}]`,
                  location: { line: record.line },
                  value: record.raw,
                  fix: "check the quotes of this row; a quote inside a quoted field is written twice",
                },
              ],
              diagnostics: [],
            },
          });
          sink.row(message, -1, record.line);
        },
      });
    } finally {
      opened.close();
    }
  }

  /**
   * Returns whether a row is left out: a repeat of the header line, which
   * starts a new section (counted in the `$section` column), or a row that
   * matches skip_lines_matching.
   */
  private isSkipped(fields: string[], raw: string): boolean {
    if (
      fields.length >= this.width &&
      fields[0]!.trim() === this.firstColumn &&
      trimmedKey(fields, this.width) === this.headerKey
    ) {
      this.section += 1;
      this.skippedRows += 1;
      return true;
    }
    if (this.skipPattern?.test(trimBreaks(raw))) {
      this.skippedRows += 1;
      return true;
    }
    return false;
  }

  private checkWidth(fields: string[]) {
    if (fields.length > this.width) {
      for (let index = this.width; index < fields.length; index += 1) {
        if (fields[index] !== "") {
          return {
            code: "QUBIT_CSV_ROW_FIELD_COUNT",
            message: `Invalid row: expected ${this.width} fields as in the header, found ${fields.length}, and field ${index + 1} is ${JSON.stringify(fields[index])}`,
            location: { column_number: index + 1 },
            value: fields.length,
            fix: "check the delimiter and the quotes of this row",
          };
        }
      }
      if (!this.warnedTrailing) {
        this.warnedTrailing = true;
        this.inputDiagnostics.push({
          code: "QUBIT_CSV_HEADER_EMPTY_COLUMN",
          message: `Rows have more fields than the header has columns (a trailing "${this.dialect.delimiter}"); the empty fields are ignored`,
          location: { address: this.config.file_path },
        });
      }
      return undefined;
    }
    if (fields.length < this.requiredWidth) {
      return {
        code: "QUBIT_CSV_ROW_FIELD_COUNT",
        message: `Invalid row: expected ${this.width} fields as in the header (the mapping reads ${this.requiredWidth}), found ${fields.length}`,
        location: { column_number: fields.length + 1 },
        value: fields.length,
        fix: "check the delimiter of this row; a row may not end early",
      };
    }
    return undefined;
  }
}
