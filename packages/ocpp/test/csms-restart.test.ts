import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStateStore } from "@qubit/core";
import { RPCClient } from "ocpp-rpc";
import { afterAll, describe, expect, it } from "vitest";
import { startCsms, waitFor } from "./helpers/csms.js";

// A restart of our process in the middle of a session: the transaction
// lives in the state store, and the session completes correctly after.

const dir = mkdtempSync(join(tmpdir(), "qubit-ocpp-restart-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function session(version: "1.6" | "2.0.1") {
  const path = join(dir, `state-${version}.ndjson`);
  const protocol = version === "1.6" ? "ocpp1.6" : "ocpp2.0.1";
  const identity = `RESTART-${version}`;

  const first = await startCsms({}, { state: new FileStateStore(path) });
  const before = new RPCClient({
    endpoint: first.url,
    identity,
    protocols: [protocol],
    reconnect: false,
  } as never);
  await before.connect();
  let transactionId: number | string;
  if (version === "1.6") {
    const answer = (await before.call("StartTransaction", {
      connectorId: 2,
      idTag: "TAG",
      meterStart: 10_000,
      timestamp: "2025-03-01T08:00:00Z",
    })) as { transactionId: number };
    transactionId = answer.transactionId;
  } else {
    transactionId = "restart-tx";
    await before.call("TransactionEvent", {
      eventType: "Started",
      timestamp: "2025-03-01T08:00:00Z",
      triggerReason: "Authorized",
      seqNo: 0,
      transactionInfo: { transactionId },
      evse: { id: 2, connectorId: 1 },
      meterValue: [
        {
          timestamp: "2025-03-01T08:00:00Z",
          sampledValue: [{ value: 10_000 }],
        },
      ],
    });
  }
  await before.close({ force: true });
  await first.stop();

  const second = await startCsms({}, { state: new FileStateStore(path) });
  const after = new RPCClient({
    endpoint: second.url,
    identity,
    protocols: [protocol],
    reconnect: false,
  } as never);
  await after.connect();
  if (version === "1.6") {
    await after.call("MeterValues", {
      connectorId: 2,
      meterValue: [
        {
          timestamp: "2025-03-01T08:30:00Z",
          sampledValue: [{ value: "12.5", unit: "kWh" }],
        },
      ],
    });
    await after.call("StopTransaction", {
      transactionId,
      meterStop: 14_000,
      timestamp: "2025-03-01T09:00:00Z",
    });
    const next = (await after.call("StartTransaction", {
      connectorId: 1,
      idTag: "TAG",
      meterStart: 0,
      timestamp: "2025-03-01T10:00:00Z",
    })) as { transactionId: number };
    expect(next.transactionId).toBeGreaterThan(transactionId as number);
  } else {
    await after.call("TransactionEvent", {
      eventType: "Ended",
      timestamp: "2025-03-01T09:00:00Z",
      triggerReason: "EVDeparted",
      seqNo: 1,
      transactionInfo: { transactionId, stoppedReason: "Local" },
      meterValue: [
        {
          timestamp: "2025-03-01T09:00:00Z",
          sampledValue: [{ value: 14, unitOfMeasure: { unit: "kWh" } }],
        },
      ],
    });
  }
  await after.close();
  await waitFor(
    () =>
      second.output.readings.some(
        (r) => r.metric === "Session.Energy.Active.Import",
      ),
    5_000,
    "session",
  );
  const sessionReading = second.output.readings.find(
    (r) => r.metric === "Session.Energy.Active.Import",
  );
  await second.stop();
  return { sessionReading, transactionId };
}

describe("restart in the middle of a session", () => {
  it("completes a 1.6 session after the restart", async () => {
    const { sessionReading, transactionId } = await session("1.6");
    expect(sessionReading?.value).toBe(4000);
    expect(sessionReading?.asset_id).toBe("RESTART-1.6:2");
    expect(sessionReading?.metadata?.transaction_id).toBe(
      String(transactionId),
    );
    expect(sessionReading?.metadata?.started_at).toBe(
      "2025-03-01T08:00:00.000Z",
    );
  });

  it("completes a 2.0.1 session after the restart", async () => {
    const { sessionReading } = await session("2.0.1");
    expect(sessionReading?.value).toBe(4000);
    expect(sessionReading?.asset_id).toBe("RESTART-2.0.1:2");
  });
});
