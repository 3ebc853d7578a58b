export {
  ADDRESSING_MODES,
  BYTE_ORDERS,
  type DeviceConfig,
  DeviceSchema,
  type ModbusConfig,
  ModbusConfigSchema,
  modbusConfigSchema,
  POINT_TYPES,
  type PointConfig,
  PointSchema,
  TABLE_NAMES,
} from "./config.js";
export {
  type ExceptionDefinition,
  formatExceptionCode,
  MODBUS_EXCEPTIONS,
  ModbusConnectionError,
  ModbusError,
  type ModbusErrorCode,
  ModbusErrorCodes,
  ModbusExceptionError,
  ModbusFrameError,
  ModbusTimeoutError,
  ModbusWriteError,
} from "./errors.js";
export { convertRegisterImage, parseRegisterImage } from "./image.js";
export {
  formatAddress,
  parseModicon,
  READ_FUNCTION,
  type RegisterTable,
  type ResolvedAddress,
  resolveAddress,
} from "./map/address.js";
export {
  type ByteOrder,
  canonicalByteOrder,
  decodeRegisters,
  encodeRegisters,
  type RegisterType,
  registerCount,
} from "./map/codec.js";
export {
  type CompiledDevice,
  compileDevices,
} from "./map/compile.js";
export type { CompiledPoint } from "./map/point.js";
export {
  type DeviceProfile,
  getProfile,
  profileNames,
} from "./map/profiles.js";
export {
  ModbusConnector,
  type ModbusLastError,
  type PlannedRequest,
  transportOptions,
} from "./modbus-connector.js";
export {
  coalesce,
  describeBlock,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  type PollGroup,
  planGroups,
  type ReadBlock,
} from "./plan/coalesce.js";
export { checkModbusConfigs, modbusPlugin } from "./plugin.js";
export { CounterTracker } from "./poll/counters.js";
export { type BlockResult, decodePoll } from "./poll/decode.js";
export type { DeviceHealth, PollFault } from "./poll/device-poller.js";
export { type ProbeRow, probeInterpretations } from "./probe.js";
export {
  discoverSunSpec,
  type FoundModel,
  type SkippedModel,
  SUNSPEC_BASES,
  type SunSpecDiscovery,
} from "./sunspec/discover.js";
export { knownModels, modelDefinition } from "./sunspec/models.js";
export {
  ModbusClient,
  type TransportOptions,
  type TransportStats,
} from "./transport/client.js";
export { type WriteValue, writePoint } from "./write.js";
