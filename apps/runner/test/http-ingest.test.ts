import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "qubit-http-ingest-"));
const runnerDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const child of children)
    if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Asks the kernel for a free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("qubit run with an http_ingest endpoint", () => {
  it("stores pushed readings and answers each error case", async () => {
    const port = await freePort();
    const config = join(dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: join(dir, "data"),
        server: { enabled: false },
        log: { level: "warn" },
        http_ingest: { port, token: "${INGEST_TOKEN}", max_body_bytes: 4096 },
      }),
    );
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@qubit/source",
        "src/cli.ts",
        "run",
        "--config",
        config,
      ],
      {
        cwd: runnerDir,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, INGEST_TOKEN: "a-token-of-twenty-chars" },
      },
    );
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const url = `http://127.0.0.1:${port}/ingest`;
    const post = (body: string, headers: Record<string, string>) =>
      fetch(url, { method: "POST", body, headers });
    const auth = { authorization: "Bearer a-token-of-twenty-chars" };

    const accepted = await waitFor(async () => {
      const response = await post(
        "timestamp,asset_id,metric,value,unit\n2024-06-01T00:00:00Z,pv-1,power,2.5,kW\n",
        { ...auth, "content-type": "text/csv" },
      );
      return response.status === 202 ? response : undefined;
    });
    expect(await accepted.json()).toEqual({ accepted: 1 });

    expect((await post("x", { "content-type": "text/csv" })).status).toBe(401);
    expect(
      (await post("x".repeat(5000), { ...auth, "content-type": "text/csv" }))
        .status,
    ).toBe(413);
    const bad = await post(
      '{"asset_id":"pv-1","metric":"power","value":1,"timestamp":"2024-06-01T00:15:00Z"}\n{"asset_id":"pv-1"}\n',
      {
        ...auth,
        "content-type": "application/x-ndjson",
      },
    );
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: { line: number }[] };
    expect(body.errors.map((error) => error.line)).toEqual([2]);
    const ndjson = await post(
      '{"asset_id":"pv-1","metric":"energy","value":1.25,"unit":"kWh","timestamp":"2024-06-01T00:15:00Z"}\n',
      {
        ...auth,
        "content-type": "application/x-ndjson",
      },
    );
    expect(ndjson.status).toBe(202);

    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", resolve),
    );
    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);

    const db = new Database(join(dir, "data", "qubit.db"), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT metric, value, unit FROM readings ORDER BY metric")
        .all();
      expect(rows).toEqual([
        { metric: "energy", value: 1250, unit: "Wh" },
        { metric: "power", value: 2500, unit: "W" },
      ]);
      const letters = db.prepare("SELECT code FROM dead_letters").all();
      expect(letters).toEqual([{ code: "QUBIT_CSV_RECORD_INVALID" }]);
    } finally {
      db.close();
    }
  });
  it("rejects hostile bodies, counts only stored", async () => {
    const port = await freePort();
    const data = join(dir, "data-hostile");
    const config = join(dir, "hostile.json");
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: data,
        server: { enabled: false },
        log: { level: "warn" },
        http_ingest: { port, token: "${INGEST_TOKEN}" },
      }),
    );
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@qubit/source",
        "src/cli.ts",
        "run",
        "--config",
        config,
      ],
      {
        cwd: runnerDir,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, INGEST_TOKEN: "a-token-of-twenty-chars" },
      },
    );
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const url = `http://127.0.0.1:${port}/ingest`;
    const auth = { authorization: "Bearer a-token-of-twenty-chars" };
    const post = (body: string | Buffer, type: string) =>
      fetch(url, {
        method: "POST",
        body,
        headers: { ...auth, "content-type": type },
      });

    // The pipeline rejects a 1970 row, and the response lists it.
    const mixed = await waitFor(async () => {
      const response = await post(
        "timestamp,asset_id,metric,value,unit\n2024-06-01T00:00:00Z,h1,power,6,kW\n1970-01-01T00:00:00Z,h1,power,7,kW\n",
        "text/csv",
      );
      return response.status === 202 ? response : undefined;
    });
    const counts = (await mixed.json()) as {
      accepted: number;
      rejected: number;
      errors: { line: number; code: string }[];
    };
    expect(counts.accepted).toBe(1);
    expect(counts.rejected).toBe(1);
    expect(counts.errors.map((error) => [error.line, error.code])).toEqual([
      [3, "QUBIT_CORE_TIMESTAMP_OUT_OF_RANGE"],
    ]);

    const notUtf8 = await post(
      Buffer.concat([
        Buffer.from('[{"asset_id":"h'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(
          '1","metric":"p","value":6,"unit":"kW","timestamp":"2024-06-01T00:15:00Z"}]',
        ),
      ]),
      "application/json",
    );
    expect(notUtf8.status).toBe(400);
    expect(await notUtf8.json()).toMatchObject({
      code: "QUBIT_CSV_INGEST_NOT_UTF8",
      offset: 15,
    });

    const nested = await post(
      `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
      "application/json",
    );
    expect(nested.status).toBe(400);
    const nestedBody = (await nested.json()) as { errors: { code: string }[] };
    expect(nestedBody.errors[0]?.code).toBe("QUBIT_CSV_JSON_TOO_DEEP");

    // The server keeps serving after both.
    const after = await post(
      '{"asset_id":"h2","metric":"power","value":1,"unit":"kW","timestamp":"2024-06-01T00:30:00Z"}\n',
      "application/x-ndjson",
    );
    expect(after.status).toBe(202);

    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", resolve),
    );
    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);
    expect(stderr).not.toContain("Ingest request failed");

    const db = new Database(join(data, "qubit.db"), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT asset_id FROM readings ORDER BY asset_id")
        .all();
      expect(rows).toEqual([{ asset_id: "h1" }, { asset_id: "h2" }]);
      const letters = db
        .prepare("SELECT code, raw_encoding FROM dead_letters ORDER BY seq")
        .all();
      expect(letters).toEqual([
        { code: "QUBIT_CORE_TIMESTAMP_OUT_OF_RANGE", raw_encoding: "utf8" },
        { code: "QUBIT_CSV_INGEST_NOT_UTF8", raw_encoding: "base64" },
        { code: "QUBIT_CSV_JSON_TOO_DEEP", raw_encoding: "utf8" },
      ]);
    } finally {
      db.close();
    }
  });

  it("refuses text values and conflicts, and stores quality", async () => {
    const port = await freePort();
    const data = join(dir, "data-conflicts");
    const config = join(dir, "config-conflicts.json");
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: data,
        server: { enabled: false },
        log: { level: "warn" },
        http_ingest: { port, token: "${INGEST_TOKEN}" },
      }),
    );
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@qubit/source",
        "src/cli.ts",
        "run",
        "--config",
        config,
      ],
      {
        cwd: runnerDir,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, INGEST_TOKEN: "a-token-of-twenty-chars" },
      },
    );
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const url = `http://127.0.0.1:${port}/ingest`;
    const reading = (value: unknown) =>
      JSON.stringify({
        asset_id: "pv-1",
        metric: "power",
        value,
        unit: "kW",
        timestamp: "2024-06-01T00:00:00Z",
      });
    const post = (body: string) =>
      fetch(url, {
        method: "POST",
        body,
        headers: {
          authorization: "Bearer a-token-of-twenty-chars",
          "content-type": "application/x-ndjson",
        },
      });

    const first = await waitFor(async () => {
      const response = await post(reading(2.5));
      return response.status === 202 ? response : undefined;
    });
    expect(await first.json()).toEqual({ accepted: 1 });
    const nan = await post(reading("NaN"));
    expect(nan.status).toBe(400);
    expect(await nan.json()).toMatchObject({
      errors: [{ line: 1, column: "value", code: "QUBIT_CSV_VALUE_INVALID" }],
    });
    const changed = await post(reading(3));
    expect(changed.status).toBe(409);
    expect(await changed.json()).toMatchObject({
      accepted: 0,
      errors: [{ line: 1, code: "QUBIT_CSV_VALUE_CONFLICT" }],
    });
    const retry = await post(reading(2.5));
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual({ accepted: 0, duplicates: 1 });

    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", resolve),
    );
    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);

    const db = new Database(join(data, "qubit.db"), { readonly: true });
    try {
      expect(
        db.prepare("SELECT value, unit, quality FROM readings").all(),
      ).toEqual([{ value: 2500, unit: "W", quality: "measured" }]);
      expect(
        db.prepare("SELECT code FROM dead_letters ORDER BY code").all(),
      ).toEqual([
        { code: "QUBIT_CSV_VALUE_CONFLICT" },
        { code: "QUBIT_CSV_VALUE_INVALID" },
      ]);
    } finally {
      db.close();
    }
  });

  it("answers 503 for a silent webhook", async () => {
    // A loopback peer that takes connections and never sends a byte, so
    // every webhook write stays pending.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) =>
      silent.listen(0, "127.0.0.1", resolve),
    );
    const silentPort = (silent.address() as { port: number }).port;
    const [port, serverPort] = [await freePort(), await freePort()];
    const config = join(dir, "config-silent.json");
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: join(dir, "data-silent"),
        server: { port: serverPort },
        log: { level: "warn" },
        http_ingest: {
          port,
          token: "${INGEST_TOKEN}",
          accept_timeout_ms: 1500,
        },
        outputs: [
          { type: "webhook", url: `http://127.0.0.1:${silentPort}/hook` },
        ],
      }),
    );
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@qubit/source",
        "src/cli.ts",
        "run",
        "--config",
        config,
      ],
      {
        cwd: runnerDir,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, INGEST_TOKEN: "a-token-of-twenty-chars" },
      },
    );
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    try {
      const url = `http://127.0.0.1:${port}/ingest`;
      await waitFor(async () =>
        (await fetch(url, { method: "GET" })).status === 405 ? true : undefined,
      );
      const started = performance.now();
      const reply = await fetch(url, {
        method: "POST",
        headers: {
          authorization: "Bearer a-token-of-twenty-chars",
          "content-type": "application/x-ndjson",
        },
        body: '{"asset_id":"pv-9","metric":"power","value":1,"unit":"kW","timestamp":"2024-06-01T00:00:00Z"}\n',
      });
      const elapsedMs = performance.now() - started;
      expect(reply.status, stderr).toBe(503);
      expect(elapsedMs).toBeGreaterThanOrEqual(1400);
      expect(elapsedMs).toBeLessThan(10_000);
      expect(reply.headers.get("retry-after")).toBe("2");
      const body = (await reply.json()) as Record<string, unknown>;
      expect(body.accepted).toBe(0);
      expect(body.error).toContain("send the request again");

      const metrics = await (
        await fetch(`http://127.0.0.1:${serverPort}/metrics`)
      ).text();
      expect(metrics).toMatch(
        /qubit_ingest_requests_rejected_total\{[^}]*reason="timeout"[^}]*\} 1/,
      );
    } finally {
      child.kill("SIGKILL");
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
