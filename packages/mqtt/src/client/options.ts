import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import { credentials, type MqttConfig, protocolLevel } from "../config.js";
import { MqttTlsError } from "../errors.js";

/** Default session expiry of a persistent MQTT 5 session, in seconds. */
export const DEFAULT_PERSISTENT_SESSION_EXPIRY_S = 86_400;

/**
 * Returns the client id for a connector: the configured one, or
 * `qubit_<name>_<16 hex digits>`, new for every connector so that two
 * connectors never take over each other's connection.
 */
export function clientIdFor(config: MqttConfig, name: string): string {
  if (config.client_id !== undefined) return config.client_id;
  const safe = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 32);
  return `qubit_${safe}_${randomBytes(8).toString("hex")}`;
}

/** Returns the broker URL in the form MQTT.js expects. */
export function brokerUrl(config: MqttConfig): string {
  return config.broker
    .replace(/^tcp:\/\//, "mqtt://")
    .replace(/^(ssl|tls):\/\//, "mqtts://");
}

/**
 * Returns the broker URL without its user name and password, for logs,
 * errors and health: `mqtt://user:secret@host:1883` becomes
 * `mqtt://***@host:1883`. Text that does not parse as a URL is cut at
 * its last `@` for the same reason.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const at = url.lastIndexOf("@");
    return at < 0 ? url : `***${url.slice(at)}`;
  }
  if (parsed.username === "" && parsed.password === "") return url;
  parsed.username = "";
  parsed.password = "";
  return parsed.href.replace("//", "//***@");
}

/**
 * Returns the secrets a text could contain: the password of the config
 * and the user information of the broker URL, longest first.
 */
export function secretsOf(config: MqttConfig): string[] {
  const secrets: string[] = [];
  const password = credentials(config)?.password;
  if (password) secrets.push(password);
  try {
    const parsed = new URL(config.broker);
    if (parsed.password) {
      secrets.push(parsed.password, decodeURIComponent(parsed.password));
    }
    if (parsed.username) secrets.push(`${parsed.username}:${parsed.password}`);
  } catch {
    // A broker URL that does not parse has no user information to hide.
  }
  return secrets.sort((a, b) => b.length - a.length);
}

/** Returns `text` with every secret replaced by `***`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.replaceAll(secret, "***");
  return result;
}

/** Returns whether the broker URL uses TLS (mqtts:// or wss://). */
export function usesTls(config: MqttConfig): boolean {
  return /^(mqtts|wss|ssl|tls):\/\//.test(config.broker);
}

/**
 * Builds a new MQTT.js options object for one connection attempt. A new
 * object every time: MQTT.js writes into the options it is given, and a
 * shared object would hand one generated client id to two clients.
 * Reconnects are driven by the connector (exponential backoff), so
 * MQTT.js's own reconnect is off.
 */
export function clientOptions(
  config: MqttConfig,
  clientId: string,
): IClientOptions {
  const level = protocolLevel(config);
  const clean = config.clean_session ?? true;
  const options: IClientOptions = {
    clientId,
    protocolVersion: level,
    clean,
    keepalive: config.keepalive ?? 60,
    reconnectPeriod: 0,
    connectTimeout: config.connect_timeout_ms ?? 30_000,
    resubscribe: true,
    queueQoSZero: false,
  };
  if (level === 5) {
    options.properties = {
      sessionExpiryInterval:
        config.session_expiry_s ??
        (clean ? 0 : DEFAULT_PERSISTENT_SESSION_EXPIRY_S),
      receiveMaximum: config.max_inflight ?? 1_000,
    };
  }
  const auth = credentials(config);
  if (auth) {
    options.username = auth.username;
    if (auth.password !== undefined) options.password = auth.password;
  }
  if (usesTls(config)) Object.assign(options, tlsOptions(config));
  return options;
}

function tlsOptions(config: MqttConfig): IClientOptions {
  const tls = config.tls;
  const options: IClientOptions = {
    rejectUnauthorized: !(tls?.insecure ?? false),
  };
  if (!tls) return options;
  if (tls.ca_certs) options.ca = readPem(tls.ca_certs, "tls.ca_certs");
  if (tls.certfile) options.cert = readPem(tls.certfile, "tls.certfile");
  if (tls.keyfile) options.key = readPem(tls.keyfile, "tls.keyfile");
  if (tls.passphrase)
    (options as { passphrase?: string }).passphrase = tls.passphrase;
  if (tls.servername) options.servername = tls.servername;
  return options;
}

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new MqttTlsError(
      "QUBIT_MQTT_TLS_FILE",
      `Cannot read ${option} file ${path}: ${(error as Error).message}`,
      {
        value: path,
        location: { option },
        fix: `point ${option} at a readable PEM file`,
        cause: error,
      },
    );
  }
}
