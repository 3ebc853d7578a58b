import { describe, expect, it } from "vitest";
import { convertFrames } from "../src/convert.js";
import { pick, runThroughPipeline } from "./helpers/pipeline.js";

// The session energy is the stop register minus the start register. A
// stop register below the start register must never become a negative
// number, and a stop before the start is reported.

async function convert(lines: string[], version: "1.6" | "2.0.1" = "1.6") {
  const messages = [
    ...convertFrames(lines.join("\n"), {
      version,
      identity: "CP-S",
      now: () => Date.parse("2024-06-01T00:00:00Z"),
    }),
  ];
  return runThroughPipeline(messages);
}

const start = (meterStart: number, time: string) =>
  `[2,"a","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":${meterStart},"timestamp":"${time}"}]`;
const stop = (meterStop: number, time: string) =>
  `[2,"b","StopTransaction",{"transactionId":1,"meterStop":${meterStop},"timestamp":"${time}"}]`;

describe("stop register below start register", () => {
  it("stores an error reading and names both registers", async () => {
    const run = await convert([
      start(5000, "2024-05-01T10:00:00Z"),
      stop(1000, "2024-05-01T11:00:00Z"),
    ]);
    const session = pick(
      run.readings,
      "CP-S:1",
      "Session.Energy.Active.Import",
    );
    expect(session.value).toBeNull();
    expect(session.quality).toBe("error");
    expect(session.metadata?.meter_start_wh).toBe(5000);
    expect(session.metadata?.meter_stop_wh).toBe(1000);

    const diagnostic = run.diagnostics.find(
      (d) => d.code === "QUBIT_OCPP_SESSION_INVALID",
    );
    expect(diagnostic?.message).toMatch(/transaction 1 of charge point CP-S/);
    expect(diagnostic?.message).toMatch(
      /stop register 1000 Wh is below start register 5000 Wh/,
    );
    expect(diagnostic?.location?.transaction_id).toBe("1");
  });

  it("also reports a stop before the start", async () => {
    const run = await convert([
      start(5000, "2024-05-01T10:00:00Z"),
      stop(1000, "2024-05-01T09:00:00Z"),
    ]);
    const session = pick(
      run.readings,
      "CP-S:1",
      "Session.Energy.Active.Import",
    );
    expect(session.value).toBeNull();
    expect(session.metadata?.duration_s).toBeUndefined();
    const diagnostic = run.diagnostics.find(
      (d) => d.code === "QUBIT_OCPP_SESSION_INVALID",
    );
    expect(diagnostic?.message).toMatch(/stop time .* is before start time/);
  });

  it("does the same for a 2.0.1 transaction", async () => {
    const event = (type: string, seqNo: number, time: string, wh: number) =>
      JSON.stringify([
        2,
        `e${seqNo}`,
        "TransactionEvent",
        {
          eventType: type,
          timestamp: time,
          triggerReason: "Authorized",
          seqNo,
          transactionInfo: { transactionId: "tx-9" },
          evse: { id: 1, connectorId: 1 },
          meterValue: [
            {
              timestamp: time,
              sampledValue: [
                {
                  value: wh,
                  measurand: "Energy.Active.Import.Register",
                  unitOfMeasure: { unit: "Wh" },
                },
              ],
            },
          ],
        },
      ]);
    const run = await convert(
      [
        event("Started", 0, "2024-05-01T10:00:00Z", 9000),
        event("Ended", 1, "2024-05-01T11:00:00Z", 4000),
      ],
      "2.0.1",
    );
    const session = pick(
      run.readings,
      "CP-S:1",
      "Session.Energy.Active.Import",
    );
    expect(session.value).toBeNull();
    expect(session.quality).toBe("error");
  });
});

describe("stop time before start time", () => {
  it("keeps the energy, marks it estimated and leaves out the duration", async () => {
    const run = await convert([
      start(1000, "2024-05-01T10:00:00Z"),
      stop(3000, "2024-05-01T09:00:00Z"),
    ]);
    const session = pick(
      run.readings,
      "CP-S:1",
      "Session.Energy.Active.Import",
    );
    expect(session.value).toBe(2000);
    expect(session.quality).toBe("estimated");
    expect(session.metadata?.duration_s).toBeUndefined();
    expect(
      run.diagnostics.some((d) => d.code === "QUBIT_OCPP_SESSION_INVALID"),
    ).toBe(true);
  });

  it("leaves a normal session alone", async () => {
    const run = await convert([
      start(1000, "2024-05-01T10:00:00Z"),
      stop(3000, "2024-05-01T11:00:00Z"),
    ]);
    const session = pick(
      run.readings,
      "CP-S:1",
      "Session.Energy.Active.Import",
    );
    expect(session.value).toBe(2000);
    expect(session.quality).toBe("measured");
    expect(session.metadata?.duration_s).toBe(3600);
    expect(run.diagnostics).toEqual([]);
  });
});
