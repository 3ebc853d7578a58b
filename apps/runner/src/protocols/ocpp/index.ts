import type { ProtocolModule } from "../types.js";

// Filled in by the ocpp connector work: plugin, convert, demo and commands.
export const ocppModule: ProtocolModule = { protocol: "ocpp" };
