import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@qubit/source"] },
  ssr: { resolve: { conditions: ["@qubit/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
