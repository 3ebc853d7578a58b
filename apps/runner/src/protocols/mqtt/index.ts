import { mqttPlugin } from "@qubit/mqtt";
import type { ProtocolModule } from "../types.js";
import { mqttConvert } from "./convert.js";
import { mqttDemo } from "./demo.js";

/**
 * The MQTT module of the runner: the `mqtt` connector, `qubit convert
 * mqtt` and the MQTT part of `qubit demo`.
 */
export const mqttModule: ProtocolModule = {
  protocol: "mqtt",
  plugins: [mqttPlugin],
  convert: mqttConvert,
  demo: mqttDemo,
};
