import { extname } from "node:path";
import type { CsvConfig } from "../config.js";
import { JsonInput } from "../json/json-source.js";
import { CsvInput } from "./csv-source.js";
import type { InputSource } from "./source.js";

/** Returns the format of a file: the configured one, else by extension. */
export function formatOf(
  config: Pick<CsvConfig, "format" | "file_path">,
): "csv" | "json" | "ndjson" | "greenbutton" {
  if (config.format !== "auto") return config.format;
  let name = config.file_path.toLowerCase();
  if (name.endsWith(".gz")) name = name.slice(0, -3);
  switch (extname(name)) {
    case ".json":
      return "json";
    case ".ndjson":
    case ".jsonl":
      return "ndjson";
    case ".xml":
      return "greenbutton";
    default:
      return "csv";
  }
}

/** Opens a file by its format and compiles the mapping for it. */
export function openInput(
  config: CsvConfig,
  connector: string,
): Promise<InputSource> {
  const format = formatOf(config);
  return format === "csv"
    ? CsvInput.open(config, connector)
    : JsonInput.open(config, connector, format);
}
