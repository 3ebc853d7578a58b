import {
  BasicMessage,
  type ConversionResult,
  type Diagnostic,
  emptyResult,
} from "@qubit/core";
import { ModbusError } from "./errors.js";
import {
  isBitTable,
  parseModicon,
  READ_FUNCTION,
  type RegisterTable,
  resolveAddress,
} from "./map/address.js";
import type { CompiledDevice } from "./map/compile.js";
import type { CompiledPoint } from "./map/point.js";
import { CounterTracker } from "./poll/counters.js";
import { type BlockResult, decodePoll } from "./poll/decode.js";
import { modbusSource, pointSource } from "./poll/sources.js";

/** Register words (or bits) by table and 0-based address. */
export interface RegisterImage {
  words: Map<RegisterTable, Map<number, number>>;
  /** Entries that could not be read, with the reason. */
  problems: Diagnostic[];
}

/**
 * Parses a register image, a JSON object from address to value. An
 * address is a Modicon reference ("40001", "400001") or a table and
 * 0-based address ("holding:57600"). A value is a 16-bit word (0 to
 * 65535, or -32768 to -1 for a signed word), or true/false/0/1 for coils
 * and discrete inputs.
 */
export function parseRegisterImage(
  input: unknown,
  file = "registers",
): RegisterImage {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new ModbusError(
      "QUBIT_MODBUS_REGISTERS_FILE_INVALID",
      `${file} must hold a JSON object from register address to 16-bit word`,
      {
        fix: 'write for example {"40001": 17530, "40002": 0} or {"holding:57600": 10000}',
      },
    );
  }
  const image: RegisterImage = { words: new Map(), problems: [] };
  for (const [key, value] of Object.entries(input)) {
    const place = /^\d+$/.test(key.trim())
      ? parseModicon(key)
      : resolveAddress({ address: key });
    const location = { protocol: "modbus", address: file, register: key };
    if ("message" in place) {
      image.problems.push({
        code: "QUBIT_MODBUS_REGISTERS_FILE_INVALID",
        message: `register ${JSON.stringify(key)} in ${file}: ${place.message}`,
        location,
        value: key,
        fix: place.fix,
      });
      continue;
    }
    const word = wordOf(value, isBitTable(place.table));
    if (word === undefined) {
      image.problems.push({
        code: "QUBIT_MODBUS_REGISTERS_FILE_INVALID",
        message: `register ${JSON.stringify(key)} in ${file}: ${JSON.stringify(value)} is not a 16-bit word`,
        location,
        value,
        fix: isBitTable(place.table)
          ? "give true, false, 0 or 1 for a coil or discrete input"
          : "give a whole number from 0 to 65535 (or -32768 to -1)",
      });
      continue;
    }
    const table = image.words.get(place.table) ?? new Map<number, number>();
    table.set(place.address, word);
    image.words.set(place.table, table);
  }
  return image;
}

function wordOf(value: unknown, bit: boolean): number | undefined {
  if (bit && typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "number" || !Number.isInteger(value)) return undefined;
  if (bit) return value === 0 || value === 1 ? value : undefined;
  if (value < -32768 || value > 65535) return undefined;
  return value & 0xffff;
}

/**
 * Turns a register image into one `poll` message per device, as if each
 * device had been polled at `timestamp`: points whose registers are all in
 * the image become readings, the others become rejects naming the
 * missing register. Problems of the image itself go to the first message.
 */
export function convertRegisterImage(
  devices: readonly CompiledDevice[],
  image: RegisterImage,
  options: { connector: string; endpoint: string; timestamp: number },
): BasicMessage[] {
  const counters = new CounterTracker();
  return devices.map((device, index) => {
    const context = { device, ...options, counters };
    const results: BlockResult[] = [];
    const missing: Diagnostic[] = [];
    for (const point of device.points) {
      const words = image.words.get(point.table);
      const absent = firstAbsent(point, words);
      if (absent !== undefined) {
        if (!point.internal) missing.push(missingWord(point, absent, context));
        continue;
      }
      const block = {
        table: point.table,
        functionCode: READ_FUNCTION[point.table],
        start: point.address,
        quantity: point.count,
        points: [point],
      };
      const data = Array.from(
        { length: point.count },
        (_, i) => words!.get(point.address + i)!,
      );
      results.push(
        isBitTable(point.table)
          ? { block, bits: data.map((bit) => bit === 1) }
          : { block, registers: data },
      );
    }
    const decoded = decodePoll(results, context);
    const result: ConversionResult = emptyResult();
    result.readings.push(...decoded.readings);
    result.diagnostics.push(...decoded.diagnostics);
    result.rejects.push(...decoded.rejects, ...missing);
    if (index === 0) result.rejects.push(...image.problems);
    return new BasicMessage({
      protocol: "modbus",
      kind: "poll",
      source: modbusSource({
        address: `${options.endpoint}/${device.unitId}`,
        connector: options.connector,
        device: device.name,
        unit_id: device.unitId,
      }),
      receivedAt: options.timestamp,
      raw: {
        device: device.name,
        unit_id: device.unitId,
        image: "register image",
      },
      convert: () => result,
    });
  });
}

function firstAbsent(
  point: CompiledPoint,
  words: Map<number, number> | undefined,
): number | undefined {
  for (let index = 0; index < point.count; index += 1) {
    if (!words?.has(point.address + index)) return point.address + index;
  }
  return undefined;
}

function missingWord(
  point: CompiledPoint,
  address: number,
  context: Parameters<typeof pointSource>[1],
): Diagnostic {
  return {
    code: "QUBIT_MODBUS_WORDS_MISSING",
    message: `point ${point.name} of ${context.device.name} needs ${point.table} ${address}, which the register image lacks (the point spans ${point.count} from ${point.address})`,
    location: {
      ...pointSource(point, context),
      point: point.name,
      register: address,
    },
    fix: `add "${point.table}:${address}" (or its Modicon reference) to the register image`,
  };
}
