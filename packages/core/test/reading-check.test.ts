import { TypeCompiler } from "@sinclair/typebox/compiler";
import { describe, expect, it } from "vitest";
import {
  checkReading,
  createReading,
  sharedSource,
  TimeSeriesSchema,
} from "../src/index.js";
import { matchesTimeSeries } from "../src/timeseries/matches.js";

// The pipeline checks readings with a hand-written form of the compiled
// TypeBox check. These tests feed both the same generated values, valid
// and broken in every field, and require the same verdict.
const compiled = TypeCompiler.Compile(TimeSeriesSchema);

/** A small deterministic generator, so that a failure can be replayed. */
function generator(seed: number) {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  return {
    next,
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)]!;
    },
    chance(probability: number): boolean {
      return next() < probability;
    },
  };
}

type Generator = ReturnType<typeof generator>;

const ODD_VALUES: unknown[] = [
  undefined,
  null,
  "",
  "x",
  0,
  -0,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  true,
  false,
  [],
  ["measured"],
  {},
  { a: 1 },
  new Date(0),
  new Uint8Array(2),
  10n,
  Symbol("odd"),
  () => undefined,
];

const TIMESTAMPS = [
  "2025-01-15T10:00:00.000Z",
  "0000-01-01T00:00:00.000Z",
  "9999-99-99T99:99:99.999Z",
  "2025-01-15T10:00:00Z",
  "2025-01-15T10:00:00.000+00:00",
  "2025-01-15 10:00:00.000Z",
  "2025-01-15T10:00:00.000z",
  "2025-01-15T10:00:00.000Z\n",
  " 2025-01-15T10:00:00.000Z",
  "２０２５-01-15T10:00:00.000Z",
  "2025-01-15T10:00:00.0000Z",
  "",
];

const FLAGS = [
  "communication_error",
  "out_of_range",
  "frozen_value",
  "billing",
  "estimated",
  "nonsense",
  "",
];

const QUALITIES = [
  "measured",
  "estimated",
  "error",
  "missing",
  "validated",
  "interpolated",
  "manual",
  "good",
  "Measured",
];

// Connectors share sources made by sharedSource among readings, and the
// check skips those, so half the sources here are made that way.
const SHARED_SOURCES: Record<string, unknown>[] = [
  sharedSource({ protocol: "mqtt", address: "a/b", connector: "c" }),
  sharedSource({
    protocol: "modbus",
    address: "h:502/1",
    connector: "m",
    register: 40,
  }),
];

function sourceFor(random: Generator): Record<string, unknown> {
  if (random.chance(0.5)) return random.pick(SHARED_SOURCES);
  return {
    ...random.pick([
      { protocol: "mqtt", address: "a/b" },
      { protocol: "modbus", address: "h:502/1", connector: "m", register: 40 },
      { protocol: "ocpp", address: "cp-1", message_id: "42" },
    ]),
  };
}

function validReading(random: Generator): Record<string, unknown> {
  const reading = createReading({
    asset_id: random.pick(["inv-1", "ast_7", "m"]),
    metric: random.pick(["power", "energy.total", "v"]),
    value: random.pick([12.5, 0, -3, true, "on", null]),
    unit: random.pick(["kW", "W", "", "V"]),
    timestamp: 1_736_935_200_000 + Math.floor(random.next() * 1e9),
    org_id: random.chance(0.5) ? "org_1" : undefined,
    site_id: random.chance(0.5) ? "sit_1" : undefined,
    device_id: random.chance(0.5) ? "dev_1" : undefined,
    quality: random.chance(0.7)
      ? random.pick(["measured", "error"])
      : undefined,
    flags: random.chance(0.3) ? ["communication_error"] : undefined,
    source: sourceFor(random) as never,
    metadata: random.chance(0.3) ? { retained: true } : undefined,
  });
  return reading as unknown as Record<string, unknown>;
}

const FIELDS = [
  "id",
  "asset_id",
  "metric",
  "value",
  "unit",
  "timestamp",
  "org_id",
  "site_id",
  "device_id",
  "quality",
  "flags",
  "source",
  "metadata",
];

/** Breaks one part of a valid reading in one of many ways. */
function mutate(reading: Record<string, unknown>, random: Generator): unknown {
  const field = random.pick(FIELDS);
  switch (Math.floor(random.next() * 12)) {
    case 0:
      reading[field] = random.pick(ODD_VALUES);
      return reading;
    case 1:
      delete reading[field];
      return reading;
    case 2:
      reading.timestamp = random.pick(TIMESTAMPS);
      return reading;
    case 3:
      reading.flags = [random.pick(FLAGS), random.pick(FLAGS)].slice(
        0,
        Math.floor(random.next() * 3),
      );
      return reading;
    case 4:
      reading.quality = random.pick(QUALITIES);
      return reading;
    case 5: {
      const source = { ...(reading.source as object) } as Record<
        string,
        unknown
      >;
      const key = random.pick(["protocol", "address", "connector", "line"]);
      source[key] = random.pick(ODD_VALUES);
      reading.source = source;
      return reading;
    }
    case 6:
      Object.defineProperty(reading, random.pick(["extra", "id"]), {
        value: "hidden",
        enumerable: false,
        writable: true,
        configurable: true,
      });
      return reading;
    case 7: {
      // Fields inherited from a prototype are read by both checks, but
      // only own keys count as extra keys.
      const proto = { [field]: random.pick(ODD_VALUES.concat(["inv-1"])) };
      const child = Object.create(proto) as Record<string, unknown>;
      for (const key of Object.keys(reading)) {
        if (key !== field) child[key] = reading[key];
      }
      return child;
    }
    case 8:
      reading[random.pick(["extra", "Id", "__proto__x", "0"])] = 1;
      return reading;
    case 9:
      return random.pick(ODD_VALUES.concat([[reading], "reading"]));
    case 10:
      reading.metadata = random.pick([
        { a: 1 },
        [],
        null,
        new Date(0),
        new Uint8Array(1),
        Object.create(null),
        "text",
      ]);
      return reading;
    default: {
      const source = { ...(reading.source as object) };
      Object.defineProperty(source, "hidden", {
        value: random.pick(ODD_VALUES),
        enumerable: false,
      });
      reading.source = source;
      return reading;
    }
  }
}

describe("matchesTimeSeries", () => {
  it("accepts valid readings", () => {
    const random = generator(11);
    for (let index = 0; index < 2_000; index += 1) {
      const reading = validReading(random);
      expect(compiled.Check(reading)).toBe(true);
      expect(matchesTimeSeries(reading)).toBe(true);
    }
  });

  it("matches compiled verdicts on broken readings", () => {
    const random = generator(29);
    let rejected = 0;
    for (let index = 0; index < 20_000; index += 1) {
      let value: unknown = validReading(random);
      const steps = 1 + Math.floor(random.next() * 3);
      for (let step = 0; step < steps; step += 1) {
        if (typeof value !== "object" || value === null) break;
        value = mutate(value as Record<string, unknown>, random);
      }
      const expected = compiled.Check(value);
      if (!expected) rejected += 1;
      if (matchesTimeSeries(value) !== expected) {
        throw new Error(
          `verdicts differ (compiled: ${expected}) at case ${index}: ${String(JSON.stringify(value))}`,
        );
      }
    }
    // Most cases must be invalid for the comparison to mean something.
    expect(rejected).toBeGreaterThan(10_000);
  });

  it("covers the schema's timestamp pattern", () => {
    for (const timestamp of TIMESTAMPS) {
      const reading = createReading({
        asset_id: "a",
        metric: "m",
        value: 1,
        timestamp: 0,
        source: { protocol: "mqtt", address: "t" },
      }) as unknown as Record<string, unknown>;
      reading.timestamp = timestamp;
      expect(matchesTimeSeries(reading)).toBe(compiled.Check(reading));
    }
  });
});

describe("sharedSource", () => {
  function readingWith(source: object): Record<string, unknown> {
    return createReading({
      asset_id: "a",
      metric: "m",
      value: 1,
      timestamp: 0,
      source: source as never,
    }) as unknown as Record<string, unknown>;
  }

  it("returns a frozen equal copy", () => {
    const fields = { protocol: "modbus", address: "h", connector: "c" };
    const source = sharedSource(fields);
    expect(source).not.toBe(fields);
    expect(Object.isFrozen(source)).toBe(true);
    expect(JSON.stringify(source)).toBe(JSON.stringify(fields));
    expect(Object.getOwnPropertyNames(source)).toEqual(Object.keys(fields));
    expect({ ...source }).toEqual(fields);
  });

  it("matches compiled verdicts on copies", () => {
    const random = generator(41);
    for (let index = 0; index < 5_000; index += 1) {
      const fields: Record<string, unknown> = {
        protocol: "mqtt",
        address: "t",
        connector: "c",
      };
      const key = random.pick(["protocol", "address", "connector", "line"]);
      if (random.chance(0.2)) delete fields[key];
      else if (random.chance(0.7)) fields[key] = random.pick(ODD_VALUES);
      const reading = readingWith(sharedSource(fields as never));
      expect(matchesTimeSeries(reading)).toBe(compiled.Check(reading));
    }
  });

  it("rechecks sources that may change", () => {
    // Not made by sharedSource, so judged again after a change.
    const open: Record<string, unknown> = {
      protocol: "mqtt",
      address: "t",
      connector: "c",
    };
    expect(matchesTimeSeries(readingWith(open))).toBe(true);
    open.extra = { nested: true };
    expect(matchesTimeSeries(readingWith(open))).toBe(false);

    // An object that inherits the mark is not the marked source.
    const child = Object.create(
      sharedSource({ protocol: "mqtt", address: "t", connector: "c" }),
    ) as Record<string, unknown>;
    child.extra = [];
    expect(compiled.Check(readingWith(child))).toBe(false);
    expect(matchesTimeSeries(readingWith(child))).toBe(false);

    // Without its own connector key, a connector from the prototype chain
    // could appear later, so the source is not marked.
    const withoutConnector = sharedSource({ protocol: "mqtt", address: "t" });
    expect(matchesTimeSeries(readingWith(withoutConnector))).toBe(true);
    (Object.prototype as Record<string, unknown>).connector = 5;
    try {
      expect(compiled.Check(readingWith(withoutConnector))).toBe(false);
      expect(matchesTimeSeries(readingWith(withoutConnector))).toBe(false);
    } finally {
      delete (Object.prototype as Record<string, unknown>).connector;
    }
  });
});

describe("checkReading", () => {
  it("still explains an invalid reading", () => {
    const reading = createReading({
      asset_id: "a",
      metric: "m",
      value: 1,
      timestamp: 0,
      source: { protocol: "mqtt", address: "t" },
    }) as unknown as Record<string, unknown>;
    reading.extra = 1;
    expect(checkReading(reading)).toMatch(/extra|additional|property/i);
  });
});
