import { packageConfig } from "../../tools/tsup-config.js";

export default packageConfig(
  { index: "src/index.ts", cli: "src/cli.ts" },
  { banner: { js: "" } },
);
