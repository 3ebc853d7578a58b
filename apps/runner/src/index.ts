export { allPlugins, main } from "./cli.js";
export {
  configFromEnv,
  connectorsOf,
  type LoadedConfig,
  loadConfig,
  readConfigFile,
} from "./config/load.js";
export {
  OutputConfigSchema,
  PipelineConfigSchema,
  QualityConfigSchema,
  type RunnerConfig,
  runnerConfigSchema,
} from "./config/schema.js";
export { RunnerErrorCodes, UsageError } from "./errors.js";
export { createLogger, type LoggerOptions } from "./logger.js";
export {
  BufferedOutput,
  type BufferedOutputOptions,
} from "./outputs/buffered-output.js";
export type {
  BufferConfig,
  MqttOutputConfig,
  NatsOutputConfig,
  PostgresOutputConfig,
  WebhookOutputConfig,
} from "./outputs/config.js";
export {
  createDeadLetterOutputs,
  createOutputs,
  storePath,
} from "./outputs/create.js";
export { DiskQueue, type DiskQueueOptions } from "./outputs/disk-queue.js";
export {
  BufferError,
  OutputDeliveryError,
  OutputErrorCodes,
  StreamMissingError,
  TableInvalidError,
  WebhookStatusError,
} from "./outputs/errors.js";
export { MqttOutput, type MqttOutputOptions } from "./outputs/mqtt.js";
export { NatsOutput, type NatsOutputOptions } from "./outputs/nats.js";
export {
  PostgresOutput,
  type PostgresOutputOptions,
} from "./outputs/postgres.js";
export { readingFromRow } from "./outputs/postgres-sql.js";
export {
  SqliteDeadLetterOutput,
  SqliteOutput,
  SqliteStateStore,
  SqliteStore,
} from "./outputs/sqlite.js";
export { WebhookOutput, type WebhookOutputOptions } from "./outputs/webhook.js";
export { PROTOCOL_MODULES, protocolModule } from "./protocols/index.js";
export type * from "./protocols/types.js";
export { Service, type ServiceHealth, type ServiceOptions } from "./service.js";
