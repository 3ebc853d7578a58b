import type { StateStore } from "@qubit/core";
import { OcppMessage } from "./message.js";
import { badFrameMessage, handleCall, parseFrame } from "./processor/frames.js";
import { OcppProcessor } from "./processor/processor.js";
import type { CsmsPolicy, StationOptions } from "./processor/types.js";
import type { OcppVersion } from "./versions.js";

/** Options of {@link convertFrames}. */
export interface ConvertFramesOptions {
  version: OcppVersion;
  /** Charge point id the frames came from, URL-decoded. */
  identity: string;
  /** `source.connector` of the readings; default `ocpp`. */
  connectorName?: string;
  /** State to start from (transactions already running); default empty. */
  state?: StateStore;
  stationOptions?: StationOptions;
  policy?: Partial<CsmsPolicy>;
  /** Receive time given to every frame; default now. */
  now?: () => number;
  /** The file name, for the `file` and `line` of each message's source. */
  file?: string;
}

/**
 * Converts the traffic of one charge point, one OCPP-J CALL per line, as
 * our central system would handle it: transactions started in one frame
 * are known in the next, and each line gives one message (readings,
 * rejects, diagnostics). CALLRESULT and CALLERROR lines are responses to
 * the central system, not input; they give a message with a diagnostic.
 * Blank lines are skipped.
 */
export function* convertFrames(
  text: string,
  options: ConvertFramesOptions,
): Generator<OcppMessage> {
  const connectorName = options.connectorName ?? "ocpp";
  const now = options.now ?? Date.now;
  const processorOptions: ConstructorParameters<typeof OcppProcessor>[0] = {
    connectorName,
    now,
    stationOptions: () => options.stationOptions,
  };
  if (options.state) processorOptions.state = options.state;
  if (options.policy) processorOptions.policy = options.policy;
  const processor = new OcppProcessor(processorOptions);
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const place = {
      line: index + 1,
      ...(options.file ? { file: options.file } : {}),
    };
    const receivedAt = now();
    const frame = parseFrame(line);
    if (!frame.ok) {
      const message = badFrameMessage({
        identity: options.identity,
        version: options.version,
        messageId: frame.messageId,
        raw: line,
        receivedAt,
        connectorName,
        code: "QUBIT_OCPP_FRAME_INVALID",
        reason: `line is not an OCPP-J CALL: ${frame.reason}`,
      });
      Object.assign(message.source, place);
      yield message;
      continue;
    }
    if (frame.type !== 2) {
      const message = new OcppMessage({
        kind: frame.type === 3 ? "CALLRESULT" : "CALLERROR",
        identity: options.identity,
        version: options.version,
        messageId: frame.messageId,
        payload: undefined,
        raw: line,
        receivedAt,
        connectorName,
      });
      Object.assign(message.source, place);
      message.result.diagnostics.push({
        code: "QUBIT_OCPP_FRAME_INVALID",
        message: "line is a CALLRESULT or CALLERROR, not a CALL; skipped",
        location: { ...message.source },
      });
      yield message;
      continue;
    }
    const outcome = handleCall(processor, {
      identity: options.identity,
      version: options.version,
      messageId: frame.messageId,
      action: frame.action,
      payload: frame.payload,
      raw: line,
      receivedAt,
    });
    Object.assign(outcome.message.source, place);
    const result = outcome.message.result;
    for (const reading of result.readings) Object.assign(reading.source, place);
    for (const note of [...result.diagnostics, ...result.rejects]) {
      note.location = { ...note.location, ...place };
    }
    yield outcome.message;
  }
}
