import type { ConnectorPlugin } from "@qubit/core";
import { csvPlugin, httpIngestPlugin, restPlugin } from "@qubit/csv";
import { PROTOCOL_MODULES } from "../index.js";

/** The plugins of this module: file imports, REST polling and HTTP ingest. */
export const CSV_PLUGINS: ConnectorPlugin[] = [
  csvPlugin,
  restPlugin,
  httpIngestPlugin,
];

/**
 * Returns every plugin of every protocol module. It reads the module list
 * when called, because that list imports this module and is not complete
 * while this module loads.
 */
export function allPluginsLazy(): ConnectorPlugin[] {
  return PROTOCOL_MODULES.flatMap((module) => module.plugins ?? []);
}
