import { packageConfig } from "../../tools/tsup-config.js";

// shims: the CommonJS build needs import.meta.url to find better-sqlite3
// for the store's checkpoint worker.
export default packageConfig(
  { index: "src/index.ts", cli: "src/cli.ts" },
  { shims: true },
);
