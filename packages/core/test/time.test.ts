import { describe, expect, it } from "vitest";
import {
  compileFormat,
  createTimestampParser,
  TimeError,
} from "../src/index.js";

const iso = (ms: number) => new Date(ms).toISOString();

describe("createTimestampParser ISO 8601", () => {
  const parser = createTimestampParser();

  it.each([
    ["2025-01-15T10:00:00Z", "2025-01-15T10:00:00.000Z"],
    ["2025-01-15T10:00:00.123456Z", "2025-01-15T10:00:00.123Z"],
    ["2023-04-15T11:04:45.659+00:00", "2023-04-15T11:04:45.659Z"],
    ["2024-03-01T00:15:00+01:00", "2024-02-29T23:15:00.000Z"],
    ["2024-03-01T00:15:00-0500", "2024-03-01T05:15:00.000Z"],
    ["2024-03-01 00:15:00", "2024-03-01T00:15:00.000Z"],
    ["2024-03-01", "2024-03-01T00:00:00.000Z"],
  ])("parses %s", (input, expected) => {
    expect(iso(parser.parse(input))).toBe(expected);
  });

  it("reads epoch seconds and milliseconds by magnitude", () => {
    expect(iso(parser.parse(1733300000))).toBe("2024-12-04T08:13:20.000Z");
    expect(iso(parser.parse(1733300000123))).toBe("2024-12-04T08:13:20.123Z");
    expect(iso(parser.parse("1678699517.904"))).toBe(
      "2023-03-13T09:25:17.904Z",
    );
  });

  it("rejects text that is no timestamp, naming the value", () => {
    expect(() => parser.parse("yesterday")).toThrow(TimeError);
    expect(() => parser.parse("yesterday")).toThrow(/"yesterday"/);
  });

  it("rejects impossible dates", () => {
    expect(() => parser.parse("2023-02-29T00:00:00Z")).toThrow(
      /day 29 does not exist/,
    );
    expect(() => parser.parse("2023-13-01T00:00:00Z")).toThrow(/month 13/);
  });
});

describe("createTimestampParser formats", () => {
  it("parses strftime formats in a zone", () => {
    const parser = createTimestampParser({
      format: "%d.%m.%Y %H:%M",
      timezone: "Europe/Berlin",
    });
    expect(iso(parser.parse("15.01.2025 11:00"))).toBe(
      "2025-01-15T10:00:00.000Z",
    );
    expect(iso(parser.parse("15.07.2025 11:00"))).toBe(
      "2025-07-15T09:00:00.000Z",
    );
  });

  it("parses token formats", () => {
    const parser = createTimestampParser({
      format: "DD-MM-YYYY HH:mm",
      timezone: "Europe/Madrid",
    });
    expect(iso(parser.parse("01-03-2024 00:15"))).toBe(
      "2024-02-29T23:15:00.000Z",
    );
  });

  it("parses US dates with AM/PM", () => {
    const parser = createTimestampParser({
      format: "%m/%d/%Y %I:%M %p",
      timezone: "America/Los_Angeles",
    });
    expect(iso(parser.parse("01/15/2025 02:30 PM"))).toBe(
      "2025-01-15T22:30:00.000Z",
    );
    expect(iso(parser.parse("01/15/2025 12:05 AM"))).toBe(
      "2025-01-15T08:05:00.000Z",
    );
  });

  it("parses month names and fractions", () => {
    const parser = createTimestampParser({ format: "%d %b %Y %H:%M:%S.%f" });
    expect(iso(parser.parse("04 Dec 2024 08:13:20.5"))).toBe(
      "2024-12-04T08:13:20.500Z",
    );
  });

  it("takes an offset in the text over the zone", () => {
    const parser = createTimestampParser({
      format: "%Y-%m-%d %H:%M:%S%z",
      timezone: "America/Los_Angeles",
    });
    expect(iso(parser.parse("2024-05-01 00:00:00+02:00"))).toBe(
      "2024-04-30T22:00:00.000Z",
    );
  });

  it("reads 24:00 as the next midnight", () => {
    const parser = createTimestampParser({ format: "%d/%m/%Y %H:%M" });
    expect(iso(parser.parse("31/12/2024 24:00"))).toBe(
      "2025-01-01T00:00:00.000Z",
    );
  });

  it("rejects an unknown directive when compiled", () => {
    expect(() => compileFormat("%Q")).toThrow(/%Q/);
  });

  it("rejects an unknown time zone", () => {
    expect(() => createTimestampParser({ timezone: "Mars/Olympus" })).toThrow(
      /Mars\/Olympus/,
    );
  });
});

describe("daylight-saving policy", () => {
  const format = "%Y-%m-%d %H:%M";

  it("rejects the skipped hour by default", () => {
    const parser = createTimestampParser({
      format,
      timezone: "America/Los_Angeles",
    });
    expect(() => parser.parse("2024-03-10 02:30")).toThrow(
      /does not exist in America\/Los_Angeles/,
    );
  });

  it("shifts the skipped hour forward when asked", () => {
    const parser = createTimestampParser({
      format,
      timezone: "America/Los_Angeles",
      nonexistent: "shift_forward",
    });
    expect(iso(parser.parse("2024-03-10 02:30"))).toBe(
      "2024-03-10T10:30:00.000Z",
    );
    expect(iso(parser.parse("2024-03-10 03:30"))).toBe(
      "2024-03-10T10:30:00.000Z",
    );
  });

  it("takes the earlier instant of the repeated hour by default", () => {
    const parser = createTimestampParser({
      format,
      timezone: "America/Los_Angeles",
    });
    expect(iso(parser.parse("2024-11-03 01:30"))).toBe(
      "2024-11-03T08:30:00.000Z",
    );
  });

  it("takes the later instant when asked", () => {
    const parser = createTimestampParser({
      format,
      timezone: "America/Los_Angeles",
      ambiguous: "later",
    });
    expect(iso(parser.parse("2024-11-03 01:30"))).toBe(
      "2024-11-03T09:30:00.000Z",
    );
  });

  it("rejects the repeated hour when asked", () => {
    const parser = createTimestampParser({
      format,
      timezone: "Europe/Berlin",
      ambiguous: "reject",
    });
    expect(() => parser.parse("2024-10-27 02:30")).toThrow(/occurs twice/);
  });

  it("resolves the repeated hour by row order", () => {
    const parser = createTimestampParser({
      format,
      timezone: "Europe/Berlin",
      ambiguous: "sequence",
    });
    const rows = [
      "2024-10-27 01:45",
      "2024-10-27 02:00",
      "2024-10-27 02:15",
      "2024-10-27 02:30",
      "2024-10-27 02:45",
      "2024-10-27 02:00",
      "2024-10-27 02:15",
      "2024-10-27 02:30",
      "2024-10-27 02:45",
      "2024-10-27 03:00",
    ];
    const instants = rows.map((row) => iso(parser.parse(row, "meter-1")));
    expect(instants).toEqual([
      "2024-10-26T23:45:00.000Z",
      "2024-10-27T00:00:00.000Z",
      "2024-10-27T00:15:00.000Z",
      "2024-10-27T00:30:00.000Z",
      "2024-10-27T00:45:00.000Z",
      "2024-10-27T01:00:00.000Z",
      "2024-10-27T01:15:00.000Z",
      "2024-10-27T01:30:00.000Z",
      "2024-10-27T01:45:00.000Z",
      "2024-10-27T02:00:00.000Z",
    ]);
  });

  it("keeps series apart in sequence mode", () => {
    const parser = createTimestampParser({
      format,
      timezone: "America/Los_Angeles",
      ambiguous: "sequence",
    });
    const first = parser.parse("2024-11-03 01:00", "inv-1");
    const second = parser.parse("2024-11-03 01:00", "inv-2");
    expect(first).toBe(second);
    expect(iso(parser.parse("2024-11-03 01:00", "inv-1"))).toBe(
      "2024-11-03T09:00:00.000Z",
    );
  });

  it("converts a whole LA week around both changes consistently", () => {
    const parser = createTimestampParser({
      format,
      timezone: "America/Los_Angeles",
      ambiguous: "earlier",
      nonexistent: "shift_forward",
    });
    expect(iso(parser.parse("2024-03-09 12:00"))).toBe(
      "2024-03-09T20:00:00.000Z",
    );
    expect(iso(parser.parse("2024-03-11 12:00"))).toBe(
      "2024-03-11T19:00:00.000Z",
    );
    expect(iso(parser.parse("2024-11-02 12:00"))).toBe(
      "2024-11-02T19:00:00.000Z",
    );
    expect(iso(parser.parse("2024-11-04 12:00"))).toBe(
      "2024-11-04T20:00:00.000Z",
    );
  });
});
