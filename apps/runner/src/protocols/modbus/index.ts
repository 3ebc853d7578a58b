import { modbusPlugin } from "@qubit/modbus";
import type { ProtocolModule } from "../types.js";
import { modbusConvert } from "./convert.js";
import { modbusDemo } from "./demo.js";
import { modbusProbeCommand } from "./probe.js";

/**
 * The Modbus module of the runner: the `modbus` connector, `qubit
 * convert modbus`, `qubit modbus probe` and the inverter of `qubit demo`.
 */
export const modbusModule: ProtocolModule = {
  protocol: "modbus",
  plugins: [modbusPlugin],
  convert: modbusConvert,
  demo: modbusDemo,
  commands: [modbusProbeCommand],
};
