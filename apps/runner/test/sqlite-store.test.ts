import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReading, type TimeSeries } from "@qubit/core";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import {
  SqliteDeadLetterOutput,
  SqliteOutput,
  SqliteStateStore,
} from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function reading(
  value: TimeSeries["value"],
  minute: number,
  metric = "power",
): TimeSeries {
  const quality = value === null ? "error" : undefined;
  return createReading({
    asset_id: "inv-1",
    metric,
    value,
    unit: "W",
    timestamp: Date.UTC(2025, 0, 15, 10, minute),
    quality,
    flags: value === null ? ["communication_error"] : undefined,
    source: {
      protocol: "modbus",
      address: "inv-1/holding/40001",
      connector: "modbus",
    },
    metadata: { register: 40001 },
  });
}

describe("SqliteOutput", () => {
  it("checkpoints the WAL while the output stays open", async () => {
    const path = join(dir, "checkpoint.db");
    const output = new SqliteOutput(path);
    const emptySize = statSync(path).size;
    for (let batch = 0; batch < 20; batch += 1) {
      const readings: TimeSeries[] = [];
      for (let index = 0; index < 500; index += 1) {
        readings.push(reading(index, batch * 500 + index, `m${batch}`));
      }
      await output.write(readings);
    }
    // The inserts are in the WAL; the checkpoint thread copies them into
    // the database file without waiting for the writer's own threshold.
    const deadline = Date.now() + 5_000;
    while (statSync(path).size <= emptySize + 1_000_000) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(statSync(path).size).toBeGreaterThan(emptySize + 1_000_000);
    await output.close();
  });

  it("stores readings once per id and keeps value types", async () => {
    const path = join(dir, "store.db");
    const output = new SqliteOutput(path);
    const batch = [
      reading(1500.5, 0),
      reading(true, 1, "running"),
      reading("fault", 2, "state"),
      reading(null, 3),
    ];
    await output.write(batch);
    expect(output.lastInserted).toBe(4);
    await output.write(batch);
    expect(output.lastInserted).toBe(0);
    await output.close();

    const db = new Database(path, { readonly: true });
    const rows = db
      .prepare(
        "SELECT metric, value, value_type, quality, flags, ts_ms, connector FROM readings ORDER BY ts_ms",
      )
      .all();
    db.close();
    expect(rows).toEqual([
      {
        metric: "power",
        value: 1500.5,
        value_type: "number",
        quality: null,
        flags: null,
        ts_ms: Date.UTC(2025, 0, 15, 10, 0),
        connector: "modbus",
      },
      {
        metric: "running",
        value: 1,
        value_type: "boolean",
        quality: null,
        flags: null,
        ts_ms: Date.UTC(2025, 0, 15, 10, 1),
        connector: "modbus",
      },
      {
        metric: "state",
        value: "fault",
        value_type: "string",
        quality: null,
        flags: null,
        ts_ms: Date.UTC(2025, 0, 15, 10, 2),
        connector: "modbus",
      },
      {
        metric: "power",
        value: null,
        value_type: "null",
        quality: "error",
        flags: '["communication_error"]',
        ts_ms: Date.UTC(2025, 0, 15, 10, 3),
        connector: "modbus",
      },
    ]);
  });

  it("uses WAL mode", async () => {
    const path = join(dir, "wal.db");
    const output = new SqliteOutput(path);
    await output.write([reading(1, 0)]);
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    await output.close();
  });
});

describe("SqliteOutput writer thread", () => {
  it("inserts without holding the event loop", async () => {
    const path = join(dir, "thread.db");
    const output = new SqliteOutput(path);
    const batch = Array.from({ length: 20_000 }, (_, index) =>
      reading(index, index),
    );
    // Converting the batch to rows runs on this thread; the insert runs
    // on the writer thread, so a timer set now fires before it ends.
    const events: string[] = [];
    const written = output.write(batch).then(() => events.push("written"));
    setTimeout(() => events.push("timer"), 0);
    await written;
    expect(events).toEqual(["timer", "written"]);
    expect(output.lastInserted).toBe(20_000);
    await output.close();
    const db = new Database(path, { readonly: true });
    const count = db.prepare("SELECT COUNT(*) AS n FROM readings").get() as {
      n: number;
    };
    db.close();
    expect(count.n).toBe(20_000);
  });
});

describe("SqliteDeadLetterOutput", () => {
  it("stores dead letters with their place", async () => {
    const path = join(dir, "letters.db");
    const output = new SqliteDeadLetterOutput(path);
    await output.write([
      {
        at: "2025-01-15T10:00:00.000Z",
        connector: "mqtt",
        protocol: "mqtt",
        code: "QUBIT_MQTT_PAYLOAD_NOT_JSON",
        reason: "payload is not JSON",
        location: { protocol: "mqtt", address: "a/b" },
        raw: "{oops",
        raw_encoding: "utf8",
      },
    ]);
    await output.close();
    const db = new Database(path, { readonly: true });
    const row = db
      .prepare("SELECT code, location, raw FROM dead_letters")
      .get();
    db.close();
    expect(row).toEqual({
      code: "QUBIT_MQTT_PAYLOAD_NOT_JSON",
      location: '{"protocol":"mqtt","address":"a/b"}',
      raw: "{oops",
    });
  });
});

describe("SqliteStateStore", () => {
  it("keeps state across reopening, in insertion order", () => {
    const path = join(dir, "state.db");
    const first = new SqliteStateStore(path);
    first.set("ocpp.tx", "b", { id: 2 });
    first.set("ocpp.tx", "a", { id: 1 });
    first.set("ocpp.tx", "b", { id: 3 });
    first.set("other", "x", 1);
    first.delete("other", "x");
    first.close();
    const second = new SqliteStateStore(path);
    expect(second.get("ocpp.tx", "b")).toEqual({ id: 3 });
    expect(second.entries("ocpp.tx")).toEqual([
      ["b", { id: 3 }],
      ["a", { id: 1 }],
    ]);
    expect(second.get("other", "x")).toBeUndefined();
    second.close();
  });
});
