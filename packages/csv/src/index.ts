export { type CsvConfig, CsvConfigSchema } from "./config.js";
export {
  type CsvConfigInput,
  CsvConnector,
  type CsvConnectorOptions,
} from "./csv-connector.js";
export {
  ColumnNotFoundError,
  CsvError,
  type CsvErrorCode,
  CsvErrorCodes,
  RestStatusError,
} from "./errors.js";
export { CHECKPOINT_NAMESPACE, type Checkpoint } from "./import/checkpoint.js";
export { formatOf } from "./import/open-input.js";
export {
  formatBytes,
  formatDuration,
  formatProgressLine,
  type ImportProgress,
  renderProgressBar,
} from "./import/progress.js";
export { readFileMessages } from "./import/read-messages.js";
export type { ImportSummary } from "./import/summary.js";
export { type IngestConfig, IngestConfigSchema } from "./ingest/config.js";
export {
  HttpIngestConnector,
  type IngestConfigInput,
} from "./ingest/ingest-connector.js";
export { parseGreenButton } from "./json/greenbutton.js";
export {
  type DeepPartial,
  type FieldSpec,
  type Mapping,
  type MappingInput,
  MappingSchema,
  type ValueColumn,
} from "./mapping/schema.js";
export { csvPlugin, httpIngestPlugin, restPlugin } from "./plugin.js";
export { type RestConfig, RestConfigSchema } from "./rest/config.js";
export { parseRetryAfter } from "./rest/http.js";
export {
  REST_CURSOR_NAMESPACE,
  type RestConfigInput,
  RestConnector,
} from "./rest/rest-connector.js";
