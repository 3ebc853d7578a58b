import type { ProtocolModule } from "../types.js";
import { csvConvert } from "./convert.js";
import { csvDemo } from "./demo.js";
import { importCsvCommand } from "./import-command.js";
import { CSV_PLUGINS } from "./plugins.js";

/**
 * The CSV module of the runner: the `csv` (file import), `rest` (REST
 * polling) and `http_ingest` (HTTP push) connectors, `qubit convert
 * csv`, `qubit import csv` and the CSV file of `qubit demo`.
 */
export const csvModule: ProtocolModule = {
  protocol: "csv",
  plugins: CSV_PLUGINS,
  convert: csvConvert,
  demo: csvDemo,
  commands: [importCsvCommand],
};
