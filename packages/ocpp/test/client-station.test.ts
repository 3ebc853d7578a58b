import { MemoryOutput, Pipeline } from "@qubit/core";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import type { ChargePointConnector } from "../src/client/charge-point-connector.js";
import { type ClientConfig, ClientConfigSchema } from "../src/config.js";
import { ocppPlugin } from "../src/plugin.js";
import type { OcppVersion } from "../src/versions.js";
import { startCsms, type TestCsms, waitFor } from "./helpers/csms.js";

// The charge point client role on its own (no simulation, no library
// calls) against our central system: BootNotification, StatusNotification
// per connector and Heartbeats at the interval the CSMS gives.

interface Received {
  action: string;
  payload: Record<string, unknown>;
  at: number;
}

function record(server: TestCsms): Received[] {
  const received: Received[] = [];
  server.csms.onMessage("*", (message) => {
    received.push({
      action: message.kind,
      payload: message.payload as Record<string, unknown>,
      at: Date.now(),
    });
    return undefined;
  });
  return received;
}

async function startClient(
  server: TestCsms,
  version: OcppVersion,
  identity: string,
): Promise<{
  connector: ChargePointConnector;
  output: MemoryOutput;
  pipeline: Pipeline;
}> {
  const config = Value.Default(ClientConfigSchema, {
    version,
    websocket_url: server.url,
    charge_point_id: identity,
    connectors: 2,
  }) as ClientConfig;
  const connector = ocppPlugin.create(config, {}) as ChargePointConnector;
  const output = new MemoryOutput();
  const pipeline = new Pipeline({ outputs: [output], batchIntervalMs: 5 });
  await pipeline.open();
  connector.attach(pipeline);
  await connector.connect();
  return { connector, output, pipeline };
}

function actions(received: Received[], action: string): Received[] {
  return received.filter((entry) => entry.action === action);
}

describe("charge point client station messages", () => {
  for (const version of ["1.6", "2.0.1"] as const) {
    it(`boots and sends heartbeats in ${version}`, async () => {
      const server = await startCsms({ heartbeat_interval_s: 1 });
      const received = record(server);
      const identity = `CP-STATION-${version === "1.6" ? "16" : "201"}`;
      const { connector, output, pipeline } = await startClient(
        server,
        version,
        identity,
      );
      await waitFor(
        () => actions(received, "Heartbeat").length >= 2,
        6_000,
        "two heartbeats",
      );
      const boots = actions(received, "BootNotification");
      expect(boots).toHaveLength(1);
      expect(received[0]?.action).toBe("BootNotification");
      const statuses = actions(received, "StatusNotification");
      const connectorKey = version === "1.6" ? "connectorId" : "evseId";
      expect(statuses.map((entry) => entry.payload[connectorKey])).toEqual([
        1, 2,
      ]);
      const heartbeats = actions(received, "Heartbeat");
      const gap = (heartbeats[1]?.at ?? 0) - (heartbeats[0]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(900);
      expect(gap).toBeLessThan(2_000);
      await waitFor(
        () => output.readings.length >= 2,
        2_000,
        "Connector.Status readings",
      );
      const stored = output.readings
        .filter((reading) => reading.metric === "Connector.Status")
        .map((reading) => `${reading.asset_id}=${String(reading.value)}`);
      expect(stored.sort()).toEqual([
        `${identity}:1=Available`,
        `${identity}:2=Available`,
      ]);
      await connector.disconnect();
      await pipeline.close();
      await server.stop();
    }, 15_000);
  }

  it("retries a pending boot and waits to send status", async () => {
    const server = await startCsms({
      heartbeat_interval_s: 1,
      unknown_charge_points: "pending",
    });
    const received = record(server);
    const { connector, pipeline } = await startClient(
      server,
      "1.6",
      "CP-STATION-PENDING",
    );
    await waitFor(
      () => actions(received, "BootNotification").length >= 2,
      5_000,
      "a second BootNotification",
    );
    expect(actions(received, "StatusNotification")).toHaveLength(0);
    expect(actions(received, "Heartbeat")).toHaveLength(0);
    await connector.disconnect();
    await pipeline.close();
    await server.stop();
  }, 10_000);
});
