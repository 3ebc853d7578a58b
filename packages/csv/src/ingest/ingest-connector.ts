import { timingSafeEqual } from "node:crypto";
import type { EventEmitter } from "node:events";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import {
  BaseConnector,
  type ConnectorContext,
  type DeadLetter,
  type MessageSink,
  parseConfig,
  type ReadingSource,
  type SourceMessage,
  type TimeSeries,
} from "@qubit/core";
import { CsvError } from "../errors.js";
import { RecordMessage } from "../import/row-message.js";
import type { DeepPartial } from "../mapping/schema.js";
import { type BodyProblem, type ParsedBody, parseCsvBody } from "./bodies.js";
import { invalidUtf8Offset } from "./body-checks.js";
import { type IngestConfig, IngestConfigSchema } from "./config.js";
import { parseJsonBody } from "./json-body.js";
import { IngestHistory, type SortedReadings } from "./repeats.js";

/** Config of {@link HttpIngestConnector} as a user writes it. */
export type IngestConfigInput = DeepPartial<IngestConfig> & {
  token: string;
};

class BodyTooLarge extends Error {}

/** Reason label of `qubit_ingest_requests_rejected_total`. */
type RejectReason =
  | "not_found"
  | "method_not_allowed"
  | "unauthorized"
  | "too_large"
  | "unsupported_media_type"
  | "not_utf8"
  | "invalid_body"
  | "conflict"
  | "saturated"
  | "timeout"
  | "delivery_failed";

const TIMED_OUT = Symbol("timed out");

/** A reading of a request that the sink rejected to the dead-letter output. */
interface RejectedReading {
  line?: number;
  record?: number;
  code: string;
  message: string;
}

/**
 * An HTTP endpoint that accepts readings pushed by clients: POST CSV
 * (`text/csv`, with a header line), NDJSON (`application/x-ndjson`) or
 * JSON (`application/json`: a reading, a list, or `{"readings": [...]}`)
 * with `Authorization: Bearer <token>`. It responds with 401 without a valid
 * token, 413 over `max_body_bytes` and 415 for another content type. It
 * responds with 400 for a body that is not UTF-8 or nests JSON deeper
 * than 64 levels, and with 400 listing the bad rows by line. It responds
 * with 409 when a reading gives a series and timestamp another value
 * than an accepted reading or another row. After a 400 or 409 nothing of
 * the request is accepted.
 * Otherwise it responds with 202 once the sink has taken every new
 * reading. `accepted` counts the readings the sink stored, and `errors`
 * lists those it rejected to the dead-letter output (such as a timestamp
 * outside the pipeline's window). A reading repeated with the same value
 * is left out and counted in `duplicates` of the 202 response.
 * It responds with 503 and `Retry-After` while the pipeline is saturated,
 * or when the outputs have not accepted the readings within
 * `accept_timeout_ms`. The client must then send the request again,
 * which is safe because readings have deterministic ids.
 */
export class HttpIngestConnector extends BaseConnector<SourceMessage> {
  readonly protocol = "http";
  readonly config: IngestConfig;
  private server: Server | undefined;
  private readonly token: Buffer;
  private requests = 0;
  private rejectedRequests = 0;
  private duplicates = 0;
  private conflicts = 0;
  private rejectedReadings = 0;
  private lastRequestId = 0;
  private readonly history = new IngestHistory();
  /**
   * Deliveries still waiting for the outputs, by reading id. A resent
   * reading waits for its first delivery in place of a second submit,
   * which the pipeline would drop as a duplicate and report as taken.
   */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly rejectedRequestsMetric;
  private readonly duplicatesMetric;
  /** The sink when it emits `dead-letter` events, as the pipeline does. */
  private letterSource: EventEmitter | undefined;

  constructor(config: IngestConfigInput, context: ConnectorContext = {}) {
    const parsed = parseConfig<IngestConfig>(
      IngestConfigSchema,
      config,
      "http_ingest",
    ).value;
    super(parsed.name ?? "http_ingest", context);
    this.config = parsed;
    this.token = Buffer.from(parsed.token);
    this.rejectedRequestsMetric = this.registry.counter(
      "qubit_ingest_requests_rejected_total",
      "Ingest requests answered with an error status, by reason",
    );
    // The pipeline never receives the repeats that the endpoint leaves out,
    // so the endpoint counts them in the pipeline's duplicate counter.
    this.duplicatesMetric = this.registry
      .counter(
        "qubit_readings_duplicate_total",
        "Readings dropped as duplicates by id",
      )
      .with({ connector: this.name });
  }

  /** URL of the endpoint once listening, such as `http://127.0.0.1:8088/ingest`. */
  get url(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return undefined;
    return `http://${address.address.includes(":") ? `[${address.address}]` : address.address}:${address.port}${this.config.path}`;
  }

  override attach(sink: MessageSink): void {
    super.attach(sink);
    const emitter = sink as Partial<EventEmitter>;
    this.letterSource =
      typeof emitter.on === "function" && typeof emitter.off === "function"
        ? (sink as unknown as EventEmitter)
        : undefined;
  }

  protected async start(): Promise<void> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.logger.error({ err: error }, "Ingest request failed");
        if (!response.headersSent)
          send(response, 500, { error: "internal error" });
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) =>
        reject(
          new CsvError(
            "QUBIT_CSV_INGEST_LISTEN_FAILED",
            `Cannot listen on ${this.config.host}:${this.config.port}: ${error.message}`,
            {
              location: { address: `${this.config.host}:${this.config.port}` },
              fix: "choose a free port, or 0 for any",
              cause: error,
            },
          ),
        ),
      );
      server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.logger.info({ url: this.url }, "Ingest endpoint listening");
  }

  protected async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  protected override healthDetails(): Record<string, unknown> {
    return {
      url: this.url,
      requests: this.requests,
      rejected_requests: this.rejectedRequests,
      duplicates: this.duplicates,
      conflicts: this.conflicts,
      rejected_readings: this.rejectedReadings,
    };
  }

  private async handle(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    this.requests += 1;
    const path = (request.url ?? "/").split("?")[0];
    if (path !== this.config.path)
      return this.refuse(response, 404, "not_found", {
        error: `not found; POST readings to ${this.config.path}`,
      });
    if (request.method !== "POST") {
      response.setHeader("allow", "POST");
      return this.refuse(response, 405, "method_not_allowed", {
        error: "method not allowed; use POST",
      });
    }
    if (!this.authorized(request.headers.authorization)) {
      response.setHeader("www-authenticate", 'Bearer realm="qubit"');
      return this.refuse(
        response,
        401,
        "unauthorized",
        {
          code: "QUBIT_CSV_INGEST_UNAUTHORIZED",
          error: "missing or invalid bearer token",
        },
        request,
      );
    }
    const length = Number(request.headers["content-length"] ?? Number.NaN);
    if (length > this.config.max_body_bytes) {
      return this.refuse(
        response,
        413,
        "too_large",
        {
          code: "QUBIT_CSV_INGEST_TOO_LARGE",
          error: `body is ${length} bytes; the limit is ${this.config.max_body_bytes}`,
        },
        request,
      );
    }
    const type = (request.headers["content-type"] ?? "")
      .split(";")[0]!
      .trim()
      .toLowerCase();
    const kind =
      type === "text/csv"
        ? "csv"
        : /^application\/(x-)?(ndjson|jsonl|jsonlines)$/.test(type)
          ? "ndjson"
          : type === "application/json"
            ? "json"
            : undefined;
    if (kind === undefined) {
      return this.refuse(
        response,
        415,
        "unsupported_media_type",
        {
          error: `content type ${JSON.stringify(type)} is not accepted; use text/csv, application/x-ndjson or application/json`,
        },
        request,
      );
    }
    let body: Buffer;
    try {
      body = await readBody(request, this.config.max_body_bytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return this.refuse(
          response,
          413,
          "too_large",
          {
            code: "QUBIT_CSV_INGEST_TOO_LARGE",
            error: `body is over the limit of ${this.config.max_body_bytes} bytes`,
          },
          request,
        );
      }
      throw error;
    }
    const source = {
      protocol: "http",
      address: `POST ${this.config.path}`,
      connector: this.name,
    } as ReadingSource;
    const badByte = invalidUtf8Offset(body);
    if (badByte >= 0) {
      this.rejectEncoding(response, body, badByte, source);
      return;
    }
    const text = body.toString("utf8");
    const parsed: ParsedBody =
      kind === "csv"
        ? parseCsvBody(text, this.config, source)
        : parseJsonBody(text, kind === "ndjson", this.config, source);
    if (parsed.problems.length > 0) {
      this.deadLetter(parsed.problems, source);
      this.countRejected("invalid_body");
      const shown = parsed.problems
        .slice(0, this.config.max_errors_reported)
        .map(({ raw: _raw, ...problem }) => problem);
      send(response, 400, {
        code: "QUBIT_CSV_INGEST_BODY_INVALID",
        error: `${describeProblems(parsed)}; nothing was accepted`,
        accepted: 0,
        errors: shown,
      });
      return;
    }
    const sorted = this.history.sort(parsed.readings, parsed.raws);
    if (sorted.conflicts.length > 0) {
      this.conflicts += sorted.conflicts.length;
      this.deadLetter(sorted.conflicts, source);
      this.countRejected("conflict");
      send(response, 409, {
        code: "QUBIT_CSV_VALUE_CONFLICT",
        error: `${sorted.conflicts.length} readings give a series and timestamp another value than an accepted reading or another row; nothing was accepted`,
        accepted: 0,
        errors: sorted.conflicts
          .slice(0, this.config.max_errors_reported)
          .map(({ raw: _raw, ...problem }) => problem),
      });
      return;
    }
    if (this.sinkSaturated) {
      this.rejectNotAccepted(response, "saturated", sorted.fresh.length);
      return;
    }
    const accepting = this.acceptReadings(sorted, parsed, source);
    let outcome: RejectedReading[] | typeof TIMED_OUT;
    try {
      outcome = await withTimeout(accepting, this.config.accept_timeout_ms);
    } catch (error) {
      this.rejectNotAccepted(
        response,
        "delivery_failed",
        sorted.fresh.length,
        error as Error,
      );
      return;
    }
    if (outcome === TIMED_OUT) {
      // The delivery goes on, and records the readings once accepted.
      accepting.catch(() => undefined);
      this.rejectNotAccepted(response, "timeout", sorted.fresh.length);
      return;
    }
    const rejected = outcome;
    this.duplicates += sorted.duplicates;
    this.duplicatesMetric.inc(sorted.duplicates);
    const reply: Record<string, unknown> = {
      accepted: sorted.fresh.length - rejected.length,
    };
    if (sorted.duplicates > 0) reply.duplicates = sorted.duplicates;
    if (rejected.length > 0) {
      reply.rejected = rejected.length;
      reply.errors = rejected.slice(0, this.config.max_errors_reported);
    }
    send(response, 202, reply);
  }

  /**
   * Delivers the new readings of a request and records those the sink
   * took in the history. Returns the readings it rejected.
   */
  private async acceptReadings(
    sorted: SortedReadings,
    parsed: ParsedBody,
    source: ReadingSource,
  ): Promise<RejectedReading[]> {
    const rejected = await this.deliverReadings(
      sorted,
      parsed.raws,
      parsed.diagnostics,
      source,
    );
    this.history.record(withoutRejected(sorted, rejected));
    this.rejectedReadings += rejected.length;
    return rejected;
  }

  /**
   * Sends 503 with `Retry-After` for readings that the outputs did not
   * accept: the pipeline is saturated, the wait timed out, or the
   * delivery failed. The client must send the request again.
   */
  private rejectNotAccepted(
    response: ServerResponse,
    reason: "saturated" | "timeout" | "delivery_failed",
    readings: number,
    error?: Error,
  ): void {
    this.countRejected(reason);
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil(this.config.accept_timeout_ms / 1000),
    );
    const cause =
      reason === "saturated"
        ? "the pipeline holds more pending readings than its limit"
        : reason === "timeout"
          ? `waiting for the outputs timed out after ${this.config.accept_timeout_ms} ms`
          : "the pipeline closed before the outputs accepted them";
    this.logger.warn(
      {
        reason,
        readings,
        timeout_ms: this.config.accept_timeout_ms,
        ...(error ? { err: error } : {}),
      },
      "Ingest request answered 503; the client must send it again",
    );
    response.setHeader("retry-after", String(retryAfterSeconds));
    send(response, 503, {
      code: "QUBIT_CSV_INGEST_NOT_ACCEPTED",
      error: `${readings} readings were not accepted because ${cause}; send the request again after ${retryAfterSeconds} s, which is safe because readings have deterministic ids`,
      accepted: 0,
      retry_after_s: retryAfterSeconds,
    });
  }

  /**
   * Delivers each new reading as a message of its own line or record and
   * resolves once the sink has taken them all. A reading still in flight
   * from an earlier request waits for that delivery. Returns the readings the
   * sink rejected to the dead-letter output. The pipeline emits those
   * letters during `submit`, and the request id in the message source
   * separates them from the letters of concurrent requests.
   */
  private async deliverReadings(
    sorted: SortedReadings,
    raws: ReadonlyMap<number, string>,
    diagnostics: ParsedBody["diagnostics"],
    source: ReadingSource,
  ): Promise<RejectedReading[]> {
    this.lastRequestId += 1;
    const requestId = this.lastRequestId;
    const rejected: RejectedReading[] = [];
    const onLetter = (letter: DeadLetter) => {
      if (letter.location.request !== requestId) return;
      const { line, record } = letter.location;
      rejected.push({
        ...(typeof line === "number" ? { line } : {}),
        ...(typeof record === "number" ? { record } : {}),
        code: letter.code,
        message: letter.reason,
      });
    };
    const letters = this.letterSource;
    letters?.on("dead-letter", onLetter);
    try {
      const deliveries = sorted.fresh.map((reading, index) => {
        // NOTE: a reading the pipeline rejected in the earlier request is
        // not listed in this request's errors.
        const earlier = this.inFlight.get(reading.id);
        if (earlier) return earlier;
        const place = placeOf(reading);
        const message = new RecordMessage<never>({
          protocol: "http",
          kind: "request",
          source: { ...source, ...place, request: requestId } as ReadingSource,
          receivedAt: this.now(),
          raw: raws.get(place.line ?? place.record ?? 0) ?? "",
          result: {
            readings: [reading],
            rejects: [],
            // The body's warnings go with its first message only.
            diagnostics: index === 0 ? diagnostics : [],
          },
        });
        return this.track(reading.id, this.deliver(message));
      });
      await Promise.all(deliveries);
    } finally {
      letters?.off("dead-letter", onLetter);
    }
    return rejected;
  }

  /** Keeps `delivery` in {@link inFlight} until it settles. */
  private track(id: string, delivery: Promise<void>): Promise<void> {
    this.inFlight.set(id, delivery);
    const forget = () => {
      if (this.inFlight.get(id) === delivery) this.inFlight.delete(id);
    };
    delivery.then(forget, forget);
    return delivery;
  }

  private countRejected(reason: RejectReason): void {
    this.rejectedRequests += 1;
    this.rejectedRequestsMetric.inc({ connector: this.name, reason });
  }

  private rejectEncoding(
    response: ServerResponse,
    body: Buffer,
    offset: number,
    source: ReadingSource,
  ): void {
    const byte = body[offset]!.toString(16).padStart(2, "0");
    const problem: BodyProblem = {
      code: "QUBIT_CSV_INGEST_NOT_UTF8",
      message: `Body is not valid UTF-8: byte 0x${byte} at byte offset ${offset} does not start or continue a valid sequence; send UTF-8 text`,
      raw: body,
    };
    this.deadLetter([problem], source);
    this.countRejected("not_utf8");
    send(response, 400, {
      code: problem.code,
      error: `${problem.message}; nothing was accepted`,
      offset,
      accepted: 0,
    });
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
    if (!match) return false;
    const given = Buffer.from(match[1]!.trim());
    return (
      given.length === this.token.length && timingSafeEqual(given, this.token)
    );
  }

  private refuse(
    response: ServerResponse,
    status: number,
    reason: RejectReason,
    body: object,
    request?: IncomingMessage,
  ): void {
    this.countRejected(reason);
    this.logger.warn(
      { status, reason, remote: request?.socket.remoteAddress },
      "Ingest request refused",
    );
    // The body is not read; closing the connection keeps a client from
    // streaming the rest of a refused upload.
    if (request) response.setHeader("connection", "close");
    send(response, status, body);
    request?.resume();
  }

  private deadLetter(problems: BodyProblem[], source: ReadingSource): void {
    for (const problem of problems) {
      const place = {
        ...source,
        ...(problem.line === undefined ? {} : { line: problem.line }),
        ...(problem.record === undefined ? {} : { record: problem.record }),
      } as ReadingSource;
      const message = new RecordMessage<never>({
        protocol: "http",
        kind: "request",
        source: place,
        receivedAt: this.now(),
        raw: problem.raw,
        result: {
          readings: [],
          rejects: [
            {
              code: problem.code,
              message: problem.message,
              location:
                problem.column === undefined ? {} : { column: problem.column },
              fix: "fix the row and send the request again",
            },
          ],
          diagnostics: [],
        },
      });
      this.deliver(message).catch(() => undefined);
    }
  }
}

/** Returns the line (CSV, NDJSON) or record (JSON) a reading came from. */
function placeOf(reading: TimeSeries): { line?: number; record?: number } {
  const source = reading.source as Record<string, unknown>;
  if (typeof source.line === "number") return { line: source.line };
  if (typeof source.record === "number") return { record: source.record };
  return {};
}

/** Returns `sorted` without the entries of readings the sink rejected. */
function withoutRejected(
  sorted: SortedReadings,
  rejected: readonly RejectedReading[],
): SortedReadings {
  if (rejected.length === 0) return sorted;
  const places = new Set(
    rejected.map((reading) => reading.line ?? reading.record),
  );
  return {
    ...sorted,
    entries: sorted.entries.filter((entry) => !places.has(entry.place)),
  };
}

/**
 * Describes the bad rows of a body. A body that fails as a whole, such as
 * text that is not JSON, has no rows to count.
 */
function describeProblems(parsed: ParsedBody): string {
  if (parsed.rows === 0) {
    const first = parsed.problems[0]!;
    return `The body is invalid: ${first.message}`;
  }
  return `${parsed.problems.length} of ${parsed.rows} rows are invalid`;
}

/** Resolves with `promise`'s value, or with {@link TIMED_OUT} after `ms`. */
function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function send(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners("data");
        request.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
