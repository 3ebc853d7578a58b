// Integration tests of the postgres output against the local PostgreSQL
// (127.0.0.1:5432, trust authentication, database `test`) and, for the
// restart case, a private cluster that the test starts and stops.
import { randomBytes } from "node:crypto";
import { createReading, Pipeline, type TimeSeries } from "@qubit/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type PostgresOutputConfig,
  PostgresOutputConfigSchema,
} from "../src/outputs/config.js";
import { PostgresOutput } from "../src/outputs/postgres.js";
import {
  type ReadingRow,
  readingFromRow,
} from "../src/outputs/postgres-sql.js";
import {
  CaptureLogger,
  configOf,
  freePort,
  makeReadings,
  PrivatePostgres,
  postgresBinDir,
  waitFor,
} from "./output-helpers.js";

const LOCAL = "postgres://postgres@127.0.0.1:5432/test";
const suffix = randomBytes(4).toString("hex");
const tables: string[] = [];
const admin = new pg.Pool({ connectionString: LOCAL, max: 2 });
// An idle pool client whose connection drops emits "error"; the tests
// restart servers and terminate sessions on purpose.
admin.on("error", () => undefined);

function tableName(label: string): string {
  const name = `qubit_test_${label}_${suffix}`;
  tables.push(name);
  return name;
}

function postgresConfig(
  overrides: Record<string, unknown>,
): PostgresOutputConfig {
  return configOf<PostgresOutputConfig>(PostgresOutputConfigSchema, {
    type: "postgres",
    connection_string: LOCAL,
    timeout_ms: 5_000,
    ...overrides,
  });
}

async function countRows(pool: pg.Pool, table: string): Promise<number> {
  const result = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
  return result.rows[0].n as number;
}

function pipelineFor(output: PostgresOutput): Pipeline {
  return new Pipeline({
    outputs: [output],
    batchSize: 50,
    batchIntervalMs: 5,
    retryInitialDelayMs: 50,
    retryMaxDelayMs: 500,
  });
}

afterAll(async () => {
  for (const table of tables)
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
  await admin.end();
});

describe("postgres output", () => {
  it("stores a batch written twice once", async () => {
    const table = tableName("twice");
    const output = new PostgresOutput(postgresConfig({ table }));
    const readings = makeReadings(120);
    await output.open();
    await output.write(readings);
    expect(output.lastInserted).toBe(120);
    await output.write(readings);
    expect(output.lastInserted).toBe(0);
    expect(await countRows(admin, table)).toBe(120);
    await output.close();
  });

  it("creates the table with the store's columns", async () => {
    const table = tableName("columns");
    const output = new PostgresOutput(postgresConfig({ table }));
    await output.write(makeReadings(1));
    await output.close();
    const columns = await admin.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
      [table],
    );
    expect(columns.rows.map((row) => row.column_name)).toEqual([
      "id",
      "asset_id",
      "metric",
      "value",
      "value_text",
      "value_type",
      "unit",
      "timestamp",
      "ts_ms",
      "org_id",
      "site_id",
      "device_id",
      "quality",
      "flags",
      "protocol",
      "address",
      "connector",
      "source",
      "metadata",
      "inserted_at",
    ]);
    const key = await admin.query(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a
         ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary`,
      [table],
    );
    expect(key.rows.map((row) => row.attname)).toEqual(["id"]);
  });

  it("round-trips every reading field", async () => {
    const table = tableName("fields");
    const output = new PostgresOutput(postgresConfig({ table }));
    const base = {
      asset_id: "site-7/meter 1",
      org_id: "org_001",
      site_id: "sit_solar_01",
      device_id: "dev-'quoted'",
      timestamp: Date.UTC(2024, 2, 31, 1, 30, 0, 125),
    };
    const source = {
      protocol: "ocpp",
      address: "CP-001",
      connector: "csms",
      message_id: "m-42",
      connector_id: 2,
    };
    const fileSource = { protocol: "csv", address: "/data/x.csv", line: 17 };
    const estimated = createReading({
      ...base,
      metric: "energy_import",
      value: 12_345.678,
      unit: "Wh",
      quality: "estimated",
      flags: ["estimated", "out_of_range"],
      metadata: { quality_reason: "unit missing", phase: "L1", nested: [1] },
      source,
    });
    const readings: TimeSeries[] = [
      estimated,
      createReading({
        ...base,
        metric: "status",
        value: "Charging",
        source,
      }),
      createReading({
        ...base,
        metric: "relay_closed",
        value: true,
        quality: "measured",
        source,
      }),
      createReading({
        ...base,
        metric: "relay_open",
        value: false,
        source,
      }),
      createReading({
        ...base,
        metric: "voltage",
        value: null,
        unit: "V",
        quality: "error",
        flags: ["communication_error"],
        source,
      }),
      createReading({
        asset_id: "plain",
        metric: "temperature",
        value: -12.5,
        unit: "celsius",
        timestamp: base.timestamp,
        source: fileSource,
      }),
    ];
    await output.write(readings);
    await output.close();

    const result = await admin.query<ReadingRow>(
      `SELECT * FROM ${table} ORDER BY metric`,
    );
    const stored = result.rows.map(readingFromRow);
    const expected = [...readings].sort((a, b) =>
      a.metric.localeCompare(b.metric),
    );
    expect(stored).toEqual(expected);
  });

  it("rejects a missing table when create_table is off", async () => {
    const table = tableName("missing");
    const output = new PostgresOutput(
      postgresConfig({ table, create_table: false }),
    );
    const error = await output.write(makeReadings(1)).catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_TABLE_INVALID");
    expect(error.message).toContain("does not exist");
    expect(error.fix).toContain("create_table");
    await output.close();
  });

  it("rejects a table without a primary key on id", async () => {
    const table = tableName("nokey");
    await admin.query(`CREATE TABLE ${table} (id text, asset_id text)`);
    const output = new PostgresOutput(
      postgresConfig({ table, create_table: false }),
    );
    const error = await output.write(makeReadings(1)).catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_TABLE_INVALID");
    expect(error.message).toContain("no primary key on id");
    await output.close();
  });

  it("loses nothing when its sessions are killed", async () => {
    const table = tableName("killed");
    const application = `qubit-test-kill-${suffix}`;
    const output = new PostgresOutput(
      postgresConfig({ table, application_name: application }),
    );
    const pipeline = pipelineFor(output);
    await pipeline.open();
    const total = 3_000;
    const readings = makeReadings(total);
    const written: Promise<void>[] = [];
    let kills = 0;
    for (let index = 0; index < total; index += 100) {
      written.push(pipeline.writeReadings(readings.slice(index, index + 100)));
      if (index % 600 === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const killed = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
          [application],
        );
        kills += killed.rowCount ?? 0;
      }
    }
    await Promise.all(written);
    await pipeline.close();
    expect(kills).toBeGreaterThan(0);
    expect(await countRows(admin, table)).toBe(total);
  });

  it("starts while the database is down", async () => {
    const port = await freePort();
    const logger = new CaptureLogger();
    const output = new PostgresOutput(
      postgresConfig({
        connection_string: `postgres://qubit:s3cret-pw@127.0.0.1:${port}/test`,
        timeout_ms: 1_000,
      }),
      { logger },
    );
    await expect(output.open()).resolves.toBeUndefined();
    const error = await output.write(makeReadings(1)).catch((e) => e);
    expect(error.code).toBe("QUBIT_RUNNER_OUTPUT_UNAVAILABLE");
    expect(logger.lines.some((line) => line.level === "error")).toBe(true);
    expect(logger.text()).not.toContain("s3cret-pw");
    expect(logger.text()).toContain(String(port));
    await output.close();
  });
});

const bin = postgresBinDir();

describe.skipIf(bin === undefined)("postgres output and a restart", () => {
  let server: PrivatePostgres;

  beforeAll(async () => {
    server = new PrivatePostgres(bin!);
    await server.start();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it("loses nothing across a server restart", async () => {
    const output = new PostgresOutput(
      postgresConfig({
        connection_string: server.connectionString,
        table: "restart",
        timeout_ms: 2_000,
      }),
    );
    const pipeline = pipelineFor(output);
    await pipeline.open();
    const readings = makeReadings(2_000);
    const first = pipeline.writeReadings(readings.slice(0, 1_000));
    await first;

    await server.stop();
    const during = pipeline.writeReadings(readings.slice(1_000, 1_500));
    await waitFor(
      () => pipeline.stats().pending_readings > 0,
      10_000,
      "readings to wait for the database",
    );
    await server.start();
    const after = pipeline.writeReadings(readings.slice(1_500));
    await Promise.all([during, after]);
    await pipeline.close();

    const check = new pg.Pool({ connectionString: server.connectionString });
    check.on("error", () => undefined);
    expect(await countRows(check, "restart")).toBe(2_000);
    await check.end();
  });
});
