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
      return this.refuse(response, 404, {
        error: `not found; POST readings to ${this.config.path}`,
      });
    if (request.method !== "POST") {
      response.setHeader("allow", "POST");
      return this.refuse(response, 405, {
        error: "method not allowed; use POST",
      });
    }
    if (!this.authorized(request.headers.authorization)) {
      response.setHeader("www-authenticate", 'Bearer realm="qubit"');
      return this.refuse(
        response,
        401,
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
      this.rejectedRequests += 1;
      const shown = parsed.problems
        .slice(0, this.config.max_errors_reported)
        .map(({ raw: _raw, ...problem }) => problem);
      send(response, 400, {
        code: "QUBIT_CSV_INGEST_BODY_INVALID",
        error: `${parsed.problems.length} of ${parsed.rows} rows are invalid; nothing was accepted`,
        accepted: 0,
        errors: shown,
      });
      return;
    }
    const sorted = this.history.sort(parsed.readings, parsed.raws);
    if (sorted.conflicts.length > 0) {
      this.conflicts += sorted.conflicts.length;
      this.deadLetter(sorted.conflicts, source);
      this.rejectedRequests += 1;
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
    if (this.sinkSaturated) await this.whenSinkWritable();
    let rejected: RejectedReading[];
    try {
      rejected = await this.deliverReadings(
        sorted,
        parsed.raws,
        parsed.diagnostics,
        source,
      );
    } catch (error) {
      send(response, 503, {
        error: `readings were not accepted: ${(error as Error).message}; retry later`,
      });
      return;
    }
    this.history.record(withoutRejected(sorted, rejected));
    this.duplicates += sorted.duplicates;
    this.rejectedReadings += rejected.length;
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
   * Delivers each new reading as a message of its own line or record and
   * resolves once the sink has taken them all. Returns the readings the
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
        return this.deliver(message);
      });
      await Promise.all(deliveries);
    } finally {
      letters?.off("dead-letter", onLetter);
    }
    return rejected;
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
    this.rejectedRequests += 1;
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
    body: object,
    request?: IncomingMessage,
  ): void {
    this.rejectedRequests += 1;
    this.logger.warn(
      { status, remote: request?.socket.remoteAddress },
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
