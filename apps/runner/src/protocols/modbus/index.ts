import type { ProtocolModule } from "../types.js";

// Filled in by the modbus connector work: plugin, convert, demo and commands.
export const modbusModule: ProtocolModule = { protocol: "modbus" };
