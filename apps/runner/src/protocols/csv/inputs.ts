import { statSync } from "node:fs";
import { resolve } from "node:path";
import { glob } from "tinyglobby";
import { UsageError } from "../../errors.js";

const IMPORTABLE =
  "**/*.{csv,tsv,txt,json,ndjson,jsonl,xml,csv.gz,tsv.gz,txt.gz,json.gz,ndjson.gz,jsonl.gz,xml.gz}";

/**
 * Expands the inputs of `qubit import csv`: a file as it is, a folder to
 * the importable files under it, anything else as a glob pattern. Returns
 * absolute paths, sorted and without duplicates.
 */
export async function expandInputs(
  inputs: readonly string[],
  cwd = process.cwd(),
): Promise<string[]> {
  const files = new Set<string>();
  for (const input of inputs) {
    const path = resolve(cwd, input);
    let kind: "file" | "dir" | undefined;
    try {
      const info = statSync(path);
      kind = info.isDirectory() ? "dir" : info.isFile() ? "file" : undefined;
    } catch {
      kind = undefined;
    }
    if (kind === "file") {
      files.add(path);
      continue;
    }
    const found =
      kind === "dir"
        ? await glob(IMPORTABLE, {
            cwd: path,
            absolute: true,
            caseSensitiveMatch: false,
          })
        : /[*?[\]{}]/.test(input)
          ? await glob(input, { cwd, absolute: true, onlyFiles: true })
          : undefined;
    if (found === undefined) {
      throw new UsageError(
        `Input not found: ${input}`,
        "give files, folders or glob patterns such as 'exports/*.csv'",
      );
    }
    if (found.length === 0) {
      throw new UsageError(
        `No files match ${input}`,
        kind === "dir"
          ? "the folder has no .csv, .json, .ndjson or .xml files"
          : "check the pattern; quote it so the shell does not expand it",
      );
    }
    for (const file of found) files.add(resolve(file));
  }
  return [...files].sort();
}
