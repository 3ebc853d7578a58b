import {
  type Logger,
  noopLogger,
  type Output,
  rateLimited,
  type TimeSeries,
} from "@qubit/core";
import pg from "pg";
import type { PostgresOutputConfig } from "./config.js";
import { describePostgres } from "./endpoint.js";
import { OutputDeliveryError, TableInvalidError } from "./errors.js";
import {
  batchParameters,
  createIndexSql,
  createTableSql,
  insertSql,
  quoteIdentifier,
} from "./postgres-sql.js";

/**
 * Returns whether an error code means the connection failed rather than
 * the statement: no SQLSTATE (a socket error such as ECONNRESET, or a
 * timeout), class 08 (connection exception) or class 57 (operator
 * intervention, such as a shutdown or pg_terminate_backend).
 */
function isConnectionError(code: string | undefined): boolean {
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith("08") || code.startsWith("57");
}

/** Options of {@link PostgresOutput}. */
export interface PostgresOutputOptions {
  name?: string;
  logger?: Logger;
}

interface Prepared {
  insert: string;
  timescale: boolean;
}

/**
 * Writes readings into a PostgreSQL table with one `INSERT ... ON
 * CONFLICT DO NOTHING` per batch, so a batch written twice (a retry, a
 * replay of the disk buffer) is stored once. The table is created when
 * missing, as a TimescaleDB hypertable when that extension is installed.
 *
 * A failed connection or statement rejects the write. The pool opens a
 * new connection on the next write, so the pipeline's retry recovers
 * from a restarted server or a killed session.
 */
export class PostgresOutput implements Output {
  readonly name: string;
  /** Rows the last write inserted; duplicates are not counted. */
  lastInserted = 0;
  private readonly config: PostgresOutputConfig;
  private readonly logger: Logger;
  private readonly pool: pg.Pool;
  private readonly table: string;
  private prepared: Promise<Prepared> | undefined;
  private readonly logPoolError = rateLimited(5, 60_000);

  constructor(
    config: PostgresOutputConfig,
    options: PostgresOutputOptions = {},
  ) {
    this.config = config;
    this.name = options.name ?? "postgres";
    this.logger = (options.logger ?? noopLogger).child({
      output: this.name,
      ...describePostgres(config.connection_string),
    });
    this.table = `${quoteIdentifier(config.schema)}.${quoteIdentifier(config.table)}`;
    this.pool = new pg.Pool({
      ...(config.connection_string === undefined
        ? {}
        : { connectionString: config.connection_string }),
      application_name: config.application_name,
      connectionTimeoutMillis: config.timeout_ms,
      query_timeout: config.timeout_ms,
      statement_timeout: config.timeout_ms,
      max: 2,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection that the server ends (a restart, or
    // pg_terminate_backend) emits here; without a listener the process
    // would crash. The pool drops that connection and opens another.
    this.pool.on("error", (error) => {
      const { allowed, suppressed } = this.logPoolError();
      if (!allowed) return;
      this.logger.warn(
        { err: error, suppressed },
        "PostgreSQL closed an idle connection; the next write opens a new one",
      );
    });
  }

  /**
   * Connects and creates the table when missing. A failure is logged and
   * not thrown, so the service starts while the database is down; each
   * write tries again.
   */
  async open(): Promise<void> {
    try {
      await this.prepare();
      this.logger.info({ table: this.table }, "PostgreSQL output ready");
    } catch (error) {
      this.logger.error(
        { err: error, table: this.table },
        "PostgreSQL output is not ready; writes will retry",
      );
    }
  }

  async write(readings: readonly TimeSeries[]): Promise<void> {
    if (readings.length === 0) return;
    const { insert } = await this.prepare();
    let result: pg.QueryResult;
    try {
      result = await this.pool.query(insert, batchParameters(readings));
    } catch (error) {
      // A table dropped or altered while the service runs is set up again
      // on the next write.
      const code = (error as { code?: string }).code;
      if (code === "42P01" || code === "42703") this.prepared = undefined;
      throw new OutputDeliveryError(
        isConnectionError(code)
          ? "QUBIT_RUNNER_OUTPUT_UNAVAILABLE"
          : "QUBIT_RUNNER_OUTPUT_REJECTED",
        `PostgreSQL insert of ${readings.length} readings into ${this.table} failed: ${(error as Error).message}`,
        {
          cause: error,
          location: { address: this.table },
          fix: "check that the database is up and the table has the columns this output writes",
        },
      );
    }
    this.lastInserted = result.rowCount ?? 0;
    this.logger.debug(
      { readings: readings.length, inserted: this.lastInserted },
      "Batch written to PostgreSQL",
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Returns whether the readings table is a TimescaleDB hypertable. */
  async isHypertable(): Promise<boolean> {
    return (await this.prepare()).timescale;
  }

  // Memoised until it fails, so a database that was down is set up on a
  // later write.
  private prepare(): Promise<Prepared> {
    if (!this.prepared) {
      this.prepared = this.setUp().catch((error: unknown) => {
        this.prepared = undefined;
        throw error;
      });
    }
    return this.prepared;
  }

  private async setUp(): Promise<Prepared> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new OutputDeliveryError(
        "QUBIT_RUNNER_OUTPUT_UNAVAILABLE",
        `Connection to PostgreSQL failed: ${(error as Error).message}`,
        {
          cause: error,
          fix: "check connection_string (host, port, database, user) and that the server is up",
        },
      );
    }
    // A checked-out client emits "error" when its connection drops between
    // two queries (a server restart, pg_terminate_backend); without a
    // listener that event would crash the process. The failed query
    // rejects on its own, so the listener only logs.
    const onClientError = (error: Error) =>
      this.logger.warn(
        { output: this.name, err: error },
        "PostgreSQL connection dropped while creating the table",
      );
    client.on("error", onClientError);
    try {
      const timescale = await this.ensureTable(client);
      const key = await this.primaryKey(client);
      if (!key.includes("id")) {
        throw new TableInvalidError(
          `Table ${this.table} has no primary key on id (primary key: ${key.length > 0 ? key.join(", ") : "none"})`,
          {
            location: { address: this.table },
            fix: 'add PRIMARY KEY (id), or (id, "timestamp") on a hypertable, or let this output create the table',
          },
        );
      }
      return { insert: insertSql(this.table, key), timescale };
    } finally {
      client.off("error", onClientError);
      client.release();
    }
  }

  /** Creates the table when missing; returns whether it is a hypertable. */
  private async ensureTable(client: pg.PoolClient): Promise<boolean> {
    const exists = await this.tableExists(client);
    if (!exists && !this.config.create_table) {
      throw new TableInvalidError(`Table ${this.table} does not exist`, {
        location: { address: this.table },
        fix: "create the table, or set create_table to true",
      });
    }
    if (!exists) await this.createTable(client);
    return this.hypertableOf(client);
  }

  private async createTable(client: pg.PoolClient): Promise<void> {
    await client.query("BEGIN");
    try {
      // Several replicas may start at once; the lock makes one of them
      // create the table and the others find it.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
        `qubit:${this.table}`,
      ]);
      const timescale =
        this.config.hypertable && (await this.timescaleInstalled(client));
      if (!(await this.tableExists(client))) {
        await client.query(createTableSql(this.table, timescale));
        for (const sql of createIndexSql(this.table, this.config.table))
          await client.query(sql);
        if (timescale) {
          // NOTE: no test runs this call, because the test database has no
          // TimescaleDB. It uses create_hypertable(relation, time column)
          // as TimescaleDB 2 defines it.
          await client.query(
            "SELECT create_hypertable($1::regclass, 'timestamp', if_not_exists => TRUE)",
            [this.table],
          );
        }
        this.logger.info(
          { table: this.table, hypertable: timescale },
          "Created the readings table",
        );
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  private async tableExists(client: pg.PoolClient): Promise<boolean> {
    const result = await client.query(
      "SELECT to_regclass($1) IS NOT NULL AS exists",
      [this.table],
    );
    return result.rows[0].exists === true;
  }

  private async timescaleInstalled(client: pg.PoolClient): Promise<boolean> {
    const result = await client.query(
      "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'",
    );
    return (result.rowCount ?? 0) > 0;
  }

  private async hypertableOf(client: pg.PoolClient): Promise<boolean> {
    if (!(await this.timescaleInstalled(client))) return false;
    const result = await client.query(
      "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 AND hypertable_name = $2",
      [this.config.schema, this.config.table],
    );
    return (result.rowCount ?? 0) > 0;
  }

  private async primaryKey(client: pg.PoolClient): Promise<string[]> {
    const result = await client.query(
      `SELECT a.attname AS name
         FROM pg_index i
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = $1::regclass AND i.indisprimary
        ORDER BY k.position`,
      [this.table],
    );
    return result.rows.map((row: { name: string }) => row.name);
  }
}
