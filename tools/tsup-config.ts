// Shared tsup settings: every package builds ESM + CJS + .d.ts from the
// entry points it lists, so all published packages have the same shape.
import { defineConfig, type Options } from "tsup";

/** Creates the tsup configuration of one package from its entry points. */
export function packageConfig(
  entry: Record<string, string>,
  overrides: Partial<Options> = {},
) {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
