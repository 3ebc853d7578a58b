import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModbusConfig, PointConfig } from "../src/index.js";
import { type Harness, harness, waitFor } from "./helpers/harness.js";
import { hasPymodbus, PymodbusPeer, startPtyPair } from "./helpers/peer.js";

// Every type in every byte order, served by pymodbus and read over Modbus
// TCP and over RTU through a socat pseudo-terminal pair. The expected
// words are built here with Buffer, independently of the package's codec.
type Order = "ABCD" | "CDAB" | "BADC" | "DCBA";

function wordsOf(bytes: Buffer, order: Order): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const high = bytes[i]!;
    const low = bytes[i + 1]!;
    words.push(
      order === "BADC" || order === "DCBA"
        ? (low << 8) | high
        : (high << 8) | low,
    );
  }
  return order === "CDAB" || order === "DCBA" ? words.reverse() : words;
}

interface Case {
  name: string;
  point: PointConfig;
  words: number[];
  expected: unknown;
}

function buildCases(): Case[] {
  const cases: Case[] = [];
  let address = 1000;
  const add = (
    name: string,
    point: Omit<PointConfig, "address">,
    words: number[],
    expected: unknown,
  ) => {
    cases.push({
      name,
      point: { address: `holding:${address}`, ...point },
      words,
      expected,
    });
    address += words.length;
  };
  for (const order of ["ABCD", "BADC"] as const) {
    const int16 = Buffer.alloc(2);
    int16.writeInt16BE(-1250);
    add(
      `int16_${order}`,
      { type: "int16", byte_order: order },
      wordsOf(int16, order),
      -1250,
    );
    const uint16 = Buffer.alloc(2);
    uint16.writeUInt16BE(65000);
    add(
      `uint16_${order}`,
      { type: "uint16", byte_order: order },
      wordsOf(uint16, order),
      65000,
    );
  }
  for (const order of ["ABCD", "CDAB", "BADC", "DCBA"] as const) {
    const int32 = Buffer.alloc(4);
    int32.writeInt32BE(-123456789);
    add(
      `int32_${order}`,
      { type: "int32", byte_order: order },
      wordsOf(int32, order),
      -123456789,
    );
    const uint32 = Buffer.alloc(4);
    uint32.writeUInt32BE(4000000000);
    add(
      `uint32_${order}`,
      { type: "uint32", byte_order: order },
      wordsOf(uint32, order),
      4000000000,
    );
    const float32 = Buffer.alloc(4);
    float32.writeFloatBE(2.71);
    add(
      `float32_${order}`,
      { type: "float32", byte_order: order },
      wordsOf(float32, order),
      Math.fround(2.71),
    );
    const int64 = Buffer.alloc(8);
    int64.writeBigInt64BE(-1234567890123n);
    add(
      `int64_${order}`,
      { type: "int64", byte_order: order },
      wordsOf(int64, order),
      -1234567890123,
    );
    const uint64 = Buffer.alloc(8);
    uint64.writeBigUInt64BE(12345678901234n);
    add(
      `uint64_${order}`,
      { type: "uint64", byte_order: order },
      wordsOf(uint64, order),
      12345678901234,
    );
    const float64 = Buffer.alloc(8);
    float64.writeDoubleBE(-12345.678901);
    add(
      `float64_${order}`,
      { type: "float64", byte_order: order },
      wordsOf(float64, order),
      -12345.678901,
    );
  }
  const text = Buffer.from("SDM630-X", "latin1");
  add(
    "model",
    { type: "string", length: 4 },
    wordsOf(text, "ABCD"),
    "SDM630-X",
  );
  add(
    "swapped_model",
    { type: "string", length: 4, byte_order: "BADC" },
    wordsOf(text, "BADC"),
    "SDM630-X",
  );
  add(
    "status",
    { type: "bitfield16", bits: { fault: 0, running: 3, alarm: 15 } },
    [0b1000_0000_0000_1000],
    {
      "status.fault": false,
      "status.running": true,
      "status.alarm": true,
    },
  );
  add("grid_ok", { type: "bool", bit: 2 }, [0b0100], true);
  add(
    "scaled",
    { type: "uint32", scale: 100, byte_order: "CDAB", unit: "kWh" },
    [0xe240, 0x0001],
    1234560,
  ); // 1234.56 kWh, in Wh after the pipeline
  add(
    "tenths",
    { type: "int16", multiplier: 0.1, offset: -40, unit: "celsius" },
    [655],
    25.5,
  );
  return cases;
}

const CASES = buildCases();

function image(): Record<number, number> {
  const hr: Record<number, number> = {};
  for (const entry of CASES) {
    const start = Number(String(entry.point.address).split(":")[1]);
    entry.words.forEach((word, index) => {
      hr[start + index] = word;
    });
  }
  return hr;
}

function registers(): Record<string, PointConfig> {
  const map: Record<string, PointConfig> = Object.fromEntries(
    CASES.map((entry) => [entry.name, entry.point]),
  );
  map.breaker = { address: "00003" };
  map.door_open = { address: 10002 };
  return map;
}

function suite(transport: "tcp" | "rtu"): void {
  describe.skipIf(!hasPymodbus())(`types and orders over ${transport}`, () => {
    let peer: PymodbusPeer;
    let run: Harness;
    let pty: Awaited<ReturnType<typeof startPtyPair>> | undefined;

    beforeAll(async () => {
      const units = { 7: { hr: image(), co: { 2: 1 }, di: { 1: 0 } } };
      let config: ModbusConfig;
      if (transport === "tcp") {
        peer = await PymodbusPeer.start({ units });
        config = { host: "127.0.0.1", port: peer.port };
      } else {
        pty = await startPtyPair();
        peer = await PymodbusPeer.start({
          transport: "rtu",
          serial_port: pty.a,
          baudrate: 19200,
          units,
        });
        config = {
          protocol: "rtu",
          port: pty.b,
          baudrate: 19200,
          parity: "none",
        };
      }
      run = harness({
        ...config,
        timeout: 2,
        polling_interval: 3600,
        devices: [{ name: "meter", unit_id: 7, registers: registers() }],
      });
      await run.connector.connect();
      await waitFor(
        () => run.output.readings.length >= CASES.length + 4,
        20_000,
        "readings",
      );
    });

    afterAll(async () => {
      await run?.close();
      await peer?.stop();
      await pty?.stop();
    });

    for (const entry of CASES) {
      it(`decodes ${entry.name}`, () => {
        if (entry.expected !== null && typeof entry.expected === "object") {
          for (const [metric, value] of Object.entries(entry.expected)) {
            expect(run.of(metric)[0]?.value).toBe(value);
          }
          return;
        }
        expect(run.of(entry.name)[0]?.value).toBe(entry.expected);
      });
    }

    it("reads a coil and a discrete input", () => {
      expect(run.of("breaker")[0]?.value).toBe(true);
      expect(run.of("door_open")[0]?.value).toBe(false);
    });

    it("reads the registers in one request", async () => {
      const requests = await peer.requests();
      const holding = requests.filter((r) => r.fc === 3);
      expect(holding).toHaveLength(1);
      expect(holding[0]!.count).toBe(Object.keys(image()).length);
    });

    it("keeps every reading good", () => {
      expect(run.output.readings.every((r) => r.quality === "measured")).toBe(
        true,
      );
      expect(run.diagnostics).toEqual([]);
    });
  });
}

suite("tcp");
suite("rtu");
