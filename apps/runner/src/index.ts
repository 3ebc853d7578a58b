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
  type RunnerConfig,
  runnerConfigSchema,
} from "./config/schema.js";
export { RunnerErrorCodes, UsageError } from "./errors.js";
export { createLogger, type LoggerOptions } from "./logger.js";
export {
  createDeadLetterOutputs,
  createOutputs,
  storePath,
} from "./outputs/create.js";
export {
  SqliteDeadLetterOutput,
  SqliteOutput,
  SqliteStateStore,
  SqliteStore,
} from "./outputs/sqlite.js";
export { PROTOCOL_MODULES, protocolModule } from "./protocols/index.js";
export type * from "./protocols/types.js";
export { Service, type ServiceHealth, type ServiceOptions } from "./service.js";
