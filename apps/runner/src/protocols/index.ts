import { csvModule } from "./csv/index.js";
import { modbusModule } from "./modbus/index.js";
import { mqttModule } from "./mqtt/index.js";
import { ocppModule } from "./ocpp/index.js";
import type { ProtocolModule } from "./types.js";

/** Every protocol the runner ships, in the order commands list them. */
export const PROTOCOL_MODULES: readonly ProtocolModule[] = [
  mqttModule,
  ocppModule,
  modbusModule,
  csvModule,
];

/** Returns the module of a protocol, or `undefined`. */
export function protocolModule(protocol: string): ProtocolModule | undefined {
  return PROTOCOL_MODULES.find((module) => module.protocol === protocol);
}

export type * from "./types.js";
