import { readFileSync } from "node:fs";
import { convertFrames, ocppPlugin, parseVersion } from "@qubit/ocpp";
import { UsageError } from "../../errors.js";
import type { ConvertCommand, ProtocolModule } from "../types.js";
import { ocppDemo } from "./demo.js";
import { hashPasswordCommand, simulateCommand } from "./simulate.js";

const CONVERT_USAGE = `Usage: qubit convert ocpp --version 1.6|2.0.1 --charge-point ID --frame-file FILE [--energy-unit Wh|kWh]

Handles FILE as one charge point's traffic, one OCPP-J CALL per line
(for example [2,"42","MeterValues",{...}]), as the central system would:
a transaction started in one line is known in the next. Prints the
readings as NDJSON.

Options:
  --version VERSION      OCPP version of the frames: 1.6 or 2.0.1
  --charge-point ID      charge point id the frames came from
  --frame-file FILE      file with one frame per line
  --energy-unit UNIT     unit the energy registers really use (Wh or kWh),
                         for chargers that label kWh values as Wh`;

const convert: ConvertCommand = {
  usage: CONVERT_USAGE,
  options: {
    version: { type: "string" },
    "charge-point": { type: "string" },
    "frame-file": { type: "string" },
    "energy-unit": { type: "string" },
  },
  messages(args) {
    const versionText = args.values.version;
    const identity = args.values["charge-point"];
    const file = args.values["frame-file"];
    const energyUnit = args.values["energy-unit"];
    if (
      typeof versionText !== "string" ||
      typeof identity !== "string" ||
      typeof file !== "string"
    ) {
      throw new UsageError(
        "--version, --charge-point and --frame-file are required",
        `usage:\n${CONVERT_USAGE}`,
      );
    }
    const version = parseVersion(versionText);
    if (!version) {
      throw new UsageError(
        `Invalid --version ${JSON.stringify(versionText)}`,
        "use 1.6 or 2.0.1",
      );
    }
    if (
      energyUnit !== undefined &&
      energyUnit !== "Wh" &&
      energyUnit !== "kWh"
    ) {
      throw new UsageError(
        `Invalid --energy-unit ${JSON.stringify(energyUnit)}`,
        "use Wh or kWh",
      );
    }
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new UsageError(
        `Cannot read --frame-file ${file}: ${(error as Error).message}`,
        "check the path",
      );
    }
    return convertFrames(text, {
      version,
      identity,
      file,
      ...(typeof energyUnit === "string"
        ? { stationOptions: { energy_unit: energyUnit } }
        : {}),
    });
  },
};

/** The OCPP part of the runner: plugin, convert, demo, simulate and hash-password. */
export const ocppModule: ProtocolModule = {
  protocol: "ocpp",
  plugins: [ocppPlugin],
  convert,
  demo: ocppDemo,
  commands: [simulateCommand, hashPasswordCommand],
};
