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
  /**
   * Address notations of the keys: "modicon5" (40001), "modicon6"
   * (400001) and "table" (holding:0), so that messages name a missing
   * register the way the file does.
   */
  notations: Set<"modicon5" | "modicon6" | "table">;
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
  const image: RegisterImage = {
    words: new Map(),
    problems: [],
    notations: new Set(),
  };
  for (const [key, value] of Object.entries(input)) {
    const modicon = /^\d+$/.test(key.trim());
    const place = modicon
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
    if (!modicon) image.notations.add("table");
    else if (key.trim().length === 6) image.notations.add("modicon6");
    else image.notations.add("modicon5");
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
        if (!point.internal) {
          missing.push(missingWord(point, absent, image.notations, context));
        }
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
  notations: RegisterImage["notations"],
  context: Parameters<typeof pointSource>[1],
): Diagnostic {
  const wire = `${point.table} ${address}`;
  const modicon = modiconReference(
    point.table,
    address,
    notations.has("modicon6") ? 6 : 5,
  );
  const tableKey = `${point.table}:${address}`;
  const modiconOnly = !notations.has("table") && notations.size > 0;
  let needed: string;
  let key: string;
  if (modiconOnly) {
    needed = `register ${modicon} (${wire}, 0-based, on the wire)`;
    key = `"${modicon}"`;
  } else if (notations.has("table") && notations.size === 1) {
    needed = `"${tableKey}" (0-based, Modicon ${modicon})`;
    key = `"${tableKey}"`;
  } else {
    // An empty image or mixed keys give no clear notation: name both.
    needed = `${wire} (0-based, Modicon ${modicon})`;
    key = `"${modicon}" or "${tableKey}"`;
  }
  const span =
    point.count === 1
      ? ""
      : ` (the point spans ${point.count} registers from ${modiconOrWire(point, notations)})`;
  return {
    code: "QUBIT_MODBUS_WORDS_MISSING",
    message: `point ${point.name} of ${context.device.name} needs ${needed}, which the register image lacks${span}`,
    location: {
      ...pointSource(point, context),
      point: point.name,
      register: address,
    },
    fix: `add ${key} to the register image`,
  };
}

function modiconOrWire(
  point: CompiledPoint,
  notations: RegisterImage["notations"],
): string {
  if (notations.has("table") || notations.size === 0) {
    return `${point.table} ${point.address}`;
  }
  const digits = notations.has("modicon6") ? 6 : 5;
  return modiconReference(point.table, point.address, digits);
}

const MODICON_DIGIT: Readonly<Record<RegisterTable, number>> = {
  coil: 0,
  discrete_input: 1,
  input_register: 3,
  holding_register: 4,
};

/**
 * Formats a 0-based address as a Modicon reference: 40001 for holding
 * register 0, or the six-digit 400001 form when asked or when the
 * register number is above 9999.
 */
function modiconReference(
  table: RegisterTable,
  address: number,
  digits: 5 | 6,
): string {
  const number = address + 1;
  const width = digits === 6 || number > 9999 ? 5 : 4;
  return `${MODICON_DIGIT[table]}${String(number).padStart(width, "0")}`;
}
