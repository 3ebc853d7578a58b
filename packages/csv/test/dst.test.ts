import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectUniqueIds, importFile, reading, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

/** Wall-clock time of an instant in a zone, as a logger writes it. */
function wallClock(instant: number, zone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => parts.find((part) => part.type === type)!.value;
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
}

/**
 * Writes a week of 15-minute rows for two meters in wall-clock time, the
 * way a data logger without UTC offsets does: the skipped hour has no
 * rows and the repeated hour appears twice. Each value is the row's
 * index, so the test can tell which instant a row came from.
 */
function writeWeek(
  name: string,
  zone: string,
  startUtc: string,
): { file: string; instants: number[] } {
  const start = Date.parse(startUtc);
  const lines = ["time,meter,energy_wh"];
  const instants: number[] = [];
  for (let step = 0; step < 7 * 96; step += 1) {
    const instant = start + step * 900_000;
    instants.push(instant);
    for (const meter of ["m1", "m2"])
      lines.push(`${wallClock(instant, zone)},${meter},${step}`);
  }
  const file = join(temp.dir, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return { file, instants };
}

const mapping = {
  timestamp: "time",
  asset_id: "meter",
  metric: { const: "energy" },
  value: "energy_wh",
  unit: "Wh",
};

const weeks = [
  {
    name: "Los Angeles spring",
    zone: "America/Los_Angeles",
    start: "2024-03-07T08:00:00Z",
  },
  {
    name: "Los Angeles fall",
    zone: "America/Los_Angeles",
    start: "2024-10-31T07:00:00Z",
  },
  {
    name: "Berlin spring",
    zone: "Europe/Berlin",
    start: "2024-03-28T23:00:00Z",
  },
  { name: "Berlin fall", zone: "Europe/Berlin", start: "2024-10-24T22:00:00Z" },
];

describe("daylight saving weeks", () => {
  for (const week of weeks) {
    it(`${week.name}: every row maps to its instant`, async () => {
      const { file, instants } = writeWeek(
        `${week.zone.replace("/", "-")}-${week.start}.csv`,
        week.zone,
        week.start,
      );
      const result = await importFile({
        file_path: file,
        timezone: week.zone,
        timestamp_format: "%Y-%m-%d %H:%M:%S",
        mapping,
      });
      expect(result.deadLetters).toHaveLength(0);
      expect(result.readings).toHaveLength(instants.length * 2);
      expectUniqueIds(result.readings);
      for (const item of result.readings) {
        expect(item.timestamp, `row value ${item.value}`).toBe(
          new Date(instants[item.value as number]!).toISOString(),
        );
      }
    });
  }

  it("rejects the repeated hour with policy reject", async () => {
    const { file } = writeWeek(
      "la-fall-reject.csv",
      "America/Los_Angeles",
      "2024-10-31T07:00:00Z",
    );
    const result = await importFile({
      file_path: file,
      timezone: "America/Los_Angeles",
      timestamp_format: "%Y-%m-%d %H:%M:%S",
      ambiguous_time: "reject",
      mapping,
    });

    // 01:00 to 01:45 twice, for two meters: 16 rows
    expect(result.deadLetters).toHaveLength(16);
    expect(
      result.deadLetters.every(
        (letter) => letter.code === "QUBIT_CSV_TIMESTAMP_AMBIGUOUS",
      ),
    ).toBe(true);
    expect(result.deadLetters[0]?.location.column).toBe("time");
  });

  it("resolves one repeated text per series", async () => {
    // m1 is in the second pass of 01:15 when m2 starts reporting, so the
    // same text gives each meter another instant.
    const file = join(temp.dir, "la-two-series.csv");
    writeFileSync(
      file,
      [
        "time,meter,energy_wh",
        "2024-11-03 01:30:00,m1,1",
        "2024-11-03 01:45:00,m1,2",
        "2024-11-03 01:15:00,m1,3",
        "2024-11-03 01:15:00,m2,4",
        "",
      ].join("\n"),
    );
    const result = await importFile({
      file_path: file,
      timezone: "America/Los_Angeles",
      timestamp_format: "%Y-%m-%d %H:%M:%S",
      mapping,
    });
    expect(
      result.readings.map((item) => [item.asset_id, item.timestamp]),
    ).toEqual([
      ["m1", "2024-11-03T08:30:00.000Z"],
      ["m1", "2024-11-03T08:45:00.000Z"],
      ["m1", "2024-11-03T09:15:00.000Z"],
      ["m2", "2024-11-03T08:15:00.000Z"],
    ]);
  });

  it("takes the earlier or later instant by policy", async () => {
    const file = join(temp.dir, "la-policy.csv");
    writeFileSync(file, "time,meter,energy_wh\n2024-11-03 01:30:00,m1,1\n");
    const earlier = await importFile({
      file_path: file,
      timezone: "America/Los_Angeles",
      ambiguous_time: "earlier",
      mapping,
    });
    expect(earlier.readings[0]?.timestamp).toBe("2024-11-03T08:30:00.000Z");
    const later = await importFile({
      file_path: file,
      timezone: "America/Los_Angeles",
      ambiguous_time: "later",
      mapping,
    });
    expect(later.readings[0]?.timestamp).toBe("2024-11-03T09:30:00.000Z");
  });

  it("rejects or shifts a time in the skipped hour", async () => {
    const file = join(temp.dir, "la-gap.csv");
    writeFileSync(
      file,
      "time,meter,energy_wh\n2024-03-10 01:45:00,m1,1\n2024-03-10 02:30:00,m1,2\n2024-03-10 03:15:00,m1,3\n",
    );
    const rejected = await importFile({
      file_path: file,
      timezone: "America/Los_Angeles",
      mapping,
    });
    expect(rejected.readings).toHaveLength(2);
    expect(rejected.deadLetters).toHaveLength(1);
    expect(rejected.deadLetters[0]?.code).toBe(
      "QUBIT_CSV_TIMESTAMP_NONEXISTENT",
    );
    expect(rejected.deadLetters[0]?.location.line).toBe(3);
    expect(rejected.deadLetters[0]?.reason).toContain("2024-03-10 02:30:00");
    const shifted = await importFile({
      file_path: file,
      timezone: "America/Los_Angeles",
      nonexistent_time: "shift_forward",
      mapping,
    });
    expect(shifted.deadLetters).toHaveLength(0);
    expect(
      reading(shifted.readings, "energy", "2024-03-10T10:30:00.000Z").value,
    ).toBe(2);
  });

  it("stamps end-labelled intervals with their start", async () => {
    const file = join(temp.dir, "berlin-end.csv");

    // 15-minute energy labelled by the end of the interval, across the
    // Berlin spring change: the interval 01:45-02:00 CET ends at 03:00
    // CEST on the wall clock.
    writeFileSync(
      file,
      "time,meter,energy_wh\n2024-03-31 03:00:00,m1,1\n2024-03-31 03:15:00,m1,2\n2024-03-31 00:15:00,m2,3\n",
    );
    const result = await importFile({
      file_path: file,
      timezone: "Europe/Berlin",
      timestamp_label: "end",
      interval: "15m",
      mapping,
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(
      reading(result.readings, "energy", "2024-03-31T00:45:00.000Z", "m1")
        .value,
    ).toBe(1);
    expect(
      reading(result.readings, "energy", "2024-03-31T01:00:00.000Z", "m1")
        .value,
    ).toBe(2);
    expect(
      reading(result.readings, "energy", "2024-03-30T23:00:00.000Z", "m2")
        .value,
    ).toBe(3);
  });

  it("parses ISO, epoch seconds and milliseconds", async () => {
    const file = join(temp.dir, "epoch.csv");
    writeFileSync(
      file,
      "time,meter,energy_wh\n2024-05-01T10:00:00+02:00,m1,1\n1714557600,m2,2\n1714557600000,m3,3\n",
    );
    const result = await importFile({ file_path: file, mapping });
    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings.map((item) => item.timestamp)).toEqual([
      "2024-05-01T08:00:00.000Z",
      "2024-05-01T10:00:00.000Z",
      "2024-05-01T10:00:00.000Z",
    ]);
  });
});
