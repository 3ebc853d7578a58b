import { Backoff, sleep } from "@qubit/core";
import { CsvError, RestStatusError } from "../errors.js";

/** A response body read as text, with its status and headers. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Options of {@link requestWithRetry}. */
export interface RetryOptions {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** Called before each wait with the error and the delay. */
  onRetry(error: CsvError, attempt: number, delayMs: number): void;
  random?: () => number;
}

/**
 * Parses `Retry-After`: seconds, or an HTTP date. Returns milliseconds,
 * or undefined when absent or invalid.
 */
export function parseRetryAfter(
  value: string | null,
  now = Date.now(),
): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Sends a request, retrying on network errors, timeouts, 408, 425, 429
 * and 5xx with exponential backoff and jitter. A `Retry-After` header
 * sets the delay instead, capped at `maxDelayMs`. Other statuses throw
 * at once.
 */
export async function requestWithRetry(
  url: string,
  init: RequestInit,
  options: RetryOptions,
): Promise<HttpResponse> {
  const backoff = new Backoff({
    initialDelayMs: options.initialDelayMs,
    maxDelayMs: options.maxDelayMs,
    ...(options.random ? { random: options.random } : {}),
  });
  for (let attempt = 1; ; attempt += 1) {
    let error: CsvError;
    try {
      const response = await fetch(url, {
        ...init,
        signal: AbortSignal.any([
          options.signal,
          AbortSignal.timeout(options.timeoutMs),
        ]),
      });
      const text = await response.text();
      if (response.ok)
        return { status: response.status, headers: response.headers, text };
      const status = new RestStatusError(
        response.status,
        url,
        parseRetryAfter(response.headers.get("retry-after")),
        text,
      );
      if (!status.retryable) throw status;
      error = status;
    } catch (caught) {
      if (caught instanceof RestStatusError && !caught.retryable) throw caught;
      if (options.signal.aborted) throw caught;
      error =
        caught instanceof CsvError
          ? caught
          : new CsvError(
              "QUBIT_CSV_REST_REQUEST_FAILED",
              `Request to ${url} failed: ${describe(caught)}`,
              {
                location: { address: url },
                fix: "check that the server is reachable; the request is retried with backoff",
                cause: caught,
              },
            );
    }
    if (attempt >= options.maxAttempts) throw error;
    const hinted =
      error instanceof RestStatusError ? error.retryAfterMs : undefined;
    const delay =
      hinted === undefined
        ? backoff.next()
        : Math.min(hinted, options.maxDelayMs);
    options.onRetry(error, attempt, delay);
    await sleep(delay, options.signal);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (
      error as Error & { cause?: { code?: string; message?: string } }
    ).cause;
    if (error.name === "TimeoutError") return "timed out";
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}
