import {
  BaseConnector,
  type ConnectorContext,
  parseConfig,
  type ReadingSource,
  type SourceMessage,
  sleep,
  substituteEnv,
} from "@qubit/core";
import { CsvError } from "../errors.js";
import { RecordMessage } from "../import/row-message.js";
import { compileJsonPath, selectRecords } from "../json/path.js";
import {
  convertRecord,
  createJsonMapper,
  type JsonRecord,
} from "../json/records.js";
import type { RowMapper } from "../mapping/row-mapper.js";
import type { DeepPartial, MappingInput } from "../mapping/schema.js";
import { type RestConfig, RestConfigSchema } from "./config.js";
import { requestWithRetry } from "./http.js";

/** Config of {@link RestConnector} as a user writes it. */
export type RestConfigInput = DeepPartial<Omit<RestConfig, "mapping">> & {
  url: string;
  mapping: MappingInput;
};

/** State-store namespace of the since-cursors. */
export const REST_CURSOR_NAMESPACE = "csv.rest";

const ignore = (): void => undefined;

/** Deliveries of one poll so far: latest timestamp and last promises. */
interface Delivery {
  /** Latest reading timestamp, epoch ms. */
  latest: number | undefined;
  readingsDone: Promise<void>;
  lettersDone: Promise<void>;
}

/**
 * Polls a REST API returning JSON on a schedule and maps its records to
 * readings with JSON paths. It follows pagination and requests only data
 * after its since-cursor, which is kept in the state store and saved
 * once the readings of a poll are accepted. It retries 429, 5xx and
 * network errors with backoff, honouring Retry-After. During an outage
 * the status is `degraded` and polls go on at the schedule.
 */
export class RestConnector extends BaseConnector<SourceMessage> {
  readonly protocol = "http";
  readonly config: RestConfig;
  private readonly mapper: RowMapper<JsonRecord>;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private cursor: string | undefined;
  private polls = 0;
  private failedPolls = 0;
  private lastPollAt: number | undefined;

  constructor(config: RestConfigInput, context: ConnectorContext = {}) {
    const parsed = parseConfig<RestConfig>(
      RestConfigSchema,
      config,
      "rest",
    ).value;
    super(parsed.name ?? "rest", context);
    this.config = parsed;
    this.mapper = createJsonMapper(parsed);
  }

  /** The since-cursor the next poll sends. */
  get sinceCursor(): string | undefined {
    return this.cursor;
  }

  /** Polls once now: every page, until its readings are accepted. */
  async pollOnce(): Promise<void> {
    const started = this.now();
    this.polls += 1;
    this.lastPollAt = started;
    const { pagination } = this.config;
    const delivery: Delivery = {
      latest: undefined,
      readingsDone: Promise.resolve(),
      lettersDone: Promise.resolve(),
    };
    let url: string | undefined = this.firstUrl();
    let page = pagination.first_page;
    let offset = 0;
    let last: unknown;

    for (
      let count = 1;
      url !== undefined && count <= pagination.max_pages;
      count += 1
    ) {
      const { document, headers } = await this.fetchPage(url);
      last = document;
      const records = selectRecords(document, this.config.records);
      await this.deliverPage(records, document, redact(url), count, delivery);
      if (records.length === 0) break;
      page += 1;
      offset += records.length;
      url = this.nextUrl(url, headers, document, page, offset);
    }

    // The cursor moves only once the readings before it are accepted.
    await Promise.all([delivery.readingsDone, delivery.lettersDone]);
    this.advanceCursor(last, delivery.latest);
    if (this.status === "degraded") this.setStatus("running");
    this.logger.debug(
      { duration_ms: this.now() - started, cursor: this.cursor },
      "REST poll done",
    );
  }

  protected async start(): Promise<void> {
    this.abort = new AbortController();
    const saved = this.state?.get<string>(REST_CURSOR_NAMESPACE, this.name);
    this.cursor = saved ?? this.config.since?.initial;
    this.loop = this.run(this.abort.signal);
  }

  protected async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  protected override healthDetails(): Record<string, unknown> {
    return {
      url: redact(this.config.url),
      polls: this.polls,
      failed_polls: this.failedPolls,
      since: this.cursor,
      last_poll_at:
        this.lastPollAt === undefined
          ? undefined
          : new Date(this.lastPollAt).toISOString(),
    };
  }

  private async run(signal: AbortSignal): Promise<void> {
    const interval = this.config.polling_interval * 1000;
    while (!signal.aborted) {
      const started = this.now();
      try {
        await this.pollOnce();
      } catch (error) {
        if (signal.aborted) return;
        this.failedPolls += 1;
        this.setStatus("degraded");
        const fault = this.recordFault(error, "QUBIT_CSV_REST_REQUEST_FAILED");
        this.logger.error(
          {
            code: fault.code,
            err: fault.message,
            url: redact(this.config.url),
          },
          "REST poll failed; next poll at the schedule",
        );
      }
      const wait = Math.max(0, interval - (this.now() - started));
      await sleep(wait, signal).catch(ignore);
    }
  }

  private async fetchPage(
    url: string,
  ): Promise<{ document: unknown; headers: Headers }> {
    const response = await requestWithRetry(url, this.requestInit(), {
      maxAttempts: this.config.retry.max_attempts,
      initialDelayMs: this.config.retry.initial_delay_ms,
      maxDelayMs: this.config.retry.max_delay_ms,
      timeoutMs: this.config.timeout_ms,
      signal: this.abort.signal,
      onRetry: (error, attempt, delayMs) => {
        this.setStatus("degraded");
        this.recordFault(error, error.code);
        this.logger.warn(
          {
            url: redact(url),
            attempt,
            retry_in_ms: delayMs,
            code: error.code,
            err: error.message,
          },
          "REST request failed; retrying",
        );
      },
    });
    try {
      return { document: JSON.parse(response.text), headers: response.headers };
    } catch (error) {
      throw new CsvError(
        "QUBIT_CSV_REST_RESPONSE_INVALID",
        `Response of ${redact(url)} is not JSON: ${(error as Error).message}`,
        {
          location: { address: redact(url) },
          value: response.text.slice(0, 200),
          fix: "check the url and the Accept header",
        },
      );
    }
  }

  private async deliverPage(
    records: unknown[],
    document: unknown,
    address: string,
    page: number,
    delivery: Delivery,
  ): Promise<void> {
    for (const [index, value] of records.entries()) {
      const source = {
        protocol: "http",
        address,
        connector: this.name,
        page,
        record: index + 1,
      } as ReadingSource;
      const result = convertRecord(
        this.mapper,
        { value, root: document },
        source,
        source,
      );
      for (const reading of result.readings) {
        const time = Date.parse(reading.timestamp);
        if (delivery.latest === undefined || time > delivery.latest) {
          delivery.latest = time;
        }
      }
      const message = new RecordMessage<JsonRecord>({
        protocol: "http",
        kind: "record",
        source,
        receivedAt: this.now(),
        raw: (value ?? null) as object,
        result,
      });
      const delivered = this.deliver(message);
      delivered.catch(ignore);
      if (result.rejects.length > 0) delivery.lettersDone = delivered;
      else delivery.readingsDone = delivered;
      if (this.sinkSaturated) await this.whenSinkWritable();
    }
  }

  private firstUrl(): string {
    const url = new URL(
      this.config.url.replaceAll(
        "{since}",
        encodeURIComponent(this.cursor ?? ""),
      ),
    );
    for (const [key, value] of Object.entries(this.config.query)) {
      url.searchParams.set(key, value.replaceAll("{since}", this.cursor ?? ""));
    }
    const since = this.config.since;
    if (
      since &&
      this.cursor !== undefined &&
      !this.config.url.includes("{since}")
    ) {
      url.searchParams.set(since.param, this.cursor);
    }
    const { pagination } = this.config;
    if (pagination.type === "page")
      url.searchParams.set(
        pagination.page_param,
        String(pagination.first_page),
      );
    if (pagination.type === "offset")
      url.searchParams.set(pagination.offset_param, "0");
    if (pagination.size_param && pagination.page_size !== undefined) {
      url.searchParams.set(pagination.size_param, String(pagination.page_size));
    }
    return url.toString();
  }

  private nextUrl(
    current: string,
    headers: Headers,
    document: unknown,
    page: number,
    offset: number,
  ): string | undefined {
    const { pagination } = this.config;
    switch (pagination.type) {
      case "page":
      case "offset": {
        const url = new URL(current);
        if (pagination.type === "page")
          url.searchParams.set(pagination.page_param, String(page));
        else url.searchParams.set(pagination.offset_param, String(offset));
        return url.toString();
      }
      case "cursor": {
        const cursor = compileJsonPath(pagination.cursor_path).first(document);
        if (cursor === undefined || cursor === null || cursor === "")
          return undefined;
        const url = new URL(current);
        url.searchParams.set(pagination.cursor_param, String(cursor));
        return url.toString();
      }
      case "next_url": {
        const next = compileJsonPath(pagination.next_url_path).first(document);
        return typeof next === "string" && next !== ""
          ? new URL(next, current).toString()
          : undefined;
      }
      case "link_header": {
        const link = headers.get("link");
        const match = link ? /<([^>]+)>\s*;[^,]*rel="?next"?/.exec(link) : null;
        return match ? new URL(match[1]!, current).toString() : undefined;
      }
      default:
        return undefined;
    }
  }

  private advanceCursor(last: unknown, latest: number | undefined): void {
    const since = this.config.since;
    if (!since) return;
    let next: string | undefined;
    if (since.source === "response") {
      const value = since.path
        ? compileJsonPath(since.path).first(last)
        : undefined;
      if (value !== undefined && value !== null && value !== "")
        next = String(value);
    } else if (latest !== undefined) {
      next =
        since.format === "epoch_ms"
          ? String(latest)
          : since.format === "epoch_s"
            ? String(Math.floor(latest / 1000))
            : new Date(latest).toISOString();
    }
    if (next === undefined || next === this.cursor) return;
    this.cursor = next;
    this.state?.set(REST_CURSOR_NAMESPACE, this.name, next);
  }

  private requestInit(): RequestInit {
    const { value, issues } = substituteEnv(this.config.headers);
    if (issues.length > 0) {
      throw new CsvError(
        "QUBIT_CSV_REST_REQUEST_FAILED",
        `headers: ${issues.map((issue) => issue.message).join("; ")}`,
        {
          location: { field: "headers" },
          fix: issues[0]?.fix ?? "set the environment variable",
        },
      );
    }
    const headers: Record<string, string> = {
      accept: "application/json",
      ...(value as Record<string, string>),
    };
    const init: RequestInit = { method: this.config.method, headers };
    if (this.config.method === "POST" && this.config.body !== undefined) {
      headers["content-type"] ??= "application/json";
      init.body = JSON.stringify(this.config.body).replaceAll(
        "{since}",
        this.cursor ?? "",
      );
    }
    return init;
  }
}

/** Removes credentials from a URL for logs and sources. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = "";
      parsed.password = "";
    }
    for (const key of [...parsed.searchParams.keys()]) {
      if (/token|key|secret|password|auth/i.test(key))
        parsed.searchParams.set(key, "redacted");
    }
    return parsed.toString();
  } catch {
    return url;
  }
}
