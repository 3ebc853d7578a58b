import { CsvError } from "../errors.js";

/** One interval reading of a Green Button (NAESB ESPI) document. */
export interface GreenButtonReading {
  /** Interval start, epoch seconds. */
  start: number;
  /** Interval length, seconds. */
  duration: number;
  /** Value scaled by its power-of-ten multiplier, in `unit`. */
  value: number;
  unit: string;
  /** Position of the usage point in the feed, from its link, such as `0`. */
  usage_point: string;
  /** The ReadingType's title, such as `Energy (KWH)`. */
  reading_type: string;
  /** Id of the MeterReading in its usage point, such as `01`. */
  meter_reading: string;
  /** ESPI flow direction: 1 delivered, 4 net, 19 received. */
  flow_direction: number;
  /** Metric name from unit and flow, such as `energy_delivered`. */
  metric: string;
}

const FLOW: Record<string, string> = {
  "1": "delivered",
  "4": "net",
  "19": "received",
};

const QUANTITY: Record<string, string> = {
  W: "power",
  Wh: "energy",
  var: "reactive_power",
  varh: "reactive_energy",
  VA: "apparent_power",
  VAh: "apparent_energy",
  V: "voltage",
  A: "current",
  Hz: "frequency",
  celsius: "temperature",
};

// ESPI unit of measure codes (UnitSymbolKind) the product maps.
const UOM: Record<string, string> = {
  "38": "W",
  "72": "Wh",
  "63": "var",
  "73": "varh",
  "61": "VA",
  "71": "VAh",
  "29": "V",
  "5": "A",
  "33": "Hz",
  "23": "celsius",
};

const tag = (xml: string, name: string): string | undefined => {
  const match = new RegExp(
    `<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`,
  ).exec(xml);
  return match?.[1]?.trim();
};

const blocks = (xml: string, name: string): string[] =>
  [
    ...xml.matchAll(
      new RegExp(
        `<(?:\\w+:)?${name}\\b[^>]*>([\\s\\S]*?)</(?:\\w+:)?${name}>`,
        "g",
      ),
    ),
  ].map((match) => match[1]!);

/**
 * Reads the interval readings of a Green Button download (an Atom feed of
 * NAESB ESPI entries). Each IntervalBlock belongs to the MeterReading its
 * `up` link names. The unit (`uom`) and the power-of-ten multiplier come
 * from the ReadingType linked from that MeterReading. Values are
 * `value * 10^powerOfTenMultiplier` in that unit.
 */
export function parseGreenButton(
  xml: string,
  path: string,
): GreenButtonReading[] {
  if (!/<feed\b|<entry\b|IntervalBlock/.test(xml)) {
    throw new CsvError(
      "QUBIT_CSV_XML_INVALID",
      `${path} is not a Green Button (ESPI Atom) document`,
      {
        location: { address: path },
        fix: "set format to csv or json, or give a Green Button XML download",
      },
    );
  }
  const entries = blocks(xml, "entry").map((entry) => ({
    self: /<link[^>]*rel="self"[^>]*href="([^"]+)"/.exec(entry)?.[1] ?? "",
    up: /<link[^>]*rel="up"[^>]*href="([^"]+)"/.exec(entry)?.[1] ?? "",
    related: [
      ...entry.matchAll(/<link[^>]*rel="related"[^>]*href="([^"]+)"/g),
    ].map((match) => match[1]!),
    title: tag(entry, "title") ?? "",
    body: entry,
  }));
  const readingTypes = new Map<
    string,
    { unit: string; multiplier: number; title: string; flow: number }
  >();
  for (const entry of entries) {
    const body = blocks(entry.body, "ReadingType")[0];
    if (body === undefined) continue;
    const uom = tag(body, "uom") ?? "72";
    readingTypes.set(entry.self, {
      unit: UOM[uom] ?? `uom ${uom}`,
      multiplier: Number(tag(body, "powerOfTenMultiplier") ?? 0),
      title: entry.title,
      flow: Number(tag(body, "flowDirection") ?? 1),
    });
  }
  const meterReadings = new Map<string, string>();
  for (const entry of entries) {
    if (!/\/MeterReading\/[^/]+$/.test(entry.self)) continue;
    const type = entry.related.find((link) => link.includes("/ReadingType/"));
    if (type) meterReadings.set(entry.self, type);
  }
  const readings: GreenButtonReading[] = [];
  for (const entry of entries) {
    const intervalBlocks = blocks(entry.body, "IntervalBlock");
    if (intervalBlocks.length === 0) continue;
    const meterReading = entry.up.replace(/\/IntervalBlock$/, "");
    const typeLink =
      meterReadings.get(meterReading) ??
      entry.related.find((link) => link.includes("/ReadingType/"));
    const type = (typeLink ? readingTypes.get(typeLink) : undefined) ??
      [...readingTypes.values()][0] ?? {
        unit: "Wh",
        multiplier: 0,
        title: "",
        flow: 1,
      };
    const usagePoint = /\/UsagePoint\/([^/]+)/.exec(entry.self)?.[1] ?? "";
    const meterId = /\/MeterReading\/([^/]+)/.exec(entry.self)?.[1] ?? "";
    const metric = `${QUANTITY[type.unit] ?? "value"}_${FLOW[String(type.flow)] ?? `flow_${type.flow}`}`;
    for (const block of intervalBlocks) {
      for (const reading of blocks(block, "IntervalReading")) {
        const period = blocks(reading, "timePeriod")[0] ?? "";
        const raw = Number(tag(reading, "value"));
        // NOTE: NISC SmartHub downloads add a powerOfTenMultiplier of 3 to
        // each IntervalReading, an element the ESPI schema does not define
        // there. Their values match the same utility's CSV only without it,
        // so the ReadingType's multiplier alone applies.
        const multiplier = type.multiplier;
        readings.push({
          start: Number(tag(period, "start")),
          duration: Number(tag(period, "duration")),
          value: Number((raw * 10 ** multiplier).toPrecision(15)),
          unit: type.unit,
          usage_point: usagePoint,
          reading_type: type.title,
          meter_reading: meterId,
          flow_direction: type.flow,
          metric,
        });
      }
    }
  }
  return readings;
}
