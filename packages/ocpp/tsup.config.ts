import { packageConfig } from "../../tools/tsup-config.js";

// shims: the CJS build needs import.meta.url to locate ocpp-rpc's schemas.
export default packageConfig({ index: "src/index.ts" }, { shims: true });
