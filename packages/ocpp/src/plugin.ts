import type {
  ConfigIssue,
  ConfiguredConnector,
  ConnectorPlugin,
} from "@qubit/core";
import { ChargePointConnector } from "./client/charge-point-connector.js";
import {
  type CentralSystemConfig,
  type ClientConfig,
  type OcppConfig,
  OcppConfigSchema,
  type ProxyConfig,
} from "./config.js";
import { CentralSystemConnector } from "./csms/central-system.js";
import { checkIdentity } from "./identity.js";
import { ProxyConnector } from "./proxy/proxy-connector.js";

function isServer(
  config: OcppConfig,
): config is CentralSystemConfig | ProxyConfig {
  return config.role === "central_system" || config.role === "proxy";
}

/**
 * The OCPP connector plugin: config key `ocpp`, one entry or a list of
 * charge point clients, central systems and proxies.
 */
export const ocppPlugin: ConnectorPlugin<OcppConfig> = {
  protocol: "ocpp",
  configSchema: OcppConfigSchema,
  check(connectors: readonly ConfiguredConnector<OcppConfig>[]): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const ports = new Map<string, string>();
    for (const { config, path } of connectors) {
      if (isServer(config)) {
        if (config.security_profile >= 2 && !config.tls) {
          issues.push({
            path: `${path}/tls`,
            message: `security_profile ${config.security_profile} needs TLS`,
            fix: "set tls.cert_file and tls.key_file",
          });
        }
        if (
          config.security_profile === 3 &&
          config.tls &&
          !config.tls.ca_file
        ) {
          issues.push({
            path: `${path}/tls/ca_file`,
            message:
              "security_profile 3 checks client certificates and needs the CA that signs them",
            fix: "set tls.ca_file",
          });
        }
        if (
          config.security_profile === 0 &&
          config.tls === undefined &&
          config.host !== "127.0.0.1" &&
          config.host !== "localhost"
        ) {
          issues.push({
            path: `${path}/security_profile`,
            message: "charge points connect without authentication or TLS",
            severity: "warning",
            fix: "use security_profile 1 to 3 outside a test network",
          });
        }
        for (const [identity, entry] of Object.entries(config.charge_points)) {
          const check = checkIdentity(identity);
          if (!check.ok) {
            issues.push({
              path: `${path}/charge_points/${identity}`,
              message: check.reason,
              value: identity,
            });
          }
          if (
            config.security_profile >= 1 &&
            config.security_profile <= 2 &&
            !entry.password_hash &&
            !entry.password
          ) {
            issues.push({
              path: `${path}/charge_points/${identity}`,
              message: `security_profile ${config.security_profile} needs a password for every charge point`,
              fix: "add password_hash (qubit ocpp hash-password prints one)",
            });
          }
        }
        if (config.port !== 0) {
          const key = `${config.host}:${config.port}`;
          const other = ports.get(key);
          if (other) {
            issues.push({
              path: `${path}/port`,
              message: `port ${config.port} is also used by ${other}`,
              value: config.port,
              fix: "give each server its own port",
            });
          }
          ports.set(key, path);
        }
      } else {
        const client = config as ClientConfig;
        const check = checkIdentity(client.charge_point_id);
        const username = client.auth?.basic_auth?.username;
        if (username !== undefined && username !== client.charge_point_id) {
          issues.push({
            path: `${path}/auth/basic_auth/username`,
            message: `username differs from charge_point_id ${JSON.stringify(client.charge_point_id)}; OCPP security profiles 1 and 2 expect them to be equal, so most CSMSs will refuse it`,
            value: username,
            severity: "warning",
            fix: "use the charge point id as the username unless your CSMS says otherwise",
          });
        }
        if (!check.ok) {
          issues.push({
            path: `${path}/charge_point_id`,
            message: check.reason,
            value: client.charge_point_id,
          });
        }
      }
    }
    return issues;
  },
  create(config, context) {
    if (config.role === "central_system")
      return new CentralSystemConnector(config, context);
    if (config.role === "proxy") return new ProxyConnector(config, context);
    return new ChargePointConnector(config as ClientConfig, context);
  },
};
