// Writes the benchmark's CSV files: DateTime, InverterID and
// Generation_kWh columns, 29 inverters per 15-minute step in
// America/Los_Angeles wall-clock time from 2024-01-01. The data crosses
// the skipped hour (2024-03-10 02:xx) and the repeated hour
// (2024-11-03 01:xx) like a real year of exports.

import { once } from "node:events";
import { createWriteStream } from "node:fs";

const INVERTERS = 29;
const STEP_MS = 900_000;
const formatter = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/Los_Angeles",
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

function wallClock(instant) {
  const parts = formatter.formatToParts(new Date(instant));
  const get = (type) => parts.find((part) => part.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
}

/**
 * Writes rows until `rows` rows or `bytes` bytes are written; returns
 * the number of rows. The year repeats after its last step, so the 1 GB
 * file has duplicate readings, as a re-exported year would.
 */
export async function generate(
  path,
  { rows = Number.POSITIVE_INFINITY, bytes = Number.POSITIVE_INFINITY },
) {
  const stream = createWriteStream(path);
  const header = "DateTime,InverterID,Generation_kWh\n";
  stream.write(header);

  let written = header.length;
  let count = 0;
  let seed = 12345;
  const start = Date.UTC(2024, 0, 1, 8);
  const steps = 35_040;
  let chunk = "";

  for (let step = 0; count < rows && written < bytes; step += 1) {
    const time = wallClock(start + (step % steps) * STEP_MS);
    for (
      let inverter = 1;
      inverter <= INVERTERS && count < rows;
      inverter += 1
    ) {
      seed = (seed * 16807) % 2147483647;
      const line = `${time},INV-${String(inverter).padStart(3, "0")},${((seed % 10_000) / 1000).toFixed(3)}\n`;
      chunk += line;
      written += line.length;
      count += 1;
    }
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await once(stream, "drain");
      chunk = "";
    }
  }

  stream.end(chunk);
  await once(stream, "finish");
  return count;
}
