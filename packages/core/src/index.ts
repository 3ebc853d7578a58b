export { Backoff, type BackoffOptions, sleep } from "./backoff.js";
export { escapePointer, substituteEnv } from "./config/env.js";
export { checkConfig, explain, parseConfig } from "./config/validate.js";
export { BasicMessage } from "./connector/basic-message.js";
export { BatchQueueOutput } from "./connector/batch-queue.js";
export {
  BaseConnector,
  type Connector,
  type ConnectorContext,
  type ConnectorEvents,
  type ConnectorHealth,
  type ConnectorStatus,
  diagnostic,
  type HandlerOptions,
  type MessageHandler,
  type ProcessOptions,
} from "./connector/connector.js";
export {
  type ConversionResult,
  type Diagnostic,
  emptyResult,
  type PipelineEntry,
  type SourceMessage,
} from "./connector/message.js";
export type { MessageSink } from "./connector/sink.js";
export {
  ConfigError,
  type ConfigIssue,
  type CoreErrorCode,
  CoreErrorCodes,
  describeValue,
  formatConfigIssue,
  OutputError,
  QubitError,
  type QubitErrorOptions,
  ReadingValidationError,
  type SourceLocation,
  TimeError,
  UnitError,
} from "./errors.js";
export { type Logger, noopLogger, rateLimited } from "./logger.js";
export {
  ConnectorMetrics,
  type ConnectorMetricsSnapshot,
  type RecordedError,
} from "./metrics/connector-metrics.js";
export {
  type BoundCounter,
  type BoundGauge,
  type BoundHistogram,
  DEFAULT_BUCKETS,
  type Labels,
  type MetricSample,
  MetricsRegistry,
} from "./metrics/registry.js";
export {
  encodeRaw,
  MAX_DEAD_LETTER_RAW_BYTES,
  toDeadLetter,
} from "./pipeline/dead-letter.js";
export {
  type DeadLetter,
  type DeadLetterOutput,
  MemoryDeadLetterOutput,
  MemoryOutput,
  NdjsonDeadLetterOutput,
  NdjsonOutput,
  NdjsonWriter,
  NullOutput,
  type Output,
  type RotationOptions,
} from "./pipeline/output.js";
export {
  Pipeline,
  type PipelineEvents,
  type PipelineOptions,
  type PipelineStats,
} from "./pipeline/pipeline.js";
export {
  DEFAULT_TIME_WINDOW,
  implausibility,
  type TimeWindow,
} from "./pipeline/plausibility.js";
export type {
  ConfiguredConnector,
  ConnectorPlugin,
} from "./plugin.js";
export {
  QualityMonitor,
  type QualityOptions,
  type RangeRule,
  type SourceQuality,
} from "./quality/monitor.js";
export {
  FileStateStore,
  MemoryStateStore,
  type StateStore,
} from "./state/store.js";
export {
  type CompiledFormat,
  compileFormat,
  type ParsedFields,
} from "./time/format.js";
export {
  createTimestampParser,
  isIsoUtcMillis,
  NAMED_FORMATS,
  parseIsoFields,
  parseTimestamp,
  type TimestampParser,
  type TimestampParserOptions,
  toIsoUtc,
} from "./time/parse.js";
export {
  type AmbiguousTimePolicy,
  assertTimeZone,
  type LocalDateTime,
  localToUtc,
  type NonexistentTimePolicy,
  ZoneConverter,
} from "./time/zone.js";
export { type ReadingKey, readingId } from "./timeseries/id.js";
export {
  QUBIT_MEASUREMENT_UNITS,
  type QubitDocumentOptions,
  type QubitTimeSeriesDocument,
  qubitId,
  toQubitDocuments,
} from "./timeseries/qubit-document.js";
export {
  createReading,
  markEstimated,
  normalizeReadingUnit,
  type ReadingInput,
  type UnitMode,
} from "./timeseries/reading.js";
export {
  FLAG_VALUES,
  type Flag,
  FlagSchema,
  QUALITY_VALUES,
  type Quality,
  QualitySchema,
  type ReadingSource,
  type ReadingValue,
  SourceSchema,
  type TimeSeries,
  TimeSeriesSchema,
} from "./timeseries/schema.js";
export { sharedSource } from "./timeseries/shared-source.js";
export { checkReading, isReading } from "./timeseries/validate.js";
export {
  BASE_UNITS,
  baseUnitOf,
  canonicalUnit,
  convertUnit,
  type Dimension,
  dimensionOf,
  isKnownUnit,
  lookupUnit,
  roundConverted,
  toBaseUnit,
  UNIT_TABLE,
  type UnitDefinition,
} from "./units/units.js";
