import { OutputError, type QubitErrorOptions } from "@qubit/core";

/** Error codes of the runner's outputs, with what each one means. */
export const OutputErrorCodes = {
  QUBIT_RUNNER_OUTPUT_UNAVAILABLE:
    "An output is not connected to its server, or the connection failed.",
  QUBIT_RUNNER_OUTPUT_TIMEOUT:
    "An output's server did not acknowledge a batch in time.",
  QUBIT_RUNNER_OUTPUT_REJECTED:
    "An output's server answered a batch with an error.",
  QUBIT_RUNNER_OUTPUT_HTTP_STATUS:
    "A webhook answered with a status other than 2xx.",
  QUBIT_RUNNER_OUTPUT_TABLE_INVALID:
    "A PostgreSQL table is missing or has no primary key on id.",
  QUBIT_RUNNER_OUTPUT_STREAM_MISSING:
    "A JetStream stream is missing and create_stream is false.",
  QUBIT_RUNNER_OUTPUT_BUFFER_FULL:
    "A disk buffer reached max_bytes; the write is retried when it drains.",
  QUBIT_RUNNER_OUTPUT_BUFFER_BATCH_TOO_LARGE:
    "One batch is larger than the disk buffer's max_bytes.",
  QUBIT_RUNNER_OUTPUT_BUFFER_LOCKED:
    "Another process or output already uses a disk buffer folder.",
  QUBIT_RUNNER_OUTPUT_BUFFER_CORRUPT:
    "A disk buffer file contains a damaged record, which was moved aside.",
} as const;

/** A code of {@link OutputErrorCodes}. */
export type OutputErrorCode = keyof typeof OutputErrorCodes;

/**
 * A batch that an output could not deliver. The pipeline, or the disk
 * buffer, retries it.
 */
export class OutputDeliveryError extends OutputError {
  constructor(
    code: Extract<
      OutputErrorCode,
      | "QUBIT_RUNNER_OUTPUT_UNAVAILABLE"
      | "QUBIT_RUNNER_OUTPUT_TIMEOUT"
      | "QUBIT_RUNNER_OUTPUT_REJECTED"
    >,
    message: string,
    options: QubitErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** A webhook response with a status other than 2xx. */
export class WebhookStatusError extends OutputError {
  /** HTTP status code of the response. */
  readonly status: number;
  /** Start of the response body, for the log. */
  readonly body: string;

  constructor(status: number, body: string, options: QubitErrorOptions = {}) {
    super(
      "QUBIT_RUNNER_OUTPUT_HTTP_STATUS",
      `Webhook answered HTTP ${status}; expected a 2xx status`,
      { value: status, ...options },
    );
    this.status = status;
    this.body = body;
  }
}

/** A PostgreSQL table that this output cannot write to. */
export class TableInvalidError extends OutputError {
  constructor(message: string, options: QubitErrorOptions = {}) {
    super("QUBIT_RUNNER_OUTPUT_TABLE_INVALID", message, options);
  }
}

/** A JetStream stream that is missing while create_stream is false. */
export class StreamMissingError extends OutputError {
  constructor(message: string, options: QubitErrorOptions = {}) {
    super("QUBIT_RUNNER_OUTPUT_STREAM_MISSING", message, options);
  }
}

/** A disk buffer that cannot take a batch. */
export class BufferError extends OutputError {
  constructor(
    code: Extract<
      OutputErrorCode,
      | "QUBIT_RUNNER_OUTPUT_BUFFER_FULL"
      | "QUBIT_RUNNER_OUTPUT_BUFFER_BATCH_TOO_LARGE"
      | "QUBIT_RUNNER_OUTPUT_BUFFER_LOCKED"
      | "QUBIT_RUNNER_OUTPUT_BUFFER_CORRUPT"
    >,
    message: string,
    options: QubitErrorOptions = {},
  ) {
    super(code, message, options);
  }
}
