import { request } from "node:http";
import { MemoryDeadLetterOutput, MemoryOutput, Pipeline } from "@qubit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpIngestConnector } from "../src/index.js";

const TOKEN = "test-token-0123456789";
const output = new MemoryOutput();
const deadLetters = new MemoryDeadLetterOutput();
const pipeline = new Pipeline({
  outputs: [output],
  deadLetters: [deadLetters],
  batchIntervalMs: 5,
  dedupWindow: 0,
});
const ingest = new HttpIngestConnector(
  { port: 0, token: TOKEN, max_body_bytes: 2048 },
  { name: "push" },
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

/** Sends a request with node:http, so the body may be chunked or lie about its length. */
function send(options: {
  method?: string;
  path?: string;
  type?: string;
  token?: string | null;
  body?: string;
  chunks?: string[];
  headers?: Record<string, string>;
}): Promise<Reply> {
  const url = new URL(ingest.url!);
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

  it("counts requests in health", () => {
    const details = ingest.health().details;
    expect(details.requests).toBeGreaterThan(10);
    expect(details.rejected_requests).toBeGreaterThan(5);
    expect(details.duplicates).toBe(2);
    expect(details.conflicts).toBe(2);
  });
});
