import { ModbusError, ModbusExceptionError } from "../errors.js";
import type { CompiledDevice } from "../map/compile.js";
import type { ModbusClient } from "../transport/client.js";
import { modelDefinition, modelPoints } from "./models.js";

/** 0-based holding registers where a SunSpec map may start, in search order. */
export const SUNSPEC_BASES = [40000, 50000, 0] as const;

// "SunS" as two big-endian registers.
const MARKER = [0x5375, 0x6e53] as const;
// A model id of 0xFFFF ends the chain.
const END_OF_CHAIN = 0xffff;
const MAX_MODELS = 64;

/** One model found in a device's chain. */
export interface FoundModel {
  id: number;
  name: string;
  /** 0-based holding register of the model's ID point. */
  address: number;
  /** Registers after the ID and L points, as the device reports. */
  length: number;
}

/** A model in the chain that is not read. */
export interface SkippedModel {
  id: number;
  /** 0-based holding register of the model's ID point. */
  address: number;
  /** Registers after the ID and L points, as the device reports. */
  length: number;
  /** False when there is no definition for the model. */
  known: boolean;
  reason: string;
}

/** Result of SunSpec discovery on a device. */
export interface SunSpecDiscovery {
  base: number;
  models: FoundModel[];
  /** Models that were in the chain but are not read, and why. */
  skipped: SkippedModel[];
  points: CompiledDevice["points"];
}

/**
 * Finds the "SunS" marker at the configured base, or at 40000, 50000 and
 * 0 in turn. Then walks the chain of model id and length pairs to the end
 * marker and builds points for every model with a known definition, with
 * scale factors applied as 10^sf. A device that does not respond makes
 * discovery throw, while exception 02 at a base means "not here".
 */
export async function discoverSunSpec(
  client: ModbusClient,
  device: CompiledDevice,
): Promise<SunSpecDiscovery> {
  const settings = device.sunspec ?? {};
  const bases =
    settings.baseAddress === undefined ? SUNSPEC_BASES : [settings.baseAddress];
  let base: number | undefined;
  for (const candidate of bases) {
    const words = await readOrUndefined(client, device.unitId, candidate, 2);
    if (words && words[0] === MARKER[0] && words[1] === MARKER[1]) {
      base = candidate;
      break;
    }
  }
  if (base === undefined) {
    throw new ModbusError(
      "QUBIT_MODBUS_SUNSPEC_NOT_FOUND",
      `no SunSpec marker "SunS" on ${device.name} (unit ${device.unitId}) at holding register ${bases.join(", ")}`,
      {
        location: { device: device.name, unit_id: device.unitId },
        fix: "check that the device speaks SunSpec, or set sunspec.base_address",
      },
    );
  }

  const discovery: SunSpecDiscovery = {
    base,
    models: [],
    skipped: [],
    points: [],
  };
  const names = new Map<string, number>();
  let address = base + 2;
  for (let index = 0; index < MAX_MODELS; index += 1) {
    const header = await readOrUndefined(client, device.unitId, address, 2);
    if (!header || header[0] === END_OF_CHAIN) break;
    const [id, length] = header as [number, number];
    const definition = modelDefinition(id);
    const wanted = !settings.models || settings.models.includes(id);
    if (!definition) {
      discovery.skipped.push({
        id,
        address,
        length,
        known: false,
        reason: "no definition for this model",
      });
    } else if (!wanted) {
      discovery.skipped.push({
        id,
        address,
        length,
        known: true,
        reason: "not in sunspec.models",
      });
    } else {
      const seen = (names.get(definition.name) ?? 0) + 1;
      names.set(definition.name, seen);
      const name = seen === 1 ? definition.name : `${definition.name}_${seen}`;
      discovery.models.push({ id, name, address, length });
      discovery.points.push(
        ...modelPoints(definition, {
          prefix: name,
          address,
          length,
          intervalMs: device.intervalMs,
        }),
      );
    }
    address += 2 + length;
  }
  return discovery;
}

async function readOrUndefined(
  client: ModbusClient,
  unitId: number,
  start: number,
  quantity: number,
): Promise<number[] | undefined> {
  try {
    return await client.readRegisters(unitId, 3, start, quantity);
  } catch (error) {
    if (error instanceof ModbusExceptionError) return undefined;
    throw error;
  }
}
