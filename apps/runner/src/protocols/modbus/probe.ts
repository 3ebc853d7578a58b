import { noopLogger } from "@qubit/core";
import {
  ModbusClient,
  type ProbeRow,
  probeInterpretations,
  resolveAddress,
} from "@qubit/modbus";
import { UsageError } from "../../errors.js";
import type { CommandArgs, CommandContext, ExtraCommand } from "../types.js";

const USAGE = `Usage: qubit modbus probe --host HOST --address A --count C [options]

Reads registers from a device and prints every type and byte order side
by side, marking the plausible ones with *, so the right order can be
found without guessing.

Options:
  --host HOST          device or gateway (tcp, rtu_over_tcp)
  --port PORT          TCP port (default 502), or the serial device for rtu
  --protocol P         tcp (default), rtu or rtu_over_tcp
  --baudrate N         serial speed for rtu (default 9600)
  --parity P           none (default), even or odd
  --unit-id N          unit id (default 1)
  --address A          first register: a Modicon reference (40001,
                       30001, 400001) or table:address ("holding:57600")
  --count C            registers to read, 1 to 125 (default 4)
  --timeout SECONDS    response timeout (default 2)
  --json               print the rows as NDJSON instead of a table; a
                       64-bit integer beyond 2^53 is a JSON string there,
                       so that no digit is lost`;

/** `qubit modbus probe`: raw registers in every type and byte order. */
export const modbusProbeCommand: ExtraCommand = {
  path: ["modbus", "probe"],
  summary: "read registers and show every type and byte order",
  usage: USAGE,
  options: {
    host: { type: "string" },
    port: { type: "string" },
    protocol: { type: "string" },
    baudrate: { type: "string" },
    parity: { type: "string" },
    "unit-id": { type: "string" },
    address: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
  },
  async run(args: CommandArgs, context: CommandContext): Promise<number> {
    const values = args.values;
    const protocol = String(values.protocol ?? "tcp");
    if (!["tcp", "rtu", "rtu_over_tcp"].includes(protocol)) {
      throw new UsageError(
        `Invalid --protocol ${protocol}`,
        "use tcp, rtu or rtu_over_tcp",
      );
    }
    if (protocol !== "rtu" && values.host === undefined) {
      throw new UsageError("Missing --host", `usage:\n${USAGE}`);
    }
    if (values.address === undefined) {
      throw new UsageError("Missing --address", `usage:\n${USAGE}`);
    }
    const place = resolveAddress({ address: String(values.address) });
    if ("message" in place)
      throw new UsageError(`Invalid --address: ${place.message}`, place.fix);
    if (place.table === "coil" || place.table === "discrete_input") {
      throw new UsageError(
        `--address ${values.address} is a ${place.table}; probe reads registers`,
        "give a 3xxxx or 4xxxx reference, or input:N / holding:N",
      );
    }
    const count = integer(values.count, "--count", 4, 1, 125);
    if (place.address + count > 65_536) {
      throw new UsageError(
        `--address ${values.address} with --count ${count} reaches register ${place.address + count - 1}, past the last register 65535`,
        `use a --count of at most ${65_536 - place.address} at this address`,
      );
    }
    const unitId = integer(values["unit-id"], "--unit-id", 1, 0, 255);
    const timeout = Number(values.timeout ?? 2);
    const client = new ModbusClient({
      protocol: protocol as "tcp",
      host: values.host === undefined ? undefined : String(values.host),
      port:
        protocol === "rtu"
          ? String(values.port ?? "/dev/ttyUSB0")
          : integer(values.port, "--port", 502, 1, 65535),
      baudrate: integer(values.baudrate, "--baudrate", 9600, 50, 4_000_000),
      parity: String(values.parity ?? "none") as "none",
      stopbits: 1,
      bytesize: 8,
      timeoutMs: Math.round(timeout * 1000),
      retries: 0,
      retryDelayMs: 0,
      reconnectMaxDelayMs: 1000,
      maxConcurrent: 1,
      // The probe reads once and reports a failure itself; the client's
      // "retrying with backoff" warnings would only repeat it.
      logger: noopLogger,
    });
    try {
      await client.open();
      const functionCode = place.table === "input_register" ? 4 : 3;
      const words = await client.readRegisters(
        unitId,
        functionCode,
        place.address,
        count,
      );
      const rows = probeInterpretations(words, place.address);
      if (values.json) {
        for (const row of rows)
          context.stdout.write(`${JSON.stringify(row, exactBigInt)}\n`);
      } else {
        context.stdout.write(
          `${client.endpoint} unit ${unitId} FC${String(functionCode).padStart(2, "0")} ${place.table} ${place.address}..${place.address + count - 1}: ${words.map((w) => `0x${w.toString(16).padStart(4, "0")}`).join(" ")}\n\n`,
        );
        context.stdout.write(formatRows(rows));
      }
      return 0;
    } finally {
      await client.close();
    }
  },
};

function integer(
  value: unknown,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(
      `Invalid ${name} ${JSON.stringify(value)}`,
      `give a whole number from ${min} to ${max}`,
    );
  }
  return number;
}

function formatRows(rows: ProbeRow[]): string {
  const lines = [
    `  ${"address".padEnd(8)}${"type".padEnd(9)}${"order".padEnd(7)}value`,
  ];
  for (const row of rows) {
    const value =
      typeof row.value === "number"
        ? formatNumber(row.value, row.type)
        : typeof row.value === "bigint"
          ? row.value.toString()
          : JSON.stringify(row.value);
    lines.push(
      `${row.plausible ? "*" : " "} ${String(row.address).padEnd(8)}${row.type.padEnd(9)}${row.byteOrder.padEnd(7)}${value}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

// JSON.stringify throws on a bigint, and a JSON number that large would
// be rounded by most parsers, so its decimal digits go out as a string.
function exactBigInt(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

// A float32 carries about 7 significant digits; more would print noise.
function formatNumber(value: number, type: string): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const digits = type === "float32" ? 7 : 15;
  const size = Math.abs(value);
  if (size >= 1e-3 && size < 1e9)
    return String(Number(value.toPrecision(digits)));
  return value.toExponential(digits - 1);
}
