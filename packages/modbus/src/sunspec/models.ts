import type { RegisterType } from "../map/codec.js";
import type { CompiledPoint } from "../map/point.js";
import table from "./models.json" with { type: "json" };

/** One point of a model: name, SunSpec type, size, scale factor, units. */
type PointRow = [string, string, number, string | null, string | null];

/** A SunSpec model's points, as in `models.json`. */
export interface ModelDefinition {
  id: number;
  name: string;
  points: PointRow[];
  /** A group that repeats to the end of the model (MPPT modules). */
  repeat?: { name: string; points: PointRow[] };
}

const MODELS = table as unknown as Record<string, Omit<ModelDefinition, "id">>;

/** Returns the definition of a model id, or `undefined`. */
export function modelDefinition(id: number): ModelDefinition | undefined {
  const entry = MODELS[String(id)];
  return entry ? { id, ...entry } : undefined;
}

/** Ids of every model with a definition. */
export function knownModels(): number[] {
  return Object.keys(MODELS).map(Number);
}

// SunSpec types as register types, and the raw value that means "not
// implemented" (SunSpec information model specification, point types).
const TYPES: Readonly<
  Record<string, { type: RegisterType; missing?: number[]; counter?: boolean }>
> = {
  int16: { type: "int16", missing: [-32768] },
  uint16: { type: "uint16", missing: [65535] },
  count: { type: "uint16", missing: [0] },
  acc16: { type: "uint16", missing: [0], counter: true },
  enum16: { type: "uint16", missing: [65535] },
  bitfield16: { type: "uint16", missing: [65535] },
  int32: { type: "int32", missing: [-2147483648] },
  uint32: { type: "uint32", missing: [4294967295] },
  acc32: { type: "uint32", missing: [0], counter: true },
  enum32: { type: "uint32", missing: [4294967295] },
  bitfield32: { type: "uint32", missing: [4294967295] },
  acc64: { type: "uint64", missing: [0], counter: true },
  int64: { type: "int64" },
  uint64: { type: "uint64" },
  float32: { type: "float32" },
  float64: { type: "float64" },
  string: { type: "string" },
  sunssf: { type: "int16" },
};

const UNITS: Readonly<Record<string, string>> = {
  Pct: "percent",
  C: "celsius",
  WH: "Wh",
  VArh: "varh",
  Secs: "s",
};

/**
 * Builds the points of one model found at `address` (its ID register):
 * fixed points first, then the repeating group as many times as the
 * reported length allows. Names are `<model>.<point>`, or
 * `<model>.<group>.<n>.<point>` in a repeating group; scale factor points
 * are read but not emitted. ID, L and padding are skipped.
 */
export function modelPoints(
  definition: ModelDefinition,
  place: {
    prefix: string;
    address: number;
    length: number;
    intervalMs: number;
  },
): CompiledPoint[] {
  const points: CompiledPoint[] = [];
  const fixedSize = definition.points.reduce((sum, row) => sum + row[2], 0);
  const fixedNames = new Set(definition.points.map((row) => row[0]));
  let offset = 0;
  for (const row of definition.points) {
    addPoint(
      points,
      row,
      place,
      offset,
      place.prefix,
      (sf) => `${place.prefix}.${sf}`,
    );
    offset += row[2];
  }
  const repeat = definition.repeat;
  if (repeat) {
    const size = repeat.points.reduce((sum, row) => sum + row[2], 0);
    const available = place.length + 2 - fixedSize;
    const count = size > 0 ? Math.max(0, Math.floor(available / size)) : 0;
    const groupNames = new Set(repeat.points.map((row) => row[0]));
    for (let index = 0; index < count; index += 1) {
      const prefix = `${place.prefix}.${repeat.name}.${index + 1}`;
      for (const row of repeat.points) {
        addPoint(points, row, place, offset, prefix, (sf) =>
          groupNames.has(sf) || !fixedNames.has(sf)
            ? `${prefix}.${sf}`
            : `${place.prefix}.${sf}`,
        );
        offset += row[2];
      }
    }
  }
  return points;
}

function addPoint(
  points: CompiledPoint[],
  row: PointRow,
  place: { address: number; intervalMs: number },
  offset: number,
  prefix: string,
  scaleFactorName: (sf: string) => string,
): void {
  const [name, sunspecType, size, sf, units] = row;
  const mapped = TYPES[sunspecType];
  if (!mapped || name === "ID" || name === "L" || sunspecType === "pad") return;
  const point: CompiledPoint = {
    name: `${prefix}.${name}`,
    metric: `${prefix}.${name}`,
    table: "holding_register",
    address: place.address + offset,
    count: size,
    type: mapped.type,
    byteOrder: "ABCD",
    length: mapped.type === "string" ? size : 1,
    scale: 1,
    multiplier: 1,
    offset: 0,
    counter: mapped.counter === true,
    intervalMs: place.intervalMs,
    writable: false,
    path: `sunspec/${prefix}.${name}`,
  };
  if (sunspecType === "sunssf") point.internal = true;
  if (sf) point.scaleFactor = scaleFactorName(sf);
  if (units) point.unit = UNITS[units] ?? units;
  if (mapped.missing) point.notAvailable = new Set(mapped.missing);
  points.push(point);
}
