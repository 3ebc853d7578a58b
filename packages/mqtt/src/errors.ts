import { QubitError, type QubitErrorOptions } from "@qubit/core";

/** Error and diagnostic codes of `@qubit/mqtt`, with what each one means. */
export const MqttErrorCodes = {
  QUBIT_MQTT_CONFIG_INVALID:
    "A connector option is invalid in a way the schema cannot state.",
  QUBIT_MQTT_CONNECT_FAILED:
    "The broker could not be reached before the connect timeout.",
  QUBIT_MQTT_AUTH_FAILED:
    "The broker rejected the credentials or the client (CONNACK refused).",
  QUBIT_MQTT_TLS_FAILED:
    "The TLS handshake failed: unknown CA, wrong host name or bad client certificate.",
  QUBIT_MQTT_TLS_FILE:
    "A certificate or key file named in `tls` cannot be read.",
  QUBIT_MQTT_CONNECTION_LOST: "An established connection to the broker closed.",
  QUBIT_MQTT_CLIENT_ID_CONFLICT:
    "The connection is taken over again and again, as when another client uses the same client id.",
  QUBIT_MQTT_SUBSCRIBE_REJECTED: "The broker refused a subscription.",
  QUBIT_MQTT_PAYLOAD_TOO_LARGE: "A payload is above `max_payload_bytes`.",
  QUBIT_MQTT_PAYLOAD_NOT_UTF8: "A text or JSON payload is not valid UTF-8.",
  QUBIT_MQTT_PAYLOAD_NOT_JSON: "A payload that must be JSON does not parse.",
  QUBIT_MQTT_PAYLOAD_SCHEMA:
    "A JSON payload does not match the rule's JSON Schema.",
  QUBIT_MQTT_PAYLOAD_DECODE:
    "A Protobuf or MessagePack payload does not decode.",
  QUBIT_MQTT_PAYLOAD_TOO_DEEP:
    "A payload nests arrays or objects deeper than the maximum of 64 levels.",
  QUBIT_MQTT_PAYLOAD_EMPTY: "A payload is empty or contains only white space.",
  QUBIT_MQTT_VALUE_MISSING: "A payload contains no value to read.",
  QUBIT_MQTT_VALUE_NOT_FINITE:
    "A value is NaN or infinite, as firmware writes for a failed sensor, or a number too large for a 64-bit float (such as 1e400).",
  QUBIT_MQTT_VALUE_TYPE:
    "A value has a type that cannot be a reading (an object, a list, a non-numeric string where a number is expected, a number followed by other text).",
  QUBIT_MQTT_TIMESTAMP_INVALID: "A timestamp in the payload cannot be parsed.",
  QUBIT_MQTT_TOPIC_MISMATCH:
    "A topic matches no rule and does not fit the topic template.",
  QUBIT_MQTT_FIELD_MISSING:
    "A field that the mapping requires (asset id, metric) is missing.",
  QUBIT_MQTT_TIMEZONE_ASSUMED:
    "A device time without a zone was read in the configured zone (UTC by default).",
} as const;

/** A code of {@link MqttErrorCodes}. */
export type MqttErrorCode = keyof typeof MqttErrorCodes;

/** An error raised by the MQTT connector. */
export class MqttError extends QubitError {
  declare readonly code: MqttErrorCode;

  constructor(
    code: MqttErrorCode,
    message: string,
    options: QubitErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** The broker refused the connection (bad credentials or not authorised). */
export class MqttAuthError extends MqttError {}

/** The TLS handshake failed, or a certificate file cannot be read. */
export class MqttTlsError extends MqttError {}

/** The broker could not be reached, or the connection was lost. */
export class MqttConnectionError extends MqttError {}
