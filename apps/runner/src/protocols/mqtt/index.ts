import type { ProtocolModule } from "../types.js";

// Filled in by the mqtt connector work: plugin, convert, demo and commands.
export const mqttModule: ProtocolModule = { protocol: "mqtt" };
