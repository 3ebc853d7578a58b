import type { TimeSeries } from "@qubit/core";

/** Quotes a PostgreSQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The columns of the readings table, in insert order, with their types.
 * They are the columns of the SQLite store's `readings` table, plus
 * `value_text`: PostgreSQL columns have one type, so `value` is a
 * `double precision` that keeps numbers (booleans as 1 and 0) and
 * `value_text` keeps string values. `value_type` names the column in use.
 */
export const READING_COLUMNS = [
  ["id", "text"],
  ["asset_id", "text"],
  ["metric", "text"],
  ["value", "float8"],
  ["value_text", "text"],
  ["value_type", "text"],
  ["unit", "text"],
  ["timestamp", "timestamptz"],
  ["ts_ms", "int8"],
  ["org_id", "text"],
  ["site_id", "text"],
  ["device_id", "text"],
  ["quality", "text"],
  ["flags", "jsonb"],
  ["protocol", "text"],
  ["address", "text"],
  ["connector", "text"],
  ["source", "jsonb"],
  ["metadata", "jsonb"],
] as const;

/**
 * Returns the statement that creates the readings table. With
 * `hypertable`, the primary key includes `timestamp`, because TimescaleDB
 * requires every unique index of a hypertable to contain its time column.
 * The reading id already depends on the timestamp, so the key still
 * identifies one reading.
 */
export function createTableSql(table: string, hypertable: boolean): string {
  const key = hypertable ? `id, "timestamp"` : "id";
  return `CREATE TABLE IF NOT EXISTS ${table} (
  id text NOT NULL,
  asset_id text NOT NULL,
  metric text NOT NULL,
  value double precision,
  value_text text,
  value_type text NOT NULL,
  unit text NOT NULL,
  "timestamp" timestamptz NOT NULL,
  ts_ms bigint NOT NULL,
  org_id text,
  site_id text,
  device_id text,
  quality text,
  flags jsonb,
  protocol text NOT NULL,
  address text NOT NULL,
  connector text,
  source jsonb NOT NULL,
  metadata jsonb,
  inserted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (${key})
)`;
}

/** Returns the statements that create the indexes of the readings table. */
export function createIndexSql(table: string, tableName: string): string[] {
  return [
    `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${tableName}_series`)} ON ${table} (asset_id, metric, "timestamp" DESC)`,
    `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${tableName}_connector`)} ON ${table} (connector)`,
  ];
}

/**
 * Returns the INSERT statement of one batch. The batch travels as one
 * array parameter per column and `unnest` turns them into rows, so the
 * statement has 19 parameters whatever the batch size (a VALUES list
 * would reach PostgreSQL's limit of 65,535 parameters at 3,449 rows).
 */
export function insertSql(table: string, conflictColumns: string[]): string {
  const columns = READING_COLUMNS.map(([name]) => quoteIdentifier(name));
  const arrays = READING_COLUMNS.map(
    ([, type], index) => `$${index + 1}::${type}[]`,
  );
  const target = conflictColumns.map(quoteIdentifier).join(", ");
  return `INSERT INTO ${table} (${columns.join(", ")})
SELECT * FROM unnest(${arrays.join(", ")})
ON CONFLICT (${target}) DO NOTHING`;
}

/** Turns a batch into the column arrays of {@link insertSql}. */
export function batchParameters(readings: readonly TimeSeries[]): unknown[][] {
  const columns: unknown[][] = READING_COLUMNS.map(() => []);
  const push = (index: number, value: unknown) => columns[index]!.push(value);
  for (const reading of readings) {
    const { value } = reading;
    push(0, reading.id);
    push(1, reading.asset_id);
    push(2, reading.metric);
    push(3, typeof value === "number" ? value : valueNumber(value));
    push(4, typeof value === "string" ? value : null);
    push(5, value === null ? "null" : typeof value);
    push(6, reading.unit);
    push(7, reading.timestamp);
    push(8, Date.parse(reading.timestamp));
    push(9, reading.org_id ?? null);
    push(10, reading.site_id ?? null);
    push(11, reading.device_id ?? null);
    push(12, reading.quality ?? null);
    push(13, reading.flags ? JSON.stringify(reading.flags) : null);
    push(14, reading.source.protocol);
    push(15, reading.source.address);
    push(16, reading.source.connector ?? null);
    push(17, JSON.stringify(reading.source));
    push(18, reading.metadata ? JSON.stringify(reading.metadata) : null);
  }
  return columns;
}

function valueNumber(value: boolean | string | null): number | null {
  if (typeof value === "boolean") return value ? 1 : 0;
  return null;
}

/** A row of the readings table as `pg` returns it. */
export interface ReadingRow {
  id: string;
  asset_id: string;
  metric: string;
  value: number | null;
  value_text: string | null;
  value_type: string;
  unit: string;
  timestamp: Date;
  org_id: string | null;
  site_id: string | null;
  device_id: string | null;
  quality: string | null;
  flags: string[] | null;
  source: TimeSeries["source"];
  metadata: Record<string, unknown> | null;
}

/** Rebuilds the reading that a row of the readings table stores. */
export function readingFromRow(row: ReadingRow): TimeSeries {
  const reading: TimeSeries = {
    id: row.id,
    asset_id: row.asset_id,
    metric: row.metric,
    value: rowValue(row),
    unit: row.unit,
    timestamp: row.timestamp.toISOString(),
    source: row.source,
  };
  if (row.org_id !== null) reading.org_id = row.org_id;
  if (row.site_id !== null) reading.site_id = row.site_id;
  if (row.device_id !== null) reading.device_id = row.device_id;
  if (row.quality !== null)
    reading.quality = row.quality as TimeSeries["quality"];
  if (row.flags !== null) reading.flags = row.flags as TimeSeries["flags"];
  if (row.metadata !== null) reading.metadata = row.metadata;
  return reading;
}

function rowValue(row: ReadingRow): TimeSeries["value"] {
  switch (row.value_type) {
    case "boolean":
      return row.value === 1;
    case "string":
      return row.value_text;
    case "null":
      return null;
    default:
      return row.value;
  }
}
