import { RPCClient } from "ocpp-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCsms, type TestCsms, waitFor } from "./helpers/csms.js";

// Full charging sessions over real WebSockets, driven by ocpp-rpc clients.

let server: TestCsms;

beforeAll(async () => {
  server = await startCsms();
});

afterAll(async () => {
  await server.stop();
});

function client(
  identity: string,
  protocol: string,
): InstanceType<typeof RPCClient> {
  return new RPCClient({
    endpoint: server.url,
    identity,
    protocols: [protocol],
    strictMode: true,
    reconnect: false,
  } as never);
}

describe("central system, OCPP 1.6 session", () => {
  it("runs boot, start, meter values and stop", async () => {
    const cp = client("CP-16-A", "ocpp1.6");
    await cp.connect();
    const boot = (await cp.call("BootNotification", {
      chargePointVendor: "Test",
      chargePointModel: "Unit",
    })) as Record<string, unknown>;
    expect(boot.status).toBe("Accepted");
    expect(boot.interval).toBe(300);
    await cp.call("StatusNotification", {
      connectorId: 1,
      errorCode: "NoError",
      status: "Preparing",
    });
    const start = (await cp.call("StartTransaction", {
      connectorId: 1,
      idTag: "TAG1",
      meterStart: 1000,
      timestamp: "2025-01-15T10:00:00Z",
    })) as { transactionId: number; idTagInfo: { status: string } };
    expect(start.idTagInfo.status).toBe("Accepted");
    expect(Number.isInteger(start.transactionId)).toBe(true);
    await cp.call("MeterValues", {
      connectorId: 1,
      transactionId: start.transactionId,
      meterValue: [
        {
          timestamp: "2025-01-15T10:10:00Z",
          sampledValue: [
            {
              value: "1.5",
              measurand: "Energy.Active.Import.Register",
              unit: "kWh",
            },
            { value: "7.2", measurand: "Power.Active.Import", unit: "kW" },
          ],
        },
      ],
    });
    const stop = await cp.call("StopTransaction", {
      transactionId: start.transactionId,
      meterStop: 3500,
      timestamp: "2025-01-15T10:20:00Z",
      reason: "EVDisconnected",
    });
    expect(stop).toEqual({});
    await cp.close();
    await waitFor(
      () =>
        server.output.readings.some(
          (r) => r.metric === "Session.Energy.Active.Import",
        ),
      10_000,
      "session reading",
    );
    const session = server.output.readings.find(
      (r) => r.metric === "Session.Energy.Active.Import",
    );
    expect(session?.value).toBe(2500);
    expect(session?.asset_id).toBe("CP-16-A:1");
    const register = server.output.readings.find(
      (r) =>
        r.asset_id === "CP-16-A:1" &&
        r.metric === "Energy.Active.Import.Register" &&
        r.timestamp === "2025-01-15T10:10:00.000Z",
    );
    expect(register?.value).toBe(1500);
    expect(register?.metadata?.transaction_id).toBe(
      String(start.transactionId),
    );
    const power = server.output.readings.find(
      (r) => r.metric === "Power.Active.Import",
    );
    expect(power?.value).toBe(7200);
  });
});

describe("central system, OCPP 2.0.1 session", () => {
  it("runs boot and a TransactionEvent sequence", async () => {
    const cp = client("CP-201-A", "ocpp2.0.1");
    await cp.connect();
    const boot = (await cp.call("BootNotification", {
      reason: "PowerUp",
      chargingStation: { model: "Unit", vendorName: "Test" },
    })) as Record<string, unknown>;
    expect(boot.status).toBe("Accepted");
    const base = {
      transactionInfo: { transactionId: "tx-1" },
      evse: { id: 1, connectorId: 1 },
    };
    await cp.call("TransactionEvent", {
      ...base,
      eventType: "Started",
      timestamp: "2025-01-15T10:00:00Z",
      triggerReason: "Authorized",
      seqNo: 0,
      idToken: { idToken: "TOKEN", type: "ISO14443" },
      meterValue: [
        {
          timestamp: "2025-01-15T10:00:00Z",
          sampledValue: [
            {
              value: 5000,
              measurand: "Energy.Active.Import.Register",
              context: "Transaction.Begin",
            },
          ],
        },
      ],
    });
    await cp.call("TransactionEvent", {
      ...base,
      eventType: "Updated",
      timestamp: "2025-01-15T10:05:00Z",
      triggerReason: "MeterValuePeriodic",
      seqNo: 1,
      meterValue: [
        {
          timestamp: "2025-01-15T10:05:00Z",
          sampledValue: [
            {
              value: 5.6,
              measurand: "Energy.Active.Import.Register",
              unitOfMeasure: { unit: "kWh" },
            },
            {
              value: 7,
              measurand: "Power.Active.Import",
              unitOfMeasure: { unit: "kW" },
            },
          ],
        },
      ],
    });
    await cp.call("TransactionEvent", {
      ...base,
      eventType: "Ended",
      timestamp: "2025-01-15T10:10:00Z",
      triggerReason: "EVDeparted",
      seqNo: 2,
      transactionInfo: {
        transactionId: "tx-1",
        stoppedReason: "EVDisconnected",
      },
      meterValue: [
        {
          timestamp: "2025-01-15T10:10:00Z",
          sampledValue: [
            {
              value: 6200,
              measurand: "Energy.Active.Import.Register",
              context: "Transaction.End",
            },
          ],
        },
      ],
    });
    await cp.close();
    await waitFor(
      () =>
        server.output.readings.some(
          (r) =>
            r.metric === "Session.Energy.Active.Import" &&
            r.asset_id === "CP-201-A:1",
        ),
      10_000,
      "2.0.1 session",
    );
    const session = server.output.readings.find(
      (r) =>
        r.metric === "Session.Energy.Active.Import" &&
        r.asset_id === "CP-201-A:1",
    );
    expect(session?.value).toBe(1200);
    expect(session?.metadata?.stop_reason).toBe("EVDisconnected");
    const mixed = server.output.readings.find(
      (r) =>
        r.asset_id === "CP-201-A:1" &&
        r.timestamp === "2025-01-15T10:05:00.000Z" &&
        r.metric === "Energy.Active.Import.Register",
    );
    expect(mixed?.value).toBe(5600);
  });
});
