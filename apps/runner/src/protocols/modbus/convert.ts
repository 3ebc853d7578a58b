import { readFileSync } from "node:fs";
import { ConfigError, type SourceMessage } from "@qubit/core";
import {
  compileDevices,
  convertRegisterImage,
  type ModbusConfig,
  ModbusError,
  parseRegisterImage,
} from "@qubit/modbus";
import { readConfigFile } from "../../config/load.js";
import { UsageError } from "../../errors.js";
import type { CommandArgs, CommandContext, ConvertCommand } from "../types.js";

const USAGE = `Usage: qubit convert modbus --config FILE --registers-file FILE [options]

Shows the readings a register image becomes, as NDJSON, without a device:
every device of the config is decoded as if it had been polled once.

Options:
  -c, --config FILE           config file with a modbus section (the first
                              entry of a list), or the section alone
  -r, --registers-file FILE   JSON object from register address to 16-bit
                              word: Modicon references ("40001", "400001")
                              or a table and 0-based address
                              ("holding:57600"), e.g. {"40001": 17530}
  --device NAME               decode only this device of the config
  --at TIME                   poll time (ISO 8601) for the readings;
                              default now`;

/** `qubit convert modbus`: a register image through a register map. */
export const modbusConvert: ConvertCommand = {
  usage: USAGE,
  options: {
    config: { type: "string", short: "c" },
    "registers-file": { type: "string", short: "r" },
    device: { type: "string" },
    at: { type: "string" },
  },
  messages(args: CommandArgs, context: CommandContext): SourceMessage[] {
    const configPath = text(args.values.config);
    const registersPath = text(args.values["registers-file"]);
    if (!configPath || !registersPath) {
      throw new UsageError(
        `Missing ${configPath ? "--registers-file" : "--config"}`,
        `usage:\n${USAGE}`,
      );
    }
    const config = context.loadProtocolConfig<ModbusConfig>(
      configPath,
      "modbus",
    );
    const name = config.name ?? "modbus";
    const { devices, issues } = compileDevices(
      config,
      name,
      sectionPath(configPath),
    );
    const errors = issues.filter((issue) => issue.severity !== "warning");
    if (errors.length > 0) throw new ConfigError(errors, configPath);
    for (const warning of issues.filter((i) => i.severity === "warning")) {
      context.stderr.write(`warning: ${warning.path}: ${warning.message}\n`);
    }
    const selected = text(args.values.device);
    const chosen = selected
      ? devices.filter((device) => device.name === selected)
      : devices;
    if (selected && chosen.length === 0) {
      throw new UsageError(
        `No device "${selected}" in ${configPath}`,
        `use one of ${devices.map((device) => device.name).join(", ")}`,
      );
    }
    const image = parseRegisterImage(readJson(registersPath), registersPath);
    const endpoint =
      (config.protocol ?? "tcp") === "rtu"
        ? String(config.port)
        : `${config.host}:${config.port ?? 502}`;
    return convertRegisterImage(chosen, image, {
      connector: name,
      endpoint,
      timestamp: pollTime(text(args.values.at), context),
    });
  },
};

/** Returns the JSON pointer of the modbus section the config loader took. */
function sectionPath(path: string): string {
  const file = readConfigFile(path) as Record<string, unknown> | null;
  if (file === null || typeof file !== "object" || !("modbus" in file)) {
    return "";
  }
  return Array.isArray(file.modbus) ? "/modbus/0" : "/modbus";
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function readJson(path: string): unknown {
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `Cannot read --registers-file ${path}: ${(error as Error).message}`,
      "check the path",
    );
  }
  try {
    return JSON.parse(content);
  } catch (error) {
    throw new ModbusError(
      "QUBIT_MODBUS_REGISTERS_FILE_INVALID",
      `${path} is not valid JSON: ${(error as Error).message}`,
      {
        location: { address: path },
        fix: 'write a JSON object such as {"40001": 17530, "40002": 0}',
      },
    );
  }
}

function pollTime(at: string | undefined, context: CommandContext): number {
  if (at === undefined) return context.now();
  const time = Date.parse(at);
  if (Number.isNaN(time)) {
    throw new UsageError(
      `Invalid --at ${JSON.stringify(at)}`,
      "give an ISO 8601 time such as 2025-01-15T10:00:00Z",
    );
  }
  return time;
}
