import { once } from "node:events";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import {
  MemoryDeadLetterOutput,
  MemoryOutput,
  MemoryStateStore,
  Pipeline,
} from "@qubit/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  parseRetryAfter,
  REST_CURSOR_NAMESPACE,
  type RestConfigInput,
  RestConnector,
} from "../src/index.js";

type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
) => void;

const servers: Server[] = [];
const connectors: RestConnector[] = [];
afterEach(async () => {
  for (const connector of connectors.splice(0)) await connector.disconnect();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(
  handler: Handler,
  port = 0,
): Promise<{ server: Server; base: string; requests: URL[] }> {
  const requests: URL[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    requests.push(url);
    handler(request, response, url);
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
  };
}

function json(
  response: ServerResponse,
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    "content-type": "application/json",
    ...headers,
  });
  response.end(JSON.stringify(body));
}

/** Meter data from minute 0 to 9 of 2024-06-01, power in kW. */
const DATA = Array.from({ length: 10 }, (_, index) => ({
  ts: new Date(Date.UTC(2024, 5, 1, 0, index)).toISOString(),
  device: { id: "inv-1" },
  p_kw: index / 2,
}));

const mapping = {
  timestamp: "ts",
  asset_id: "device.id",
  metric: { const: "power" },
  value: "p_kw",
  unit: "kW",
};

function connector(config: RestConfigInput, state = new MemoryStateStore()) {
  const output = new MemoryOutput();
  const deadLetters = new MemoryDeadLetterOutput();
  const pipeline = new Pipeline({
    outputs: [output],
    deadLetters: [deadLetters],
    batchIntervalMs: 5,
    dedupWindow: 0,
  });
  const rest = new RestConnector(config, { name: "api", state });
  rest.attach(pipeline);
  connectors.push(rest);
  return { rest, output, deadLetters, state, pipeline };
}

async function waitFor(
  condition: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("REST connector", () => {
  it("follows page pagination and saves the since cursor", async () => {
    const { base, requests } = await serve((_request, response, url) => {
      const since = url.searchParams.get("since");
      const page = Number(url.searchParams.get("page"));
      const rows = DATA.filter((row) => since === null || row.ts > since);
      json(response, { items: rows.slice((page - 1) * 4, page * 4) });
    });
    const { rest, output, state } = connector({
      url: `${base}/readings`,
      records: "$.items[*]",
      mapping,
      pagination: {
        type: "page",
        page_param: "page",
        first_page: 1,
        size_param: "limit",
        page_size: 4,
      },
      since: { param: "since", source: "timestamp", format: "iso" },
    });
    await rest.pollOnce();
    expect(requests.map((url) => url.searchParams.get("page"))).toEqual([
      "1",
      "2",
      "3",
      "4",
    ]);
    expect(requests[0]?.searchParams.get("limit")).toBe("4");
    expect(output.readings).toHaveLength(10);
    expect(
      output.readings.find(
        (item) => item.timestamp === "2024-06-01T00:03:00.000Z",
      )?.value,
    ).toBe(1500);
    expect(output.readings[0]?.source).toMatchObject({
      protocol: "http",
      page: 1,
      record: 1,
    });
    expect(state.get(REST_CURSOR_NAMESPACE, "api")).toBe(
      "2024-06-01T00:09:00.000Z",
    );

    requests.length = 0;
    await rest.pollOnce();
    expect(requests[0]?.searchParams.get("since")).toBe(
      "2024-06-01T00:09:00.000Z",
    );
    expect(output.readings).toHaveLength(10);
  });

  it("follows cursor, next-URL and Link-header pagination", async () => {
    const pages = [DATA.slice(0, 4), DATA.slice(4, 8), DATA.slice(8)];
    const { base } = await serve((_request, response, url) => {
      const index = Number(
        url.searchParams.get("cursor") ?? url.searchParams.get("p") ?? 0,
      );
      const next = index + 1 < pages.length ? index + 1 : undefined;
      const headers: Record<string, string> =
        next === undefined ? {} : { link: `<${base}/l?p=${next}>; rel="next"` };
      json(
        response,
        {
          data: pages[index],
          meta: { next_cursor: next ?? null },
          links: { next: next === undefined ? null : `/n?p=${next}` },
        },
        200,
        headers,
      );
    });
    for (const pagination of [
      { type: "cursor" as const, cursor_path: "$.meta.next_cursor" },
      { type: "next_url" as const, next_url_path: "$.links.next" },
      { type: "link_header" as const },
    ]) {
      const { rest, output } = connector({
        url: `${base}/x`,
        records: "$.data[*]",
        mapping,
        pagination,
      });
      await rest.pollOnce();
      expect(output.readings, pagination.type).toHaveLength(10);
    }
  });

  it("retries 429 after Retry-After and 5xx with backoff", async () => {
    let calls = 0;
    const times: number[] = [];
    const { base } = await serve((_request, response) => {
      calls += 1;
      times.push(Date.now());
      if (calls === 1)
        return json(response, { error: "slow down" }, 429, {
          "retry-after": "1",
        });
      if (calls === 2) return json(response, { error: "boom" }, 503);
      json(response, DATA.slice(0, 2));
    });
    const { rest, output } = connector({
      url: `${base}/x`,
      mapping,
      // Without the header the first retry would wait a minute.
      retry: {
        max_attempts: 4,
        initial_delay_ms: 60_000,
        max_delay_ms: 60_000,
      },
    });
    const faults: string[] = [];
    rest.on("fault", (fault) => faults.push(fault.code));
    const statuses: string[] = [];
    rest.on("status", (status) => statuses.push(status));
    const started = Date.now();
    const poll = rest.pollOnce();
    // The fault is raised when the client has read the 503, after the
    // server's handler ran; wait for it, not for the call count.
    await waitFor(() => faults.length >= 2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);

    // The 503 has no Retry-After; the backoff starts at a minute, so stop here.
    await rest.disconnect().catch(() => undefined);
    await poll.catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(faults).toEqual([
      "QUBIT_CSV_REST_HTTP_STATUS",
      "QUBIT_CSV_REST_HTTP_STATUS",
    ]);
    expect(output.readings).toHaveLength(0);

    calls = 1;
    const second = connector({
      url: `${base}/x`,
      mapping,
      retry: { max_attempts: 3, initial_delay_ms: 10, max_delay_ms: 50 },
    });
    await second.rest.pollOnce();
    expect(second.output.readings).toHaveLength(2);
  });

  it("stays degraded through an outage and recovers", async () => {
    const first = await serve((_request, response) =>
      json(response, DATA.slice(0, 3)),
    );
    const port = Number(new URL(first.base).port);
    first.server.closeAllConnections();
    await new Promise((resolve) => first.server.close(resolve));
    servers.splice(servers.indexOf(first.server), 1);

    const { rest, output } = connector({
      url: `${first.base}/x`,
      mapping,
      polling_interval: 0.2,
      retry: { max_attempts: 2, initial_delay_ms: 10, max_delay_ms: 20 },
    });
    const faults: string[] = [];
    rest.on("fault", (fault) => faults.push(fault.code));
    await rest.connect();
    await waitFor(() => rest.status === "degraded" && faults.length >= 2);
    expect(faults).toContain("QUBIT_CSV_REST_REQUEST_FAILED");
    expect(rest.health().last_error?.code).toBe(
      "QUBIT_CSV_REST_REQUEST_FAILED",
    );

    await serve((_request, response) => json(response, DATA.slice(0, 3)), port);
    await waitFor(() => output.readings.length >= 3);
    await waitFor(() => rest.status === "running");
    expect(rest.health().details.failed_polls).toBeGreaterThanOrEqual(1);
  });

  it("fills ${VAR} headers from the environment", async () => {
    process.env.QUBIT_TEST_API_TOKEN = "secret-123";
    let seen: string | undefined;
    const { base } = await serve((request, response) => {
      seen = request.headers.authorization;
      json(response, []);
    });
    const { rest } = connector({
      url: `${base}/x`,
      mapping,
      headers: { Authorization: "Bearer ${QUBIT_TEST_API_TOKEN}" },
    });
    await rest.pollOnce();
    expect(seen).toBe("Bearer secret-123");
    delete process.env.QUBIT_TEST_API_TOKEN;
    await expect(rest.pollOnce()).rejects.toThrow(
      /QUBIT_TEST_API_TOKEN is not set/,
    );
  });

  it("sends bad records to the dead letters with their place", async () => {
    const { base } = await serve((_request, response) =>
      json(response, [
        DATA[0],
        { ts: "yesterday", device: { id: "inv-1" }, p_kw: 1 },
      ]),
    );
    const { rest, output, deadLetters, pipeline } = connector({
      url: `${base}/x`,
      mapping,
    });
    await rest.pollOnce();
    await pipeline.flush();
    expect(output.readings).toHaveLength(1);
    expect(deadLetters.letters[0]?.code).toBe("QUBIT_CSV_TIMESTAMP_INVALID");
    expect(deadLetters.letters[0]?.location).toMatchObject({
      record: 2,
      page: 1,
      path: "ts",
    });
  });

  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("120")).toBe(120_000);
    expect(
      parseRetryAfter(
        "Wed, 21 Oct 2015 07:28:10 GMT",
        Date.parse("2015-10-21T07:28:00Z"),
      ),
    ).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
