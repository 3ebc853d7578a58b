import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DemoPart } from "../types.js";

const INVERTERS = ["INV-001", "INV-002", "INV-003"];
const PEAK_KWH = [4.8, 5.1, 3.9];
const DAYS = 3;

/** Formats a UTC instant as wall-clock time in Los Angeles. */
function laLocal(instant: number): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "America/Los_Angeles",
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) =>
    parts.find((part) => part.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
}

/**
 * Writes an hourly generation export like a monitoring portal's, with
 * the columns DateTime, InverterID and Generation_kWh. It covers three
 * inverters over the last three days in America/Los_Angeles wall-clock
 * time, with a solar curve and some cloud. One row's value is "ERR", as a
 * portal writes a failed reading, so the demo shows a dead letter.
 */
export function writeDemoCsv(path: string, now = Date.now()): number {
  const end = Math.floor(now / 3_600_000) * 3_600_000;
  const start = end - DAYS * 24 * 3_600_000;
  const lines = ["DateTime,InverterID,Generation_kWh"];
  let seed = 7;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  for (let instant = start; instant < end; instant += 3_600_000) {
    const local = laLocal(instant);
    const hour = Number(local.slice(11, 13));
    INVERTERS.forEach((inverter, index) => {
      const sun = Math.max(0, Math.sin(((hour - 6) / 13) * Math.PI));
      const cloud = 0.75 + random() * 0.25;
      const value = (PEAK_KWH[index]! * sun * cloud).toFixed(3);
      lines.push(`${local},${inverter},${value}`);
    });
  }
  const bad = lines.length - 30;
  lines[bad] = lines[bad]!.replace(/,[^,]*$/, ",ERR");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return lines.length - 1;
}

/** The CSV part of `qubit demo`: a portal export and the config that imports it. */
export const csvDemo: DemoPart = {
  async start({ dir }) {
    const file = join(dir, "historical_generation.csv");
    const rows = writeDemoCsv(file);
    return {
      description: `${file}: ${rows} hourly rows of 3 inverters in America/Los_Angeles time, one bad value`,
      config: {
        name: "csv",
        file_path: file,
        mapping: {
          timestamp: "DateTime",
          asset_id: "InverterID",
          value: "Generation_kWh",
          unit: "kWh",
        },
        timestamp_format: "%Y-%m-%d %H:%M:%S",
        timezone: "America/Los_Angeles",
      },
      stop: async () => undefined,
    };
  },
};
