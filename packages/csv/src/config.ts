import { type Static, Type } from "@sinclair/typebox";
import {
  MappingSchema,
  TIME_OPTIONS,
  VALUE_OPTIONS,
} from "./mapping/schema.js";

/** Config of one file import: the `csv` section of a config file. */
export const CsvConfigSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Connector name in logs, metrics and readings",
      }),
    ),
    file_path: Type.String({
      minLength: 1,
      description:
        "File to import (.csv, .tsv, .txt, .json, .ndjson, .xml, or any of them .gz)",
    }),
    format: Type.Union(
      [
        Type.Literal("auto"),
        Type.Literal("csv"),
        Type.Literal("json"),
        Type.Literal("ndjson"),
        Type.Literal("greenbutton"),
      ],
      {
        default: "auto",
        description:
          "Input format; auto decides by file extension: .json, .ndjson/.jsonl, .xml (Green Button), else csv",
      },
    ),
    encoding: Type.Union(
      [
        Type.Literal("auto"),
        Type.Literal("utf8"),
        Type.Literal("utf16le"),
        Type.Literal("utf16be"),
        Type.Literal("latin1"),
      ],
      {
        default: "auto",
        description:
          "Text encoding; auto reads a byte-order mark, else tells UTF-16 by its zero bytes and UTF-8 from Latin-1 (Windows-1252) by validity",
      },
    ),
    compression: Type.Union(
      [Type.Literal("auto"), Type.Literal("none"), Type.Literal("gzip")],
      {
        default: "auto",
        description: "auto detects gzip by its magic bytes",
      },
    ),
    delimiter: Type.Union(
      [
        Type.Literal("auto"),
        Type.Literal(","),
        Type.Literal(";"),
        Type.Literal("\t"),
        Type.Literal("|"),
      ],
      {
        default: "auto",
        description:
          'Field delimiter; auto picks the one of , ; tab | that splits the lines most consistently, or the one a "sep=" line names',
      },
    ),
    quote: Type.String({
      minLength: 1,
      maxLength: 1,
      default: '"',
      description: "Quote character",
    }),
    header_line: Type.Union(
      [
        Type.Literal("auto"),
        Type.Literal("none"),
        Type.Integer({ minimum: 1 }),
      ],
      {
        default: "auto",
        description:
          "Line number (1-based) of the header; auto skips blank, sep= and banner lines; none means the file has no header",
      },
    ),
    units_line: Type.Union(
      [
        Type.Literal("auto"),
        Type.Literal("none"),
        Type.Integer({ minimum: 1 }),
      ],
      {
        default: "auto",
        description:
          "Line number of a line of units under the header ([Wh], kW); auto checks the line after the header",
      },
    ),
    column_names: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description:
          'Column names of a file without header; default "1", "2", ...',
      }),
    ),
    comment: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Lines starting with this text are skipped, such as #",
      }),
    ),
    skip_lines_matching: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Regular expression; data lines whose text matches are skipped (banners, total rows), and counted",
      }),
    ),
    records: Type.String({
      default: "auto",
      description:
        "JSON files: path of the records array, such as $.data[*]; auto takes the root array or the first array found",
    }),
    ...TIME_OPTIONS,
    ...VALUE_OPTIONS,
    mapping: MappingSchema,
    max_errors: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      default: 1000,
      description:
        "Bad rows tolerated before the import stops; null for no limit",
    }),
    max_error_ratio: Type.Union(
      [Type.Number({ minimum: 0, maximum: 1 }), Type.Null()],
      {
        default: null,
        description:
          "Share of bad rows (0 to 1) that stops the import, checked after 1,000 rows; null for no limit",
      },
    ),
    reject_file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "File that receives the raw text of every bad row, under the file's header",
      }),
    ),
    resume: Type.Boolean({
      default: true,
      description:
        "Continue an interrupted import from its checkpoint, and skip a file already imported unchanged",
    }),
    checkpoint_interval_ms: Type.Integer({
      minimum: 10,
      default: 1000,
      description: "How often the checkpoint is saved, in milliseconds",
    }),
    progress_interval_ms: Type.Integer({
      minimum: 10,
      default: 500,
      description: "How often onProgress callbacks run, in milliseconds",
    }),
    progress_log_interval_ms: Type.Integer({
      minimum: 0,
      default: 10_000,
      description:
        "How often a progress line is logged at info, in milliseconds; 0 disables",
    }),
  },
  {
    additionalProperties: false,
    description: "Bulk import of a CSV, JSON or Green Button file",
  },
);

/** Config of one file import. */
export type CsvConfig = Static<typeof CsvConfigSchema>;
