import {
  MqttAuthError,
  MqttConnectionError,
  type MqttError,
  MqttTlsError,
} from "../errors.js";
import { redactText } from "./options.js";

// CONNACK return codes that refuse the client itself: 4 and 5 in MQTT
// 3.1.1; 134 (bad user name or password), 135 (not authorized),
// 138 (banned) and 140 (bad authentication method) in MQTT 5.
const AUTH_CODES = new Set([4, 5, 134, 135, 138, 140]);

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
  "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
  "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
]);

/** An error from MQTT.js or the socket, classified. */
export interface ClassifiedError {
  /** `auth` and `tls` do not go away by retrying soon. */
  kind: "auth" | "tls" | "network";
  error: MqttError;
}

/**
 * Classifies a connection error and wraps it with a code and a fix.
 * `broker` is the URL to show (without credentials); `secrets` are
 * removed from the error's own text.
 */
export function classifyError(
  error: unknown,
  broker: string,
  clientId: string,
  secrets: readonly string[] = [],
): ClassifiedError {
  const cause = error as { code?: unknown; message?: string };
  const text = redactText(cause?.message ?? String(error), secrets);
  if (typeof cause?.code === "number" && AUTH_CODES.has(cause.code)) {
    return {
      kind: "auth",
      error: new MqttAuthError(
        "QUBIT_MQTT_AUTH_FAILED",
        `Broker ${broker} refused client ${clientId}: ${text} (CONNACK code ${cause.code})`,
        {
          value: cause.code,
          location: { address: broker, client_id: clientId },
          fix: "check auth.username and auth.password (or the broker's ACL for this client id)",
          cause: error,
        },
      ),
    };
  }
  if (
    (typeof cause?.code === "string" &&
      (TLS_CODES.has(cause.code) || cause.code.startsWith("ERR_SSL"))) ||
    /certificate|self[- ]signed|altname/i.test(text)
  ) {
    const hostname = cause.code === "ERR_TLS_CERT_ALTNAME_INVALID";
    return {
      kind: "tls",
      error: new MqttTlsError(
        "QUBIT_MQTT_TLS_FAILED",
        `TLS handshake with ${broker} failed: ${text}${typeof cause.code === "string" ? ` (${cause.code})` : ""}`,
        {
          value: cause.code,
          location: { address: broker },
          fix: hostname
            ? "connect with the host name the broker certificate was issued for, or set tls.servername"
            : "set tls.ca_certs to the CA that signed the broker certificate (and tls.certfile/keyfile if the broker wants a client certificate)",
          cause: error,
        },
      ),
    };
  }
  return {
    kind: "network",
    error: new MqttConnectionError(
      "QUBIT_MQTT_CONNECT_FAILED",
      `Cannot connect to ${broker}: ${text}`,
      {
        value: cause?.code,
        location: { address: broker },
        fix: "check that the broker runs and the URL, port and transport (mqtt, mqtts, ws, wss) are right",
        cause: error,
      },
    ),
  };
}
