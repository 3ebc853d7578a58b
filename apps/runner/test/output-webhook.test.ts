// Tests of the webhook output against an HTTP server on 127.0.0.1 that the
// test starts and scripts response by response.
import { once } from "node:events";
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { TimeSeries } from "@qubit/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type WebhookOutputConfig,
  WebhookOutputConfigSchema,
} from "../src/outputs/config.js";
import { parseRetryAfter, WebhookOutput } from "../src/outputs/webhook.js";
import { CaptureLogger, configOf, makeReadings } from "./output-helpers.js";

interface Received {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** The server's response to one request; `hang` sends none. */
type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | "hang";

let server: Server;
let base = "";
const received: Received[] = [];
const replies: Reply[] = [];
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => {
      text += chunk;
    });
    request.on("end", () => {
      received.push({
        at: Date.now(),
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: text === "" ? undefined : JSON.parse(text),
      });
      const reply = replies.shift() ?? { status: 204 };
      if (reply === "hang") {
        hanging.push(response);
        return;
      }
      response.writeHead(reply.status, reply.headers ?? {});
      response.end(reply.body ?? "");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const response of hanging) response.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, "close");
});

beforeEach(() => {
  received.length = 0;
  replies.length = 0;
});

function webhookConfig(overrides: Record<string, unknown> = {}) {
  return configOf<WebhookOutputConfig>(WebhookOutputConfigSchema, {
    type: "webhook",
    url: `${base}/ingest`,
    timeout_ms: 2_000,
    retry_initial_delay_ms: 20,
    retry_max_delay_ms: 100,
    ...overrides,
  });
}

describe("webhook output", () => {
  it("posts each batch as a JSON array", async () => {
    const output = new WebhookOutput(
      webhookConfig({
        headers: { authorization: "Bearer t0ken", "x-site": "sit_1" },
      }),
    );
    const readings = makeReadings(3);
    await output.write(readings);
    await output.close();
    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/ingest");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers.authorization).toBe("Bearer t0ken");
    expect(request.headers["x-site"]).toBe("sit_1");
    expect(request.body as TimeSeries[]).toEqual(readings);
  });

  it("waits for Retry-After seconds after a 503", async () => {
    replies.push({ status: 503, headers: { "retry-after": "1" } });
    const output = new WebhookOutput(webhookConfig());
    await output.write(makeReadings(2));
    await output.close();
    expect(received).toHaveLength(2);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it("waits for a Retry-After date after a 429", async () => {
    const retryAt = new Date(Date.now() + 2_000).toUTCString();
    replies.push({ status: 429, headers: { "retry-after": retryAt } });
    const output = new WebhookOutput(webhookConfig());
    await output.write(makeReadings(2));
    await output.close();
    expect(received).toHaveLength(2);
    // An HTTP date has whole seconds, so the wait is at least one second.
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it("caps Retry-After at retry_after_max_ms", async () => {
    replies.push({ status: 503, headers: { "retry-after": "3600" } });
    const logger = new CaptureLogger();
    const output = new WebhookOutput(
      webhookConfig({ retry_after_max_ms: 50 }),
      { logger },
    );
    await output.write(makeReadings(1));
    await output.close();
    expect(received).toHaveLength(2);
    const capped = logger.lines.find((line) =>
      line.message?.includes("retry_after_max_ms"),
    );
    expect(capped?.context.retry_after_ms).toBe(3_600_000);
  });

  it("logs a 400 with its body and retries", async () => {
    replies.push({ status: 400, body: '{"error":"unknown field asset_id"}' });
    const logger = new CaptureLogger();
    const output = new WebhookOutput(webhookConfig(), { logger });
    await output.write(makeReadings(1));
    await output.close();
    expect(received).toHaveLength(2);
    const error = logger.lines.find((line) => line.level === "error");
    expect(error?.context.status).toBe(400);
    expect(error?.context.body).toContain("unknown field asset_id");
  });

  it("rejects after max_attempts failures", async () => {
    replies.push({ status: 500 }, { status: 502 }, { status: 401 });
    const output = new WebhookOutput(webhookConfig({ max_attempts: 3 }));
    const error = await output.write(makeReadings(1)).catch((e) => e);
    await output.close();
    expect(received).toHaveLength(3);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_HTTP_STATUS");
    expect(error.status).toBe(401);
  });

  it("keeps a Retry-After wait for the next write", async () => {
    replies.push({ status: 503, headers: { "retry-after": "1" } });
    const output = new WebhookOutput(webhookConfig({ max_attempts: 1 }));
    const error = await output.write(makeReadings(1)).catch((e) => e);
    expect(error.status).toBe(503);
    await output.write(makeReadings(1));
    await output.close();
    expect(received).toHaveLength(2);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it("does not follow a redirect", async () => {
    replies.push({ status: 302, headers: { location: "/elsewhere" } });
    const output = new WebhookOutput(webhookConfig({ max_attempts: 1 }));
    const error = await output.write(makeReadings(1)).catch((e) => e);
    await output.close();
    expect(error.status).toBe(302);
    expect(received.map((request) => request.url)).toEqual(["/ingest"]);
  });

  it("times out a request that gets no answer", async () => {
    replies.push("hang");
    const output = new WebhookOutput(
      webhookConfig({ timeout_ms: 200, max_attempts: 1 }),
    );
    const error = await output.write(makeReadings(1)).catch((e) => e);
    await output.close();
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_TIMEOUT");
  });

  it("fails at once when the server is down", async () => {
    const output = new WebhookOutput(
      webhookConfig({ url: "http://127.0.0.1:1/ingest", max_attempts: 1 }),
    );
    const error = await output.write(makeReadings(1)).catch((e) => e);
    await output.close();
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_UNAVAILABLE");
  });

  it("keeps URL credentials and headers out of the log", async () => {
    replies.push({ status: 500 });
    const logger = new CaptureLogger();
    const output = new WebhookOutput(
      webhookConfig({
        url: `http://user:pa55word@${base.slice(7)}/ingest?token=query-secret`,
        headers: { authorization: "Bearer header-secret" },
      }),
      { logger },
    );
    await output.write(makeReadings(1));
    await output.close();
    const text = logger.text();
    expect(text).toContain("/ingest");
    expect(text).not.toContain("pa55word");
    expect(text).not.toContain("query-secret");
    expect(text).not.toContain("header-secret");
  });

  it("sends URL credentials as Basic auth", async () => {
    const output = new WebhookOutput(
      webhookConfig({ url: `http://meter:p%40ss@${base.slice(7)}/ingest` }),
    );
    await output.write(makeReadings(1));
    await output.close();
    const expected = Buffer.from("meter:p@ss").toString("base64");
    expect(received[0]!.headers.authorization).toBe(`Basic ${expected}`);
    expect(received[0]!.url).toBe("/ingest");
  });

  it("aborts a wait when closed", async () => {
    replies.push({ status: 503, headers: { "retry-after": "60" } });
    const output = new WebhookOutput(webhookConfig());
    const writing = output.write(makeReadings(1)).catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await output.close();
    const error = await writing;
    expect(error.message).toContain("closed");
  });
});

describe("parseRetryAfter", () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);

  it.each([
    ["120", 120_000],
    ["0", 0],
    [" 5 ", 5_000],
    ["Mon, 01 Jan 2024 12:00:30 GMT", 30_000],
    ["Mon, 01 Jan 2024 11:00:00 GMT", 0],
  ])("parses %j", (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });

  it.each([null, "", "soon", "-1", "1.5"])("ignores %j", (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
