import type {
  ConfigIssue,
  ConfiguredConnector,
  ConnectorPlugin,
} from "@qubit/core";
import { type ModbusConfig, ModbusConfigSchema } from "./config.js";
import { compileDevices } from "./map/compile.js";
import { ModbusConnector } from "./modbus-connector.js";

/**
 * Checks what the schema cannot: addresses in their convention, types
 * against tables, scale versus multiplier, profiles, transport fields, and
 * two connectors that open the same serial port.
 */
export function checkModbusConfigs(
  connectors: readonly ConfiguredConnector<ModbusConfig>[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const serialPorts = new Map<string, string>();
  for (const { name, path, config } of connectors) {
    issues.push(...transportIssues(config, path));
    issues.push(...compileDevices(config, name, path).issues);
    if (
      (config.protocol ?? "tcp") === "rtu" &&
      typeof config.port === "string"
    ) {
      const previous = serialPorts.get(config.port);
      if (previous !== undefined) {
        issues.push({
          path: `${path}/port`,
          message: `serial port ${config.port} is already used by the connector at ${previous}`,
          value: config.port,
          fix: "list every device of one serial line under one connector's devices",
          severity: "error",
        });
      }
      serialPorts.set(config.port, path);
    }
  }
  return issues;
}

function transportIssues(config: ModbusConfig, path: string): ConfigIssue[] {
  const protocol = config.protocol ?? "tcp";
  const issues: ConfigIssue[] = [];
  if (protocol === "rtu") {
    if (typeof config.port !== "string") {
      issues.push({
        path: `${path}/port`,
        message: "an rtu connection needs the serial device path as port",
        value: config.port,
        fix: 'write port: "/dev/ttyUSB0" (or the path of your adapter)',
        severity: "error",
      });
    }
    return issues;
  }
  if (config.host === undefined) {
    issues.push({
      path: `${path}/host`,
      message: `a ${protocol} connection needs host`,
      fix: 'add host, e.g. "192.168.1.100"',
      severity: "error",
    });
  }
  if (typeof config.port === "string") {
    issues.push({
      path: `${path}/port`,
      message: `a ${protocol} connection needs a TCP port number`,
      value: config.port,
      fix: 'give a number such as 502, or set protocol: "rtu" for a serial device',
      severity: "error",
    });
  }
  return issues;
}

/** The Modbus connector plugin: config key `modbus`, one connection per entry. */
export const modbusPlugin: ConnectorPlugin<ModbusConfig> = {
  protocol: "modbus",
  configSchema: ModbusConfigSchema,
  check: checkModbusConfigs,
  create: (config, context) => new ModbusConnector(config, context),
};
