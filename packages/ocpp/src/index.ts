export {
  ChargePointClient,
  type ChargePointClientEvents,
  type ChargePointClientOptions,
} from "./client/charge-point-client.js";
export { ChargePointConnector } from "./client/charge-point-connector.js";
export type { ConnectFailure } from "./client/connect-failure.js";
export {
  ChargingSimulator,
  type SimulationOptions,
} from "./client/simulator.js";
export {
  type CentralSystemConfig,
  CentralSystemConfigSchema,
  type ChargePointEntry,
  type ClientConfig,
  ClientConfigSchema,
  type OcppConfig,
  OcppConfigSchema,
  type ProxyConfig,
  ProxyConfigSchema,
} from "./config.js";
export { type ConvertFramesOptions, convertFrames } from "./convert.js";
export { CentralSystemConnector } from "./csms/central-system.js";
export type { SendOptions } from "./csms/commands.js";
export {
  isLoopbackHost,
  type OpenDoor,
  openDoors,
} from "./csms/exposure.js";
export type {
  ChargingProfileInput,
  SchedulePeriod,
} from "./csms/operations.js";
export {
  ChargePointRegistry,
  hashPassword,
  verifyPassword,
} from "./csms/registry.js";
export { ChargePointOperations } from "./csms/typed-operations.js";
export {
  type CallErrorCode,
  OcppCallError,
  OcppError,
  type OcppErrorCode,
  OcppErrorCodes,
} from "./errors.js";
export {
  checkIdentity,
  identityFromPath,
  MAX_IDENTITY_LENGTH,
} from "./identity.js";
export { OcppMessage } from "./message.js";
export { ocppPlugin } from "./plugin.js";
export {
  type FrameFault,
  handleCall,
  MAX_FRAME_DEPTH,
  type ParsedFrame,
  parseFrame,
} from "./processor/frames.js";
export { OcppProcessor } from "./processor/processor.js";
export type {
  CsmsPolicy,
  OcppCall,
  ProcessorEvents,
  StationOptions,
} from "./processor/types.js";
export { ProxyConnector } from "./proxy/proxy-connector.js";
export {
  checkPayload,
  type Deviation,
  type SchemaCheck,
} from "./schema/tolerant-check.js";
export type {
  ConnectorState,
  FirmwareState,
  StationRecord,
} from "./state/stations.js";
export {
  type TransactionRecord,
  TransactionStore,
} from "./state/transactions.js";
export { type OcppVersion, parseVersion, SUBPROTOCOLS } from "./versions.js";
