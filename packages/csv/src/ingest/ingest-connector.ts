import { timingSafeEqual } from "node:crypto";
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
  parseConfig,
  type ReadingSource,
  type SourceMessage,
} from "@qubit/core";
import { CsvError } from "../errors.js";
import { RecordMessage } from "../import/row-message.js";
import type { DeepPartial } from "../mapping/schema.js";
import { type BodyProblem, type ParsedBody, parseCsvBody } from "./bodies.js";
import { type IngestConfig, IngestConfigSchema } from "./config.js";
import { parseJsonBody } from "./json-body.js";
import { IngestHistory } from "./repeats.js";

/** Config of {@link HttpIngestConnector} as a user writes it. */
export type IngestConfigInput = DeepPartial<IngestConfig> & {
  token: string;
};

class BodyTooLarge extends Error {}

/**
 * An HTTP endpoint that accepts readings pushed by clients: POST CSV
 * (`text/csv`, with a header line), NDJSON (`application/x-ndjson`) or
 * JSON (`application/json`: a reading, a list, or `{"readings": [...]}`)
 * with `Authorization: Bearer <token>`. It responds with 401 without a valid
 * token, 413 over `max_body_bytes` and 415 for another content type. It
 * responds with 400 listing the bad rows by line, and with 409 when a
 * reading gives a series and timestamp another value than an accepted
 * reading or another row; then nothing of the request is accepted.
 * Otherwise it responds with 202 once the sink has accepted every new
 * reading. A reading repeated with the same value is left out and counted
 * in `duplicates` of the 202 response.
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
  private readonly history = new IngestHistory();

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
    let text: string;
    try {
      text = await readBody(request, this.config.max_body_bytes);
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
    const message = new RecordMessage<never>({
      protocol: "http",
      kind: "request",
      source,
      receivedAt: this.now(),
      raw: text,
      result: {
        readings: sorted.fresh,
        rejects: [],
        diagnostics: parsed.diagnostics,
      },
    });
    if (this.sinkSaturated) await this.whenSinkWritable();
    try {
      await this.deliver(message);
    } catch (error) {
      send(response, 503, {
        error: `readings were not accepted: ${(error as Error).message}; retry later`,
      });
      return;
    }
    this.history.record(sorted);
    this.duplicates += sorted.duplicates;
    send(
      response,
      202,
      sorted.duplicates > 0
        ? { accepted: sorted.fresh.length, duplicates: sorted.duplicates }
        : { accepted: sorted.fresh.length },
    );
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

function send(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
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
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
