import { QubitError } from "@qubit/core";

/** Bad command-line usage; the command exits with status 2. */
export class UsageError extends QubitError {
  constructor(message: string, fix?: string) {
    super("QUBIT_RUNNER_USAGE", message, fix === undefined ? {} : { fix });
  }
}

/** Error codes of `@qubit/all`, with what each one means. */
export const RunnerErrorCodes = {
  QUBIT_RUNNER_USAGE: "A command was called with invalid arguments.",
  QUBIT_RUNNER_CONFIG_READ: "The config file cannot be read or is not JSON.",
} as const;
