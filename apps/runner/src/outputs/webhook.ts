import {
  Backoff,
  type Logger,
  noopLogger,
  type Output,
  sleep,
  type TimeSeries,
} from "@qubit/core";
import type { WebhookOutputConfig } from "./config.js";
import { redactUrl } from "./endpoint.js";
import { OutputDeliveryError, WebhookStatusError } from "./errors.js";

/** Options of {@link WebhookOutput}. */
export interface WebhookOutputOptions {
  name?: string;
  logger?: Logger;
  /** Clock for Retry-After dates; default `Date.now`. */
  now?: () => number;
}

/** Characters of a response body that a log line keeps. */
const LOGGED_BODY_LENGTH = 1_000;

/**
 * Parses the value of a Retry-After header: a number of seconds or an
 * HTTP date. Returns the wait in milliseconds, or
 * `undefined` when the header is missing or invalid.
 */
export function parseRetryAfter(
  header: string | null,
  now: number,
): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  // HTTP dates start with a day name ("Sun, 06 Nov 1994 08:49:37 GMT");
  // the check keeps Date.parse from reading "-1" or "1.5" as a date.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The outcome of one request, and how long to wait before the next. */
type Attempt =
  | { ok: true }
  | { ok: false; error: Error; retryAfterMs: number | undefined };

/**
 * POSTs each batch as a JSON array to an HTTP endpoint. A 2xx status
 * counts as delivered. A 5xx or 429 is retried after the Retry-After the
 * server sent (up to `retry_after_max_ms`) or the backoff delay.
 *
 * Any other status is logged as an error with the status and body, and
 * retried with backoff, because the readings are valid by now and
 * dropping them would lose data without a trace. Redirects count as such
 * a status: they are not followed, because a 301 or 302 would turn the
 * POST into a GET.
 *
 * After `max_attempts` requests the write fails and the pipeline (or the
 * disk buffer) retries the batch later. The next write still waits for a
 * Retry-After that is not over.
 */
export class WebhookOutput implements Output {
  readonly name: string;
  private readonly config: WebhookOutputConfig;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly backoff: Backoff;
  private readonly endpoint: string;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly closing = new AbortController();
  private notBefore = 0;

  constructor(config: WebhookOutputConfig, options: WebhookOutputOptions = {}) {
    this.config = config;
    this.name = options.name ?? "webhook";
    const target = splitCredentials(config.url, config.headers);
    this.url = target.url;
    this.headers = {
      "content-type": "application/json",
      ...target.headers,
    };
    this.endpoint = redactUrl(config.url);
    this.logger = (options.logger ?? noopLogger).child({
      output: this.name,
      url: this.endpoint,
    });
    this.now = options.now ?? Date.now;
    this.backoff = new Backoff({
      initialDelayMs: config.retry_initial_delay_ms,
      maxDelayMs: config.retry_max_delay_ms,
    });
  }

  async write(readings: readonly TimeSeries[]): Promise<void> {
    if (readings.length === 0) return;
    const body = JSON.stringify(readings);
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= this.config.max_attempts; attempt += 1) {
      await this.waitForRetryAfter();
      const result = await this.post(body, readings.length, attempt);
      if (result.ok) {
        this.backoff.reset();
        return;
      }
      lastError = result.error;
      const delay = this.retryDelay(result.retryAfterMs);
      this.notBefore = this.now() + delay;
    }
    throw lastError!;
  }

  /** Aborts a request or wait in progress, so a write in progress fails. */
  async close(): Promise<void> {
    this.closing.abort(
      new OutputDeliveryError(
        "QUBIT_RUNNER_OUTPUT_UNAVAILABLE",
        "The webhook output was closed during a write",
      ),
    );
  }

  private retryDelay(retryAfterMs: number | undefined): number {
    if (retryAfterMs === undefined) return this.backoff.next();
    if (retryAfterMs > this.config.retry_after_max_ms) {
      this.logger.warn(
        {
          retry_after_ms: retryAfterMs,
          retry_after_max_ms: this.config.retry_after_max_ms,
        },
        "Retry-After is longer than retry_after_max_ms; waiting the maximum",
      );
      return this.config.retry_after_max_ms;
    }
    return retryAfterMs;
  }

  private async waitForRetryAfter(): Promise<void> {
    const wait = this.notBefore - this.now();
    if (wait > 0) await sleep(wait, this.closing.signal);
  }

  private async post(
    body: string,
    count: number,
    attempt: number,
  ): Promise<Attempt> {
    // One controller per request, aborted by the timeout or by close().
    // The timeout also covers reading the response body.
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, this.config.timeout_ms);
    const onClose = () => request.abort();
    this.closing.signal.addEventListener("abort", onClose, { once: true });
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: this.headers,
        body,
        redirect: "manual",
        signal: request.signal,
      });
      const text = await response.text();
      return this.outcome(response, text, count, attempt);
    } catch (error) {
      if (this.closing.signal.aborted) throw this.closing.signal.reason;
      const failure = new OutputDeliveryError(
        timedOut
          ? "QUBIT_RUNNER_OUTPUT_TIMEOUT"
          : "QUBIT_RUNNER_OUTPUT_UNAVAILABLE",
        timedOut
          ? `Webhook request timed out after ${this.config.timeout_ms} ms`
          : `Webhook request failed: ${causeMessage(error)}`,
        {
          cause: error,
          location: { address: this.endpoint },
          fix: "check that the endpoint is up and reachable",
        },
      );
      this.logger.warn(
        { attempt, readings: count, err: failure },
        "Webhook request failed",
      );
      return { ok: false, error: failure, retryAfterMs: undefined };
    } finally {
      clearTimeout(timer);
      this.closing.signal.removeEventListener("abort", onClose);
    }
  }

  private outcome(
    response: Response,
    text: string,
    count: number,
    attempt: number,
  ): Attempt {
    const status = response.status;
    if (response.ok) {
      this.logger.debug(
        { readings: count, status },
        "Batch delivered to the webhook",
      );
      return { ok: true };
    }
    const retryable = status === 429 || status >= 500;
    const bodyStart = text.slice(0, LOGGED_BODY_LENGTH);
    const error = new WebhookStatusError(status, bodyStart, {
      location: { address: this.endpoint },
      fix: retryable
        ? "the endpoint is overloaded or failing; the batch is retried"
        : "fix the endpoint or its headers; the batch is retried until it is accepted",
    });
    const context = { attempt, readings: count, status, body: bodyStart };
    if (retryable) {
      this.logger.warn(context, "Webhook is unavailable; retrying the batch");
      return {
        ok: false,
        error,
        retryAfterMs: parseRetryAfter(
          response.headers.get("retry-after"),
          this.now(),
        ),
      };
    }
    this.logger.error(
      context,
      "Webhook rejected a batch of valid readings; retrying with backoff",
    );
    return { ok: false, error, retryAfterMs: undefined };
  }
}

/**
 * Moves a user name and password in the URL into a Basic authorization
 * header, because fetch rejects URLs with credentials. An authorization
 * header in the config takes precedence.
 */
function splitCredentials(
  url: string,
  headers: Record<string, string>,
): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return { url, headers };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  const hasAuthorization = Object.keys(headers).some(
    (name) => name.toLowerCase() === "authorization",
  );
  if (hasAuthorization) return { url: parsed.href, headers };
  const basic = Buffer.from(`${user}:${password}`).toString("base64");
  return {
    url: parsed.href,
    headers: { ...headers, authorization: `Basic ${basic}` },
  };
}

/** Returns the message of an error and of its cause (fetch wraps both). */
function causeMessage(error: unknown): string {
  const message = (error as Error).message;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return `${message} (${cause.message})`;
  return message;
}
