import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../src/protocols/modbus/simulator.js";
import { runCli } from "./cli-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-modbus-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCli;

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const lines = (text: string) =>
  text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

// The seed's register map, as a whole config file.
const seedConfig = write("seed.json", {
  modbus: {
    host: "192.168.1.100",
    port: 502,
    registers: {
      active_power: {
        address: 40001,
        type: "float32",
        scale: 1000,
        unit: "kW",
      },
      energy_total: { address: 40003, type: "uint32", scale: 100, unit: "kWh" },
    },
    polling_interval: 5,
  },
});

describe("qubit convert modbus", () => {
  it("converts the seed map's registers", async () => {
    // 17658, 0 is float32 2000 (W, as the map divides kW by 1000); 1,
    // 57920 is raw 123456, which scale 100 makes 1234.56 kWh.
    const registers = write("seed-registers.json", {
      "40001": 17658,
      "40002": 0,
      "40003": 1,
      "40004": 57920,
    });
    const result = await run([
      "convert",
      "modbus",
      "--config",
      seedConfig,
      "--registers-file",
      registers,
      "--at",
      "2025-01-15T10:00:00Z",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const readings = lines(result.stdout);
    const power = readings.find((r) => r.metric === "active_power")!;
    expect(power.value).toBe(2000);
    expect(power.unit).toBe("W");
    const energy = readings.find((r) => r.metric === "energy_total")!;
    expect(energy.value).toBe(1234560);
    expect(energy.unit).toBe("Wh");
    expect(energy.timestamp).toBe("2025-01-15T10:00:00.000Z");
  });

  it("reads table:address keys and names missing registers", async () => {
    const config = write("c03.json", {
      modbus: {
        host: "127.0.0.1",
        devices: [
          {
            name: "pm-2",
            registers: {
              current_l1: { address: "30001", type: "float32", unit: "A" },
              voltage_l1: { address: "40108", scale: 10, unit: "V" },
              batt_rated_energy: {
                address: 57600,
                addressing: "pdu",
                function: 3,
                unit: "Wh",
              },
            },
          },
        ],
      },
    });
    const registers = write("c03-registers.json", {
      "30001": 0x4125,
      "30002": 0xeb85,
      "holding:57600": 10000,
    });
    const result = await run([
      "convert",
      "modbus",
      "-c",
      config,
      "-r",
      registers,
    ]);
    expect(result.code).toBe(1);
    const readings = lines(result.stdout);
    expect(readings.find((r) => r.metric === "current_l1")!.value).toBeCloseTo(
      10.37,
      5,
    );
    expect(readings.find((r) => r.metric === "batt_rated_energy")!.value).toBe(
      10000,
    );
    expect(result.stderr).toContain("QUBIT_MODBUS_WORDS_MISSING");
    expect(result.stderr).toContain(
      "point voltage_l1 of pm-2 needs holding_register 107",
    );
  });

  it("names a missing word in the file's notation", async () => {
    const modicon = write("modicon-registers.json", { "40001": 17658 });
    const modiconResult = await run([
      "convert",
      "modbus",
      "-c",
      seedConfig,
      "-r",
      modicon,
    ]);
    expect(modiconResult.code).toBe(1);
    expect(modiconResult.stderr).toContain(
      "point active_power of modbus needs register 40002 (holding_register 1, 0-based, on the wire)",
    );
    expect(modiconResult.stderr).toContain('add "40002" to the register image');

    const sixDigits = write("six-digit-registers.json", { "400001": 17658 });
    const sixDigitResult = await run([
      "convert",
      "modbus",
      "-c",
      seedConfig,
      "-r",
      sixDigits,
    ]);
    expect(sixDigitResult.stderr).toContain("needs register 400002");

    const table = write("table-registers.json", { "holding:0": 17658 });
    const tableResult = await run([
      "convert",
      "modbus",
      "-c",
      seedConfig,
      "-r",
      table,
    ]);
    expect(tableResult.stderr).toContain(
      'needs "holding_register:1" (0-based, Modicon 40002)',
    );
  });

  it("rejects a bad reference in the config with status 2", async () => {
    const config = write("bad.json", {
      modbus: {
        host: "h",
        registers: { bad_ref: { address: "57600", unit: "Wh" } },
      },
    });
    const registers = write("empty.json", {});
    const result = await run([
      "convert",
      "modbus",
      "-c",
      config,
      "-r",
      registers,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("/modbus/registers/bad_ref/address");
    expect(result.stderr).toContain("57600 is not a valid");
  });

  it("reports a register image that is not JSON", async () => {
    const registers = join(dir, "broken.json");
    writeFileSync(registers, "{40001: 1");
    const result = await run([
      "convert",
      "modbus",
      "-c",
      seedConfig,
      "-r",
      registers,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("QUBIT_MODBUS_REGISTERS_FILE_INVALID");
  });

  it("rejects missing arguments with status 2", async () => {
    const result = await run(["convert", "modbus", "--config", seedConfig]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--registers-file");
  });
});

describe("qubit modbus probe", () => {
  let simulator: Awaited<ReturnType<typeof startSimulator>>;

  beforeAll(async () => {
    // 230.16 V as float32 big-endian (words 0x4366 0x28f5), as an
    // Alfen charger sends it, and the same value low word first at 2.
    const words = [0x4366, 0x28f5, 0x28f5, 0x4366];
    simulator = await startSimulator((fc, address) =>
      fc === 3 ? words[address] : undefined,
    );
  });
  afterAll(() => simulator?.stop());

  it("rejects a read past register 65535", async () => {
    const result = await run([
      "modbus",
      "probe",
      "--host",
      "127.0.0.1",
      "--port",
      "1",
      "--address",
      "holding:65534",
      "--count",
      "4",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("past the last register 65535");
    expect(result.stderr).toContain("at most 2");
  });

  it("marks the plausible orders", async () => {
    const result = await run([
      "modbus",
      "probe",
      "--host",
      "127.0.0.1",
      "--port",
      String(simulator.port),
      "--address",
      "40001",
      "--count",
      "4",
      "--json",
    ]);
    expect(result.code).toBe(0);
    const rows = lines(result.stdout);
    const float = (address: number, order: string) =>
      rows.find(
        (r) =>
          r.address === address &&
          r.type === "float32" &&
          r.byteOrder === order,
      )!;
    expect(float(0, "ABCD").value).toBeCloseTo(230.16, 4);
    expect(float(0, "ABCD").plausible).toBe(true);
    expect(float(2, "CDAB").value).toBeCloseTo(230.16, 4);
    expect(float(0, "DCBA").plausible).toBe(false);
  });

  it("prints 64-bit integers exactly", async () => {
    // 0x436628f528f54366 is above 2^53, so a double would round it.
    const exact = BigInt("0x436628f528f54366").toString();
    const argv = [
      "modbus",
      "probe",
      "--host",
      "127.0.0.1",
      "--port",
      String(simulator.port),
      "--address",
      "40001",
      "--count",
      "4",
    ];
    const json = await run([...argv, "--json"]);
    expect(json.code).toBe(0);
    const row = lines(json.stdout).find(
      (r) => r.address === 0 && r.type === "uint64" && r.byteOrder === "ABCD",
    )!;
    expect(row.value).toBe(exact);
    const table = await run(argv);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`  0 +uint64 +ABCD +${exact}\\n`));
    expect(table.stdout).not.toMatch(/int64 +\w+ +-?[\d.]+e\+/);
  });

  it("prints a table", async () => {
    const result = await run([
      "modbus",
      "probe",
      "--host",
      "127.0.0.1",
      "--port",
      String(simulator.port),
      "--address",
      "holding:0",
      "--count",
      "2",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("0x4366 0x28f5");
    expect(result.stdout).toMatch(/\* 0 +float32 +ABCD +230\.16/);
  });

  it("reports a device that has no such register", async () => {
    const result = await run([
      "modbus",
      "probe",
      "--host",
      "127.0.0.1",
      "--port",
      String(simulator.port),
      "--address",
      "40100",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS",
    );
  });
});

describe("qubit validate-config modbus", () => {
  it("warns that a device without registers reads nothing", async () => {
    const configs = {
      rtu: {
        protocol: "rtu",
        port: "/dev/ttyUSB0",
        baudrate: 19200,
        parity: "even",
      },
      tcp: { protocol: "tcp", host: "192.168.1.100", port: 502, unit_id: 1 },
    };
    for (const [name, modbus] of Object.entries(configs)) {
      const path = write(`empty-${name}.json`, { modbus });
      const result = await run(["validate-config", path]);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("warning: /modbus:");
      expect(result.stderr).toContain("reads nothing");
      expect(result.stderr).toContain("QUBIT_MODBUS_NO_POINTS");
      expect(result.stderr).toContain("add registers");
    }
  });
});
