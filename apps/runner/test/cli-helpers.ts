import { PassThrough } from "node:stream";
import { main } from "../src/cli.js";

/** Output of one `qubit` command run in this process. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk) => {
    text += chunk;
  });
  return { stream, text: () => text };
}

/** Runs `qubit` with `argv` in this process, with its logs silenced. */
export async function runCli(argv: string[]): Promise<CliResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { ...process.env, QUBIT_LOG_LEVEL: "silent" },
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
