import { describe, expect, it } from "vitest";
import { convertFrames } from "../src/convert.js";
import { clockProblem } from "../src/timestamps.js";
import { pick, runThroughPipeline } from "./helpers/pipeline.js";

// A charger whose clock was never set sends 1970 (or a far future) in its
// timestamps. Its readings get the receive time, are marked estimated
// with the reason, keep the charger's time in metadata, and one
// diagnostic names the charge point, the message id and the timestamp.

const RECEIVED = "2024-06-01T12:00:00.000Z";

async function convert(lines: string[], version: "1.6" | "2.0.1" = "1.6") {
  const messages = [
    ...convertFrames(lines.join("\n"), {
      version,
      identity: "CP-CLOCK",
      now: () => Date.parse(RECEIVED),
    }),
  ];
  return runThroughPipeline(messages);
}

function meterValues(id: string, times: string[]): string {
  return JSON.stringify([
    2,
    id,
    "MeterValues",
    {
      connectorId: 1,
      meterValue: times.map((timestamp, index) => ({
        timestamp,
        sampledValue: [{ value: String(100 + index) }],
      })),
    },
  ]);
}

describe("meter values from an unset clock", () => {
  for (const sent of ["1970-01-01T00:00:00Z", "2999-01-01T00:00:00Z"]) {
    it(`uses the receive time for ${sent.slice(0, 4)}`, async () => {
      const run = await convert([meterValues("m2", [sent])]);
      const register = pick(
        run.readings,
        "CP-CLOCK:1",
        "Energy.Active.Import.Register",
      );
      expect(register.timestamp).toBe(RECEIVED);
      expect(register.value).toBe(100);
      expect(register.quality).toBe("estimated");
      expect(register.metadata?.device_timestamp).toBe(sent);
      expect(String(register.metadata?.quality_reason)).toMatch(
        /clock not set/,
      );
      expect(run.deadLetters).toEqual([]);

      const diagnostic = run.diagnostics.find(
        (d) => d.code === "QUBIT_OCPP_TIMESTAMP_OUT_OF_RANGE",
      );
      expect(diagnostic?.location?.address).toBe("CP-CLOCK");
      expect(diagnostic?.location?.message_id).toBe("m2");
      expect(diagnostic?.message).toContain(sent);
      expect(diagnostic?.message).toContain("CP-CLOCK");
    });
  }

  it("keeps the spacing of several meter values", async () => {
    const run = await convert([
      meterValues("m3", ["1970-01-01T00:00:00Z", "1970-01-01T00:00:10Z"]),
    ]);
    const times = run.readings.map((reading) => reading.timestamp).sort();
    expect(times).toEqual(["2024-06-01T11:59:50.000Z", RECEIVED]);
    expect(
      run.diagnostics.filter(
        (d) => d.code === "QUBIT_OCPP_TIMESTAMP_OUT_OF_RANGE",
      ),
    ).toHaveLength(1);
  });

  it("leaves a set clock alone", async () => {
    const run = await convert([
      meterValues("m4", ["2024-06-01T11:00:00Z", "2024-06-02T11:00:00Z"]),
    ]);
    const times = run.readings.map((reading) => reading.timestamp).sort();
    expect(times).toEqual([
      "2024-06-01T11:00:00.000Z",
      "2024-06-02T11:00:00.000Z",
    ]);
    for (const reading of run.readings) {
      expect(reading.quality).toBe("measured");
    }
    expect(run.diagnostics).toEqual([]);
  });
});

describe("event timestamps from an unset clock", () => {
  it("uses the receive time for a 2.0.1 status and a 1.6 start", async () => {
    const status = await convert(
      [
        '[2,"s1","StatusNotification",{"timestamp":"1970-01-01T00:00:00Z","connectorStatus":"Available","evseId":1,"connectorId":1}]',
      ],
      "2.0.1",
    );
    const reading = pick(status.readings, "CP-CLOCK:1", "Connector.Status");
    expect(reading.timestamp).toBe(RECEIVED);
    expect(reading.quality).toBe("estimated");
    expect(
      status.diagnostics.find(
        (d) => d.code === "QUBIT_OCPP_TIMESTAMP_OUT_OF_RANGE",
      )?.location?.message_id,
    ).toBe("s1");

    const start = await convert([
      '[2,"t1","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":5000,"timestamp":"1970-01-01T00:00:00Z"}]',
    ]);
    const register = pick(
      start.readings,
      "CP-CLOCK:1",
      "Energy.Active.Import.Register",
    );
    expect(register.timestamp).toBe(RECEIVED);
    expect(register.quality).toBe("estimated");
  });
});

describe("clock check", () => {
  const received = Date.parse(RECEIVED);

  it("accepts 2000 up to a day after the receive time", () => {
    expect(clockProblem(Date.parse("2000-01-01T00:00:00Z"), received)).toBe(
      undefined,
    );
    expect(clockProblem(received + 86_400_000, received)).toBe(undefined);
  });

  it("names the problem outside that window", () => {
    expect(clockProblem(0, received)).toBe("before 2000-01-01");
    expect(clockProblem(-1, received)).toBe("before 2000-01-01");
    expect(clockProblem(received + 86_400_001, received)).toBe(
      "more than 24 hours after the receive time",
    );
  });
});
