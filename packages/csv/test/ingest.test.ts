import { request } from "node:http";
import {
  MemoryDeadLetterOutput,
  MemoryOutput,
  MetricsRegistry,
  type Output,
  Pipeline,
  type TimeSeries,
} from "@qubit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpIngestConnector } from "../src/index.js";
import {
  invalidUtf8Offset,
  tooDeepJsonOffset,
} from "../src/ingest/body-checks.js";

const TOKEN = "test-token-0123456789";
const output = new MemoryOutput();
const deadLetters = new MemoryDeadLetterOutput();
const registry = new MetricsRegistry();
const pipeline = new Pipeline({
  outputs: [output],
  deadLetters: [deadLetters],
  batchIntervalMs: 5,
  dedupWindow: 0,
  registry,
});
const ingest = new HttpIngestConnector(
  { port: 0, token: TOKEN, max_body_bytes: 2048 },
  { name: "push", registry },
);
ingest.attach(pipeline);

beforeAll(() => ingest.connect());
afterAll(async () => {
  await ingest.disconnect();
  await pipeline.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/**
 * An output whose writes never complete until `release()`, as with a
 * webhook peer that takes the connection and never sends a response.
 */
class StuckOutput implements Output {
  readonly name = "stuck";
  readonly written: TimeSeries[] = [];
  private released = false;
  private releases: (() => void)[] = [];

  write(readings: readonly TimeSeries[]): Promise<void> {
    return new Promise((resolve) => {
      const complete = () => {
        this.written.push(...readings);
        resolve();
      };
      if (this.released) complete();
      else this.releases.push(complete);
    });
  }

  /** Completes every pending write, and every later one at once. */
  release(): void {
    this.released = true;
    for (const complete of this.releases.splice(0)) complete();
  }

  async close(): Promise<void> {
    this.release();
  }
}

/** Sends a request with node:http, so the body may be chunked or lie about its length. */
function send(options: {
  url?: string;
  method?: string;
  path?: string;
  type?: string;
  token?: string | null;
  body?: string | Buffer;
  chunks?: string[];
  headers?: Record<string, string>;
}): Promise<Reply> {
  const url = new URL(options.url ?? ingest.url!);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.type) headers["content-type"] = options.type;
    if (options.token !== null)
      headers.authorization = `Bearer ${options.token ?? TOKEN}`;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: options.path ?? url.pathname,
        method: options.method ?? "POST",
        headers,
      },
      (response) => {
        let text = "";
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text ? JSON.parse(text) : {},
          }),
        );
      },
    );
    req.on("error", reject);
    if (options.chunks) for (const chunk of options.chunks) req.write(chunk);
    else if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

describe("HTTP ingest endpoint", () => {
  it("answers 401 without a valid bearer token", async () => {
    for (const token of [null, "wrong-token-0123456789", `${TOKEN}x`]) {
      const reply = await send({ type: "text/csv", token, body: "a\n" });
      expect(reply.status).toBe(401);
      expect(reply.headers["www-authenticate"]).toContain("Bearer");
    }
    const basic = await send({
      type: "text/csv",
      token: null,
      headers: {
        authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}`,
      },
      body: "a\n",
    });
    expect(basic.status).toBe(401);
  });

  it("answers 413 over max_body_bytes, by header or by stream", async () => {
    const big = "x".repeat(3000);
    const declared = await send({ type: "text/csv", body: big });
    expect(declared.status).toBe(413);
    const chunked = await send({
      type: "text/csv",
      chunks: [big.slice(0, 1500), big.slice(1500)],
      headers: { "transfer-encoding": "chunked" },
    });
    expect(chunked.status).toBe(413);
  });

  it("answers 415, 405 and 404 for other requests", async () => {
    expect((await send({ type: "text/plain", body: "x" })).status).toBe(415);
    expect((await send({ method: "GET" })).status).toBe(405);
    expect(
      (await send({ path: "/other", type: "text/csv", body: "x" })).status,
    ).toBe(404);
  });

  it("accepts CSV with 202 once the readings are stored", async () => {
    const before = output.readings.length;
    const reply = await send({
      type: "text/csv; charset=utf-8",
      body: "timestamp,asset_id,metric,value,unit\n2024-06-01T00:00:00Z,inv-1,power,1.5,kW\n2024-06-01T00:15:00Z,inv-1,power,2,kW\n",
    });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ accepted: 2 });
    const stored = output.readings.slice(before);
    expect(stored.map((item) => item.value)).toEqual([1500, 2000]);
    expect(stored[0]?.source).toMatchObject({
      protocol: "http",
      connector: "push",
      line: 2,
    });
  });

  it("accepts NDJSON and JSON readings", async () => {
    const before = output.readings.length;
    const ndjson = await send({
      type: "application/x-ndjson",
      body: '{"asset_id":"m1","metric":"energy","value":12.5,"unit":"kWh","timestamp":"2024-05-01T00:00:00Z"}\n{"asset_id":"m1","metric":"voltage","value":230.1,"unit":"V","timestamp":1714521600000}\n',
    });
    expect(ndjson.status).toBe(202);
    const list = await send({
      type: "application/json",
      body: JSON.stringify({
        readings: [
          {
            asset_id: "m2",
            metric: "soc",
            value: 80,
            unit: "%",
            timestamp: "2024-05-01T00:00:00Z",
            quality: "estimated",
          },
        ],
      }),
    });
    expect(list.status).toBe(202);
    const stored = output.readings.slice(before);
    expect(stored.map((item) => [item.metric, item.value, item.unit])).toEqual([
      ["energy", 12500, "Wh"],
      ["voltage", 230.1, "V"],
      ["soc", 80, "percent"],
    ]);
    expect(stored[2]?.quality).toBe("estimated");
  });

  it("answers 400 with the line and column of each bad CSV row", async () => {
    const before = output.readings.length;
    const reply = await send({
      type: "text/csv",
      body: "timestamp,asset_id,metric,value,unit\n2024-06-01T00:00:00Z,inv-1,power,1.5,kW\nnot a time,inv-1,power,2,kW\n2024-06-01T00:30:00Z,inv-1,power,abc,kW\n",
    });
    expect(reply.status).toBe(400);
    expect(reply.body.accepted).toBe(0);
    const errors = reply.body.errors as {
      line: number;
      column?: string;
      code: string;
      message: string;
    }[];
    expect(
      errors.map((error) => [error.line, error.column, error.code]),
    ).toEqual([
      [3, "timestamp", "QUBIT_CSV_TIMESTAMP_INVALID"],
      [4, "value", "QUBIT_CSV_VALUE_INVALID"],
    ]);
    await pipeline.flush();
    expect(output.readings.length).toBe(before);
    expect(
      deadLetters.letters.slice(-2).map((letter) => letter.location.line),
    ).toEqual([3, 4]);
    expect(deadLetters.letters.at(-1)?.raw).toBe(
      "2024-06-01T00:30:00Z,inv-1,power,abc,kW",
    );
  });

  it("answers 400 for bad NDJSON lines and JSON records", async () => {
    const ndjson = await send({
      type: "application/x-ndjson",
      body: '{"asset_id":"m1","metric":"e","value":1,"timestamp":"2024-05-01T00:00:00Z"}\n{broken\n{"asset_id":"m1","value":1,"timestamp":"2024-05-01T00:00:00Z"}\n',
    });
    expect(ndjson.status).toBe(400);
    const lines = ndjson.body.errors as {
      line: number;
      code: string;
      message: string;
    }[];
    expect(lines.map((error) => [error.line, error.code])).toEqual([
      [2, "QUBIT_CSV_JSON_INVALID"],
      [3, "QUBIT_CSV_RECORD_INVALID"],
    ]);
    expect(lines[1]?.message).toBe("metric: is required");
    const json = await send({
      type: "application/json",
      body: JSON.stringify([
        {
          asset_id: "m1",
          metric: "e",
          value: "x1",
          timestamp: "2024-05-01T00:00:00Z",
          quality: "good",
        },
      ]),
    });
    expect(json.status).toBe(400);
    expect(json.body.errors).toEqual([
      {
        record: 1,
        column: "quality",
        code: "QUBIT_CSV_RECORD_INVALID",
        message: expect.stringContaining("quality: must be one of measured"),
      },
    ]);
  });

  it("rejects text as the value of a kW reading", async () => {
    const before = output.readings.length;
    const values = ["NaN", "hello", "", " "];
    const ndjson = values
      .map((value, index) =>
        JSON.stringify({
          asset_id: "b5",
          metric: "power",
          value,
          unit: "kW",
          timestamp: `2024-05-01T00:0${index}:00Z`,
        }),
      )
      .join("\n");
    const reply = await send({ type: "application/x-ndjson", body: ndjson });

    expect(reply.status).toBe(400);
    const errors = reply.body.errors as Record<string, unknown>[];
    expect(
      errors.map((error) => [error.line, error.column, error.code]),
    ).toEqual(
      [1, 2, 3, 4].map((line) => [line, "value", "QUBIT_CSV_VALUE_INVALID"]),
    );
    expect(errors[0]?.message).toBe(
      'value: expected a number for unit "kW", got "NaN"; send null for a missing value',
    );

    const json = await send({
      type: "application/json",
      body: JSON.stringify({
        asset_id: "b5",
        metric: "power",
        value: true,
        unit: "kW",
        timestamp: "2024-05-01T00:00:00Z",
      }),
    });
    expect(json.status).toBe(400);
    expect(json.body.errors).toEqual([
      expect.objectContaining({ record: 1, column: "value" }),
    ]);

    await pipeline.flush();
    expect(output.readings.length).toBe(before);
  });

  it("reads numeric text and marks JSON readings measured", async () => {
    const before = output.readings.length;
    const reply = await send({
      type: "application/json",
      body: JSON.stringify([
        {
          asset_id: "b5q",
          metric: "power",
          value: " 4.2 ",
          unit: "kW",
          timestamp: "2024-05-01T00:00:00Z",
        },
        {
          asset_id: "b5q",
          metric: "state",
          value: "charging",
          timestamp: "2024-05-01T00:00:00Z",
        },
        {
          asset_id: "b5q",
          metric: "energy",
          value: null,
          unit: "kWh",
          timestamp: "2024-05-01T00:00:00Z",
        },
      ]),
    });
    expect(reply.status).toBe(202);
    const stored = output.readings.slice(before);
    expect(stored.map((item) => [item.value, item.quality])).toEqual([
      [4200, "measured"],
      ["charging", "measured"],
      [null, "missing"],
    ]);
  });

  it("answers 409 for a value that conflicts with an accepted one", async () => {
    const reading = {
      asset_id: "a4",
      metric: "power",
      unit: "kW",
      timestamp: "2024-05-01T00:00:00Z",
    };
    const first = await send({
      type: "application/x-ndjson",
      body: JSON.stringify({ ...reading, value: 1.5 }),
    });
    expect(first.status).toBe(202);
    const before = output.readings.length;
    const lettersBefore = deadLetters.letters.length;

    const retry = await send({
      type: "application/x-ndjson",
      body: JSON.stringify({ ...reading, value: 1.5 }),
    });
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual({ accepted: 0, duplicates: 1 });

    const changed = await send({
      type: "application/x-ndjson",
      body: `${JSON.stringify({ ...reading, timestamp: "2024-05-01T00:15:00Z", value: 2 })}\n${JSON.stringify({ ...reading, value: 9 })}`,
    });
    expect(changed.status).toBe(409);
    expect(changed.body.accepted).toBe(0);
    expect(changed.body.errors).toEqual([
      {
        line: 2,
        column: "value",
        code: "QUBIT_CSV_VALUE_CONFLICT",
        message:
          "Conflicting values for a4 power at 2024-05-01T00:00:00.000Z: line 2 has 9 kW, but an accepted earlier request has 1.5 kW, which is kept",
      },
    ]);
    await pipeline.flush();
    expect(output.readings.length).toBe(before);
    expect(deadLetters.letters.slice(lettersBefore)).toEqual([
      expect.objectContaining({
        code: "QUBIT_CSV_VALUE_CONFLICT",
        location: expect.objectContaining({ line: 2, column: "value" }),
      }),
    ]);
  });

  it("answers 409 for two values of one reading in a request", async () => {
    const reply = await send({
      type: "text/csv",
      body: "timestamp,asset_id,metric,value,unit\n2024-06-01T00:00:00Z,a4csv,power,1.5,kW\n2024-06-01T00:00:00Z,a4csv,power,1.5,kW\n2024-06-01T00:00:00Z,a4csv,power,2,kW\n",
    });
    expect(reply.status).toBe(409);
    expect(reply.body.errors).toEqual([
      expect.objectContaining({
        line: 4,
        code: "QUBIT_CSV_VALUE_CONFLICT",
        message: expect.stringContaining(
          "line 4 has 2 kW, but line 2 of this request has 1.5 kW",
        ),
      }),
    ]);
    const fixed = await send({
      type: "text/csv",
      body: "timestamp,asset_id,metric,value,unit\n2024-06-01T00:00:00Z,a4csv,power,1.5,kW\n2024-06-01T00:00:00Z,a4csv,power,1.5,kW\n",
    });
    expect(fixed.status).toBe(202);
    expect(fixed.body).toEqual({ accepted: 1, duplicates: 1 });
  });

  it("warns about a common sentinel in a body", async () => {
    const warnings: string[] = [];
    const listener = (diagnostic: { code: string }) =>
      warnings.push(diagnostic.code);
    pipeline.on("diagnostic", listener);
    try {
      const reply = await send({
        type: "application/x-ndjson",
        body: [0, 1]
          .map((minute) =>
            JSON.stringify({
              asset_id: "b8",
              metric: "power",
              value: -9999,
              unit: "kW",
              timestamp: `2024-05-01T00:0${minute}:00Z`,
            }),
          )
          .join("\n"),
      });
      expect(reply.status).toBe(202);
    } finally {
      pipeline.off("diagnostic", listener);
    }
    expect(warnings).toEqual(["QUBIT_CSV_VALUE_SENTINEL"]);
  });

  it("answers 400 naming the first byte that is not UTF-8", async () => {
    const bodies = [
      {
        type: "application/json",
        head: '[{"asset_id":"h',
        tail: '1","metric":"p","value":6,"unit":"kW","timestamp":"2024-05-01T00:00:00Z"}]',
      },
      {
        type: "application/x-ndjson",
        head: '{"asset_id":"h',
        tail: '1","metric":"p","value":6,"unit":"kW","timestamp":"2024-05-01T00:00:00Z"}\n',
      },
      {
        type: "text/csv",
        head: "timestamp,asset_id,metric,value,unit\n2024-05-01T00:00:00Z,h",
        tail: "1,p,6,kW\n",
      },
    ];
    for (const { type, head, tail } of bodies) {
      const before = output.readings.length;
      const letters = deadLetters.letters.length;
      const body = Buffer.concat([
        Buffer.from(head),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(tail),
      ]);
      const reply = await send({ type, body });
      expect(reply.status, type).toBe(400);
      expect(reply.body.code).toBe("QUBIT_CSV_INGEST_NOT_UTF8");
      expect(reply.body.offset).toBe(Buffer.byteLength(head));
      expect(reply.body.error).toContain(
        `byte 0xff at byte offset ${Buffer.byteLength(head)}`,
      );
      await pipeline.flush();
      expect(output.readings.length).toBe(before);
      const letter = deadLetters.letters[letters];
      expect(deadLetters.letters.length).toBe(letters + 1);
      expect(letter?.code).toBe("QUBIT_CSV_INGEST_NOT_UTF8");
      expect(letter?.raw_encoding).toBe("base64");
      expect(Buffer.from(letter!.raw, "base64").equals(body)).toBe(true);
    }
  });

  it("finds invalid UTF-8 sequences by byte offset", () => {
    const cases: [number[], number][] = [
      [[0x61, 0xc3, 0xa9, 0x62], -1],
      [[0xf0, 0x9f, 0x98, 0x80], -1],
      [[0x61, 0xc0, 0xaf], 1],
      [[0x61, 0x62, 0xe0, 0x80, 0x80], 2],
      [[0xed, 0xa0, 0x80], 0],
      [[0xf4, 0x90, 0x80, 0x80], 0],
      [[0x61, 0xe2, 0x82], 1],
      [[0x80], 0],
    ];
    for (const [bytes, offset] of cases) {
      expect(invalidUtf8Offset(Uint8Array.from(bytes)), String(bytes)).toBe(
        offset,
      );
    }
  });

  it("answers 400 for JSON nested deeper than 64 levels", async () => {
    const deepPipeline = new Pipeline({
      outputs: [new MemoryOutput()],
      deadLetters: [deadLetters],
      batchIntervalMs: 5,
    });
    const deep = new HttpIngestConnector(
      { port: 0, token: TOKEN, max_body_bytes: 1_000_000 },
      { name: "deep" },
    );
    deep.attach(deepPipeline);
    await deep.connect();
    try {
      const url = new URL(deep.url!);
      const post = async (type: string, body: string) => {
        const response = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": type },
          body,
        });
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        };
      };
      const letters = deadLetters.letters.length;
      const nested = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
      const json = await post("application/json", nested);
      expect(json.status).toBe(400);
      const jsonErrors = json.body.errors as { code: string }[];
      expect(jsonErrors[0]?.code).toBe("QUBIT_CSV_JSON_TOO_DEEP");
      const line = `{"a":${"[".repeat(65)}${"]".repeat(65)}}`;
      const ndjson = await post("application/x-ndjson", `${line}\n`);
      expect(ndjson.status).toBe(400);
      const ndjsonErrors = ndjson.body.errors as { code: string }[];
      expect(ndjsonErrors[0]?.code).toBe("QUBIT_CSV_JSON_TOO_DEEP");
      await deepPipeline.flush();
      expect(
        deadLetters.letters.slice(letters).map((letter) => letter.code),
      ).toEqual(["QUBIT_CSV_JSON_TOO_DEEP", "QUBIT_CSV_JSON_TOO_DEEP"]);
      // The server keeps serving.
      const flat = await post(
        "application/json",
        JSON.stringify({
          asset_id: "d1",
          metric: "p",
          value: 1,
          unit: "kW",
          timestamp: "2024-05-01T00:00:00Z",
        }),
      );
      expect(flat.status).toBe(202);
      expect(flat.body.accepted).toBe(1);
      // 64 levels are allowed.
      const levels = (depth: number) =>
        `${"[".repeat(depth)}"[{"${"]".repeat(depth)}`;
      expect(tooDeepJsonOffset(levels(64))).toBe(-1);
      expect(tooDeepJsonOffset(levels(65))).toBe(64);
      expect(deep.health().details.rejected_requests).toBe(2);
    } finally {
      await deep.disconnect();
      await deepPipeline.close();
    }
  });

  it("counts only readings the pipeline accepted", async () => {
    const before = output.readings.length;
    const reply = await send({
      type: "text/csv",
      body: "timestamp,asset_id,metric,value,unit\n2024-06-02T00:00:00Z,old-1,power,1,kW\n1970-01-01T00:00:00Z,old-1,power,2,kW\n",
    });
    expect(reply.status).toBe(202);
    expect(reply.body.accepted).toBe(1);
    expect(reply.body.rejected).toBe(1);
    const errors = reply.body.errors as {
      line: number;
      code: string;
      message: string;
    }[];
    expect(errors).toHaveLength(1);
    expect(errors[0]?.line).toBe(3);
    expect(errors[0]?.code).toBe("QUBIT_CORE_TIMESTAMP_OUT_OF_RANGE");
    expect(errors[0]?.message).toContain("1970-01-01T00:00:00.000Z");
    await pipeline.flush();
    expect(output.readings.slice(before).map((item) => item.value)).toEqual([
      1000,
    ]);
    expect(deadLetters.letters.at(-1)?.location.line).toBe(3);
    expect(deadLetters.letters.at(-1)?.raw).toBe(
      "1970-01-01T00:00:00Z,old-1,power,2,kW",
    );

    // The rejected reading is not remembered, so a corrected value of
    // the same row is no conflict.
    const again = await send({
      type: "application/x-ndjson",
      body: '{"asset_id":"old-1","metric":"power","value":3,"unit":"kW","timestamp":"1970-01-01T00:00:00Z"}\n',
    });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(ingest.health().details.rejected_readings).toBe(2);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const reply = await send({ type: "application/json", body: "not json" });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe("QUBIT_CSV_INGEST_BODY_INVALID");
    expect(reply.body.error).toMatch(
      /^The body is invalid: Invalid JSON: .*; nothing was accepted$/,
    );
    expect(reply.body.error).not.toContain("of 0 rows");
  });

  it("counts requests in health and metrics", () => {
    const details = ingest.health().details;
    expect(details.requests).toBeGreaterThan(10);
    expect(details.rejected_requests).toBeGreaterThan(5);
    expect(details.duplicates).toBe(2);
    expect(details.conflicts).toBe(2);
    expect(
      registry.total("qubit_readings_duplicate_total", { connector: "push" }),
    ).toBe(2);
    const rejected = (reason: string) =>
      registry.total("qubit_ingest_requests_rejected_total", {
        connector: "push",
        reason,
      });
    expect(rejected("unauthorized")).toBe(4);
    expect(rejected("too_large")).toBe(2);
    expect(rejected("unsupported_media_type")).toBe(1);
    expect(rejected("method_not_allowed")).toBe(1);
    expect(rejected("not_found")).toBe(1);
    expect(rejected("conflict")).toBe(2);
    expect(registry.total("qubit_ingest_requests_rejected_total")).toBe(
      details.rejected_requests,
    );
  });
});

describe("HTTP ingest with a stuck output", () => {
  const stuck = new StuckOutput();
  const stuckRegistry = new MetricsRegistry();
  const stuckPipeline = new Pipeline({
    outputs: [stuck],
    deadLetters: [new MemoryDeadLetterOutput()],
    batchIntervalMs: 5,
    maxPendingReadings: 2,
    retryInitialDelayMs: 10,
    registry: stuckRegistry,
  });
  const slow = new HttpIngestConnector(
    { port: 0, token: TOKEN, accept_timeout_ms: 300 },
    { name: "slow", registry: stuckRegistry },
  );
  slow.attach(stuckPipeline);
  beforeAll(() => slow.connect());
  afterAll(async () => {
    stuck.release();
    await slow.disconnect();
    await stuckPipeline.close();
  });

  const row = (asset: string, minute: number) =>
    JSON.stringify({
      asset_id: asset,
      metric: "power",
      value: 1,
      unit: "kW",
      timestamp: `2024-07-01T00:${String(minute).padStart(2, "0")}:00Z`,
    });
  const post = (body: string) =>
    send({ url: slow.url, type: "application/x-ndjson", body });
  const rejected = (reason: string) =>
    stuckRegistry.total("qubit_ingest_requests_rejected_total", { reason });

  it("answers 503 with Retry-After past accept_timeout_ms", async () => {
    const started = performance.now();
    const reply = await post(row("s1", 0));
    const elapsedMs = performance.now() - started;
    expect(reply.status).toBe(503);
    expect(elapsedMs).toBeGreaterThanOrEqual(290);
    expect(elapsedMs).toBeLessThan(2000);
    expect(reply.headers["retry-after"]).toBe("1");
    expect(reply.body.accepted).toBe(0);
    expect(reply.body.retry_after_s).toBe(1);
    expect(reply.body.error).toContain("1 readings were not accepted");
    expect(reply.body.error).toContain("timed out after 300 ms");
    expect(reply.body.error).toContain("send the request again");
    expect(rejected("timeout")).toBe(1);
  });

  it("answers 503 to an in-flight resend", async () => {
    // The pipeline has taken the first copy's id, so without waiting for
    // that delivery it would drop the resend and report it as accepted.
    const reply = await post(row("s1", 0));
    expect(reply.status).toBe(503);
    expect(reply.body.accepted).toBe(0);
    expect(rejected("timeout")).toBe(2);
  });

  it("answers 503 at once when saturated", async () => {
    const filling = await post(`${row("s2", 0)}\n${row("s2", 1)}`);
    expect(filling.status).toBe(503);
    expect(stuckPipeline.saturated).toBe(true);
    const started = performance.now();
    const reply = await post(row("s3", 0));
    expect(performance.now() - started).toBeLessThan(250);
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("1");
    expect(reply.body.error).toContain("more pending readings than its limit");
    expect(rejected("saturated")).toBe(1);
  });

  it("counts a late resend as duplicate", async () => {
    stuck.release();
    await stuckPipeline.flush();
    expect(stuck.written.map((reading) => reading.asset_id).sort()).toEqual([
      "s1",
      "s2",
      "s2",
    ]);
    const reply = await post(row("s1", 0));
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ accepted: 0, duplicates: 1 });
    expect(
      stuckRegistry.total("qubit_readings_duplicate_total", {
        connector: "slow",
      }),
    ).toBe(1);
  });
});
