import { RPCClient } from "ocpp-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCsms, type TestCsms, waitFor } from "./helpers/csms.js";

// Commands from the central system: remote operations, smart charging,
// firmware, the offline queue, one CALL in flight, and user hooks.

let server: TestCsms;

beforeAll(async () => {
  server = await startCsms({
    command_queue: { max_per_charge_point: 3, expiry_ms: 60_000 },
  });
});

afterAll(async () => {
  await server.stop();
});

type Rpc = InstanceType<typeof RPCClient>;
type Handler = (call: { method: string; params: unknown }) => unknown;

/** Registers a wildcard handler; ocpp-rpc's typings want a promise. */
function handleAll(client: Rpc, handler: Handler): void {
  (client.handle as unknown as (handler: Handler) => void)(handler);
}

async function charger(identity: string, protocol: string): Promise<Rpc> {
  const client = new RPCClient({
    endpoint: server.url,
    identity,
    protocols: [protocol],
    reconnect: false,
    strictMode: true,
  } as never);
  await client.connect();
  return client;
}

const profile = {
  id: 7,
  stackLevel: 1,
  purpose: "TxDefaultProfile" as const,
  kind: "Absolute" as const,
  schedule: {
    chargingRateUnit: "A" as const,
    periods: [{ startPeriod: 0, limit: 16 }],
  },
};

describe("remote operations and smart charging, 1.6", () => {
  it("sends typed commands and returns the answers", async () => {
    const cp = await charger("CMD-16", "ocpp1.6");
    const received: [string, unknown][] = [];
    handleAll(cp, ({ method, params }: { method: string; params: unknown }) => {
      received.push([method, params]);
      if (method === "GetCompositeSchedule") {
        return {
          status: "Accepted",
          connectorId: 1,
          chargingSchedule: {
            chargingRateUnit: "A",
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
          },
        };
      }
      if (method === "GetConfiguration")
        return {
          configurationKey: [
            { key: "HeartbeatInterval", readonly: false, value: "300" },
          ],
        };
      return { status: "Accepted" };
    });
    const ops = server.csms.operations;
    expect(
      await ops.remoteStart("CMD-16", { idTag: "TAG", connectorId: 1 }),
    ).toEqual({ status: "Accepted" });
    expect(await ops.setChargingProfile("CMD-16", 1, profile)).toEqual({
      status: "Accepted",
    });
    const schedule = await ops.getCompositeSchedule("CMD-16", 1, 3600);
    expect(schedule.status).toBe("Accepted");
    expect(await ops.clearChargingProfile("CMD-16", { id: 7 })).toEqual({
      status: "Accepted",
    });
    expect(await ops.reset("CMD-16", "Soft")).toEqual({ status: "Accepted" });
    expect(
      (await ops.getConfiguration("CMD-16", ["HeartbeatInterval"]))
        .configurationKey,
    ).toHaveLength(1);
    expect(received.map(([method]) => method)).toEqual([
      "RemoteStartTransaction",
      "SetChargingProfile",
      "GetCompositeSchedule",
      "ClearChargingProfile",
      "Reset",
      "GetConfiguration",
    ]);
    expect(received[1]?.[1]).toMatchObject({
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: 7,
        chargingProfilePurpose: "TxDefaultProfile",
      },
    });
    await cp.close();
  });

  it("refuses an invalid profile before sending it", async () => {
    const cp = await charger("CMD-16B", "ocpp1.6");
    let calls = 0;
    handleAll(cp, () => {
      calls += 1;
      return { status: "Accepted" };
    });
    const bad = {
      ...profile,
      schedule: {
        chargingRateUnit: "kW" as never,
        periods: [{ startPeriod: 0, limit: 16 }],
      },
    };
    await expect(
      server.csms.operations.setChargingProfile("CMD-16B", 1, bad),
    ).rejects.toMatchObject({ code: "QUBIT_OCPP_COMMAND_INVALID" });
    expect(calls).toBe(0);
    await cp.close();
  });

  it("keeps one CALL in flight per charge point", async () => {
    const cp = await charger("CMD-16C", "ocpp1.6");
    let inFlight = 0;
    let most = 0;
    handleAll(cp, async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 50));
      inFlight -= 1;
      return { status: "Accepted" };
    });
    await Promise.all(
      [1, 2, 3, 4].map((index) =>
        server.csms.operations.triggerMessage("CMD-16C", "Heartbeat", index),
      ),
    );
    expect(most).toBe(1);
    await cp.close();
  });
});

describe("firmware and smart charging, 2.0.1", () => {
  it("tracks the firmware state through status notifications", async () => {
    const cp = await charger("FW-201", "ocpp2.0.1");
    handleAll(cp, ({ method }: { method: string }) => {
      if (method === "GetCompositeSchedule") return { status: "Rejected" };
      if (method === "SetVariables") {
        return {
          setVariableResult: [
            {
              attributeStatus: "Accepted",
              component: { name: "OCPPCommCtrlr" },
              variable: { name: "HeartbeatInterval" },
            },
          ],
        };
      }
      return { status: "Accepted" };
    });
    expect(
      await server.csms.operations.setChargingProfile("FW-201", 1, profile),
    ).toEqual({ status: "Accepted" });
    expect(
      (await server.csms.operations.getCompositeSchedule("FW-201", 1, 60, "W"))
        .status,
    ).toBe("Rejected");
    await server.csms.operations.updateFirmware("FW-201", {
      location: "https://firmware.example/fw.bin",
      retrieveDate: "2025-01-01T00:00:00Z",
    });
    expect(server.csms.chargePoint("FW-201")?.firmware?.status).toBe(
      "Requested",
    );
    await cp.call("FirmwareStatusNotification", {
      status: "Downloading",
      requestId: 1,
    });
    await cp.call("FirmwareStatusNotification", {
      status: "Installed",
      requestId: 1,
    });
    expect(server.csms.chargePoint("FW-201")?.firmware?.status).toBe(
      "Installed",
    );
    await expect(
      server.csms.operations.changeConfiguration("FW-201", "X", "1"),
    ).rejects.toMatchObject({ code: "QUBIT_OCPP_COMMAND_INVALID" });
    const set = await server.csms.operations.setVariables("FW-201", [
      {
        component: "OCPPCommCtrlr",
        variable: "HeartbeatInterval",
        value: "60",
      },
    ]);
    expect(set.setVariableResult).toHaveLength(1);
    await cp.close();
  });
});

describe("commands for an offline charge point", () => {
  it("queues them and delivers them in order on reconnect", async () => {
    const first = await charger("OFF-CMD", "ocpp1.6");
    await first.close();
    await waitFor(
      () => !server.csms.connectedChargePoints().includes("OFF-CMD"),
      5_000,
      "disconnect",
    );
    const results = [
      server.csms.operations.reset("OFF-CMD", "Hard"),
      server.csms.operations.triggerMessage("OFF-CMD", "StatusNotification", 1),
      server.csms.operations.remoteStop("OFF-CMD", 5),
    ];
    await expect(
      server.csms.operations.reset("OFF-CMD", "Soft"),
    ).rejects.toMatchObject({ code: "QUBIT_OCPP_COMMAND_QUEUE_FULL" });
    const order: string[] = [];
    const again = new RPCClient({
      endpoint: server.url,
      identity: "OFF-CMD",
      protocols: ["ocpp1.6"],
      reconnect: false,
    } as never);
    handleAll(again, ({ method }: { method: string }) => {
      order.push(method);
      return { status: "Accepted" };
    });
    await again.connect();
    await expect(Promise.all(results)).resolves.toHaveLength(3);
    expect(order).toEqual(["Reset", "TriggerMessage", "RemoteStopTransaction"]);
    await again.close();
  });

  it("refuses commands for a charge point that never connected", async () => {
    await expect(
      server.csms.operations.reset("NEVER", "Soft"),
    ).rejects.toMatchObject({ code: "QUBIT_OCPP_CHARGE_POINT_OFFLINE" });
  });
});

describe("hooks", () => {
  it("runs before and after handlers, and survives a throwing one", async () => {
    const calls: string[] = [];
    server.csms.onMessage(
      "MeterValues",
      () => {
        calls.push("before");
        return undefined;
      },
      { phase: "before" },
    );
    server.csms.onMessage("MeterValues", (_message, result) => {
      calls.push(`after:${result?.readings.length}`);
      throw new Error("user bug");
    });
    const cp = await charger("HOOK-1", "ocpp1.6");
    const answer = await cp.call("MeterValues", {
      connectorId: 1,
      meterValue: [
        {
          timestamp: "2025-01-01T00:00:00Z",
          sampledValue: [
            { value: "1" },
            { value: "2", measurand: "Power.Active.Import", unit: "W" },
          ],
        },
      ],
    });
    expect(answer).toEqual({});
    expect(calls).toEqual(["before", "after:2"]);
    await cp.close();
  });
});
