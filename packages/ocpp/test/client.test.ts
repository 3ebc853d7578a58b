import { createServer } from "node:net";
import { MemoryOutput, MemoryStateStore, Pipeline } from "@qubit/core";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { ChargePointClient } from "../src/client/charge-point-client.js";
import { ChargePointConnector } from "../src/client/charge-point-connector.js";
import { type ClientConfig, ClientConfigSchema } from "../src/config.js";
import { startCsms, waitFor } from "./helpers/csms.js";

// The charge point client: reconnect with backoff, offline queue replayed
// in order with the original timestamps, and the seed's config.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" && address ? address.port : 0),
      );
    });
  });
}

describe("charge point client offline", () => {
  it("replays a 1.6 session made offline, in order, with its timestamps", async () => {
    const port = await freePort();
    const client = new ChargePointClient({
      version: "1.6",
      url: `ws://127.0.0.1:${port}/ocpp`,
      identity: "OFFLINE-16",
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 200,
    });
    client.start();
    const ref = client.newTransactionRef();
    const answers = [
      client.call(
        "StartTransaction",
        {
          connectorId: 1,
          idTag: "T",
          meterStart: 100,
          timestamp: "2025-06-01T10:00:00Z",
        },
        { defineRef: ref },
      ),
      client.call(
        "MeterValues",
        {
          connectorId: 1,
          meterValue: [
            {
              timestamp: "2025-06-01T10:05:00Z",
              sampledValue: [{ value: "600" }],
            },
          ],
        },
        { transactionRef: ref },
      ),
      client.call(
        "StopTransaction",
        { meterStop: 900, timestamp: "2025-06-01T10:10:00Z" },
        { transactionRef: ref },
      ),
    ];
    await expect(client.call("Heartbeat", {})).rejects.toMatchObject({
      code: "QUBIT_OCPP_CHARGE_POINT_OFFLINE",
    });
    expect(client.queued).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const server = await startCsms({ port });
    const [start] = await Promise.all(answers);
    expect(start).toHaveProperty("transactionId");
    await waitFor(
      () =>
        server.output.readings.some(
          (r) => r.metric === "Session.Energy.Active.Import",
        ),
      10_000,
      "session",
    );
    const register = server.output.readings
      .filter((r) => r.metric === "Energy.Active.Import.Register")
      .map((r) => [r.timestamp, r.value]);
    expect(register).toEqual([
      ["2025-06-01T10:00:00.000Z", 100],
      ["2025-06-01T10:05:00.000Z", 600],
      ["2025-06-01T10:10:00.000Z", 900],
    ]);
    const session = server.output.readings.find(
      (r) => r.metric === "Session.Energy.Active.Import",
    );
    expect(session?.value).toBe(800);
    await client.close();
    await server.stop();
  });

  it("marks 2.0.1 events made offline and keeps them across a client restart", async () => {
    const port = await freePort();
    const state = new MemoryStateStore();
    const options = {
      version: "2.0.1" as const,
      url: `ws://127.0.0.1:${port}/ocpp`,
      identity: "OFFLINE-201",
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 200,
      state,
    };
    const first = new ChargePointClient(options);
    first.start();
    const event = (
      seqNo: number,
      eventType: string,
      time: string,
      wh: number,
    ) => ({
      eventType,
      timestamp: time,
      triggerReason: "MeterValuePeriodic",
      seqNo,
      transactionInfo: { transactionId: "off-1" },
      evse: { id: 1 },
      meterValue: [{ timestamp: time, sampledValue: [{ value: wh }] }],
    });
    void first
      .call(
        "TransactionEvent",
        event(0, "Started", "2025-06-01T10:00:00Z", 1000),
      )
      .catch(() => undefined);
    void first
      .call("TransactionEvent", event(1, "Ended", "2025-06-01T10:30:00Z", 4000))
      .catch(() => undefined);
    await first.close();

    const server = await startCsms({ port });
    const second = new ChargePointClient(options);
    second.start();
    await waitFor(
      () =>
        server.output.readings.some(
          (r) => r.metric === "Session.Energy.Active.Import",
        ),
      10_000,
      "session",
    );
    const readings = server.output.readings.filter(
      (r) => r.metric === "Energy.Active.Import.Register",
    );
    expect(readings.map((r) => r.timestamp)).toEqual([
      "2025-06-01T10:00:00.000Z",
      "2025-06-01T10:30:00.000Z",
    ]);
    expect(readings[0]?.metadata?.offline).toBe(true);
    expect(
      server.output.readings.find(
        (r) => r.metric === "Session.Energy.Active.Import",
      )?.value,
    ).toBe(3000);
    await second.close();
    await server.stop();
  });

  it("reconnects after the CSMS restarts", async () => {
    const port = await freePort();
    let server = await startCsms({ port });
    const client = new ChargePointClient({
      version: "1.6",
      url: `ws://127.0.0.1:${port}/ocpp`,
      identity: "RECONNECT-1",
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 200,
    });
    let connects = 0;
    client.on("connected", () => {
      connects += 1;
    });
    client.start();
    await client.whenConnected();
    await server.stop();
    await waitFor(() => !client.isConnected, 5_000, "disconnect");
    server = await startCsms({ port });
    await waitFor(() => connects === 2, 10_000, "second connect");
    expect(await client.call("Heartbeat", {})).toHaveProperty("currentTime");
    await client.close();
    await server.stop();
  });
});

describe("seed client config", () => {
  it("connects with basic auth and reads what it sends", async () => {
    const server = await startCsms({
      security_profile: 1,
      charge_points: { CP_001: { password: "secure_password" } },
    });
    const config = Value.Default(ClientConfigSchema, {
      version: "2.0.1",
      websocket_url: server.url,
      charge_point_id: "CP_001",
      auth: { basic_auth: { username: "CP_001", password: "secure_password" } },
    }) as ClientConfig;
    const connector = new ChargePointConnector(config, {});
    const output = new MemoryOutput();
    const pipeline = new Pipeline({ outputs: [output], batchIntervalMs: 5 });
    await pipeline.open();
    connector.attach(pipeline);
    const seen: string[] = [];
    connector.onMessage("MeterValues", (message) => {
      seen.push(message.kind);
      return undefined;
    });
    await connector.connect();
    await connector.client.whenConnected();
    await connector.client.call("MeterValues", {
      evseId: 1,
      meterValue: [
        {
          timestamp: "2025-06-01T10:00:00Z",
          sampledValue: [
            {
              value: 7.4,
              measurand: "Power.Active.Import",
              unitOfMeasure: { unit: "kW" },
            },
          ],
        },
      ],
    });
    const power = () =>
      output.readings.find(
        (reading) => reading.metric === "Power.Active.Import",
      );
    await waitFor(() => power() !== undefined, 5_000, "client reading");
    expect(power()?.value).toBe(7400);
    expect(power()?.asset_id).toBe("CP_001:1");
    expect(seen).toEqual(["MeterValues"]);
    await connector.disconnect();
    await pipeline.close();
    await server.stop();
  });

  it("is refused with a wrong password", async () => {
    const server = await startCsms({
      security_profile: 1,
      charge_points: { CP_002: { password: "right" } },
    });
    const client = new ChargePointClient({
      version: "1.6",
      url: server.url,
      identity: "CP_002",
      basicAuth: { username: "CP_002", password: "wrong" },
      reconnectInitialDelayMs: 50,
    });
    client.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.isConnected).toBe(false);
    await client.close();
    await server.stop();
  });
});
