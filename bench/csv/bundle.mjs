// Bundles the CSV connector, the core pipeline and the SQLite output from
// their TypeScript sources with esbuild (the one tsup brings), so that no
// TypeScript loader runs while a benchmark measures.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Writes the bundle to `outfile` and returns its path. */
export async function bundle(outfile) {
  const requireFromTsup = createRequire(
    createRequire(import.meta.url).resolve("tsup"),
  );
  const esbuild = requireFromTsup("esbuild");
  const requireFromRunner = createRequire(
    join(root, "apps/runner/package.json"),
  );
  const sqlite = requireFromRunner.resolve("better-sqlite3");
  await esbuild.build({
    stdin: {
      contents: [
        `export { CsvConnector } from ${JSON.stringify(join(root, "packages/csv/src/index.ts"))};`,
        `export { Pipeline, NullOutput, MemoryDeadLetterOutput } from ${JSON.stringify(join(root, "packages/core/src/index.ts"))};`,
        `export { SqliteOutput } from ${JSON.stringify(join(root, "apps/runner/src/outputs/sqlite.ts"))};`,
      ].join("\n"),
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@qubit/source"],
    outfile,
    logLevel: "error",
    banner: {
      js: "import { createRequire as __qubitRequire } from 'node:module'; const require = __qubitRequire(import.meta.url);",
    },
    plugins: [
      {
        name: "native-sqlite",
        setup(build) {
          build.onResolve({ filter: /^better-sqlite3$/ }, () => ({
            path: sqlite,
            external: true,
          }));
          // The SQLite writer thread resolves better-sqlite3 from its own
          // file's URL, which must stay the source file's, not the bundle's.
          build.onLoad({ filter: /outputs[\\/]sqlite-writer\.ts$/ }, async (args) => ({
            contents: (await readFile(args.path, "utf8")).replaceAll(
              "import.meta.url",
              JSON.stringify(pathToFileURL(args.path).href),
            ),
            loader: "ts",
          }));
        },
      },
    ],
  });
  return outfile;
}
