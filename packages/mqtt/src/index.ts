export { AckQueue } from "./client/acks.js";
export { brokerUrl, clientIdFor, clientOptions } from "./client/options.js";
export {
  type FieldMapping,
  type MqttConfig,
  MqttConfigSchema,
  type MqttRule,
  type PayloadFormat,
  PRESET_NAMES,
  type PresetEntry,
  type PresetName,
  RuleSchema,
} from "./config.js";
export {
  type Conversion,
  MqttConverter,
  type RawMessage,
} from "./converter.js";
export type { DiscoveredSeries, DiscoveredTopic } from "./discovery.js";
export {
  MqttAuthError,
  MqttConnectionError,
  MqttError,
  type MqttErrorCode,
  MqttErrorCodes,
  MqttTlsError,
} from "./errors.js";
export { MqttMessage } from "./message.js";
export {
  MqttConnector,
  type MqttConnectorInput,
  type SubscribeOptions,
} from "./mqtt-connector.js";
export { checkMqttConfigs, mqttPlugin } from "./plugin.js";
export { PRESET_FILTERS } from "./presets/index.js";
export {
  filterProblem,
  parseFilter,
  splitShare,
  type TopicFilter,
} from "./topic/filter.js";
export {
  compileTemplate,
  DEFAULT_TOPIC_TEMPLATE,
  type TopicTemplate,
} from "./topic/template.js";
