import { ModbusWriteError } from "./errors.js";
import { decodeRegisters, encodeRegisters } from "./map/codec.js";
import type { CompiledDevice } from "./map/compile.js";
import { type CompiledPoint, isNumericType } from "./map/point.js";
import type { ModbusClient } from "./transport/client.js";

/** A value to write: a number in the point's unit, a flag, or text. */
export type WriteValue = number | bigint | boolean | string;

/**
 * Writes a value to a writable point. A coil takes a boolean (function
 * 5). A holding register point takes its value in the point's unit: it
 * is turned back into the raw value (the inverse of scale, multiplier,
 * offset and scale factor), encoded in the point's type and byte order,
 * and written with function 6 (one register) or 16. A bool point on one
 * bit of a register is read, changed and written back.
 */
export async function writePoint(
  client: ModbusClient,
  device: CompiledDevice | undefined,
  deviceName: string,
  pointName: string,
  value: WriteValue,
): Promise<void> {
  if (!device)
    throw invalid(
      `device "${deviceName}" is not on this connection`,
      "use a device name from the config",
    );
  const point = device.points.find((candidate) => candidate.name === pointName);
  if (!point)
    throw invalid(
      `device "${deviceName}" has no point "${pointName}"`,
      "use a point name from the register map",
    );
  if (!point.writable) {
    throw invalid(
      `point "${pointName}" of "${deviceName}" is not writable`,
      "set writable: true on the point (coils and holding registers only)",
    );
  }
  const { unitId } = device;
  if (point.table === "coil") {
    if (typeof value !== "boolean")
      throw invalid(
        `coil "${pointName}" takes true or false, not ${JSON.stringify(String(value))}`,
        "pass a boolean",
      );
    await client.writeCoils(unitId, point.address, [value]);
    return;
  }
  if (point.type === "bool") {
    if (typeof value !== "boolean")
      throw invalid(
        `bit point "${pointName}" takes true or false`,
        "pass a boolean",
      );
    const [word] = await client.readRegisters(unitId, 3, point.address, 1);
    const mask = 1 << (point.bit ?? 0);
    const next = value ? word! | mask : word! & ~mask & 0xffff;
    await client.writeRegisters(unitId, point.address, [next]);
    return;
  }
  const raw = await rawValue(client, device, point, value);
  let words: number[];
  try {
    words = encodeRegisters(raw, point.type, point.byteOrder, point.length);
  } catch (error) {
    throw invalid(
      `value ${String(value)} cannot be written to "${pointName}": ${(error as Error).message}`,
      `give a value that fits ${point.type} after scaling`,
    );
  }
  await client.writeRegisters(unitId, point.address, words, words.length > 1);
}

async function rawValue(
  client: ModbusClient,
  device: CompiledDevice,
  point: CompiledPoint,
  value: WriteValue,
): Promise<number | bigint | string> {
  if (point.type === "string") return String(value);
  if (!isNumericType(point.type)) {
    if (typeof value !== "number" && typeof value !== "bigint") {
      throw invalid(`"${point.name}" takes a number`, "pass a number");
    }
    return value;
  }
  if (typeof value === "bigint") return value;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalid(
      `"${point.name}" takes a finite number, not ${JSON.stringify(value)}`,
      "pass a number in the point's unit",
    );
  }
  let raw = value - point.offset;
  if (point.scaleFactor !== undefined) {
    const factor = device.points.find((p) => p.name === point.scaleFactor)!;
    const words = await client.readRegisters(
      device.unitId,
      factor.table === "input_register" ? 4 : 3,
      factor.address,
      1,
    );
    const exponent = Number(
      decodeRegisters(words, 0, "int16", factor.byteOrder),
    );
    raw /= 10 ** exponent;
  }
  raw = (raw * point.scale) / point.multiplier;
  if (point.type === "float32" || point.type === "float64") return raw;
  return Math.round(raw);
}

function invalid(message: string, fix: string): ModbusWriteError {
  return new ModbusWriteError("QUBIT_MODBUS_WRITE_INVALID", message, { fix });
}
