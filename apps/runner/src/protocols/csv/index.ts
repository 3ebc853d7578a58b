import type { ProtocolModule } from "../types.js";

// Filled in by the csv connector work: plugin, convert, demo and commands.
export const csvModule: ProtocolModule = { protocol: "csv" };
