import { createServer } from "node:net";
import { MemoryOutput, Pipeline } from "@qubit/core";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { type ProxyConfig, ProxyConfigSchema } from "../src/config.js";
import { ProxyConnector } from "../src/proxy/proxy-connector.js";
import { startCsms, waitFor } from "./helpers/csms.js";
import { RawClient } from "./helpers/raw-client.js";

// The proxy (tap) role: chargers connect to the proxy, which forwards
// every frame to an upstream CSMS (our central system stands in for the
// operator's) and reads what passes.

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

async function startProxy(upstreamPort: number) {
  const config = Value.Default(ProxyConfigSchema, {
    role: "proxy",
    host: "127.0.0.1",
    port: 0,
    upstream: {
      websocket_url: `ws://127.0.0.1:${upstreamPort}/ocpp`,
      reconnect_max_delay_ms: 200,
    },
  }) as ProxyConfig;
  const output = new MemoryOutput();
  const pipeline = new Pipeline({ outputs: [output], batchIntervalMs: 5 });
  await pipeline.open();
  const proxy = new ProxyConnector(config, {});
  proxy.attach(pipeline);
  await proxy.connect();
  return {
    proxy,
    output,
    url: `ws://127.0.0.1:${proxy.port}/ocpp`,
    async stop() {
      await proxy.disconnect();
      await pipeline.close();
    },
  };
}

describe("proxy with the upstream up", () => {
  it("forwards frames unchanged and reads them", async () => {
    const upstreamPort = await freePort();
    const upstream = await startCsms({
      port: upstreamPort,
      heartbeat_interval_s: 123,
    });
    const tap = await startProxy(upstreamPort);
    const charger = await RawClient.open(`${tap.url}/TAP-1`, ["ocpp1.6"]);
    expect(charger.socket.protocol).toBe("ocpp1.6");
    await waitFor(
      () => tap.proxy.health().details.upstream_connected === 1,
      5_000,
      "upstream",
    );
    const boot = await charger.request(
      '[2, "boot-1", "BootNotification", {"chargePointVendor":"V","chargePointModel":"M"}]',
      "boot-1",
    );
    expect(boot[0]).toBe(3);
    expect((boot[2] as { interval: number }).interval).toBe(123);
    const start = await charger.request(
      '[2,"st-1","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":100,"timestamp":"2025-07-01T10:00:00Z"}]',
      "st-1",
    );
    const transactionId = (start[2] as { transactionId: number }).transactionId;
    await charger.request(
      `[2,"mv-1","MeterValues",{"connectorId":1,"transactionId":${transactionId},"meterValue":[{"timestamp":"2025-07-01T10:05:00Z","sampledValue":[{"value":"400"}]}]}]`,
      "mv-1",
    );
    await charger.request(
      `[2,"sp-1","StopTransaction",{"transactionId":${transactionId},"meterStop":700,"timestamp":"2025-07-01T10:10:00Z"}]`,
      "sp-1",
    );
    await waitFor(
      () =>
        tap.output.readings.some(
          (r) => r.metric === "Session.Energy.Active.Import",
        ),
      5_000,
      "proxy session",
    );
    expect(
      tap.output.readings.find(
        (r) => r.metric === "Session.Energy.Active.Import",
      )?.value,
    ).toBe(600);
    await waitFor(
      () =>
        upstream.output.readings.some(
          (r) => r.metric === "Session.Energy.Active.Import",
        ),
      5_000,
      "upstream session",
    );
    const seenUpstream = upstream.output.readings.find(
      (r) => r.timestamp === "2025-07-01T10:05:00.000Z",
    );
    expect(
      (seenUpstream?.source as Record<string, unknown> | undefined)?.message_id,
    ).toBe("mv-1");
    await charger.close();
    await tap.stop();
    await upstream.stop();
  });
});

describe("proxy with the upstream down", () => {
  it("answers the charger and replays upstream in order when it returns", async () => {
    const upstreamPort = await freePort();
    const tap = await startProxy(upstreamPort);
    const charger = await RawClient.open(`${tap.url}/TAP-2`, ["ocpp1.6"]);
    const start = await charger.request(
      '[2,"o-1","StartTransaction",{"connectorId":2,"idTag":"T","meterStart":1000,"timestamp":"2025-07-02T10:00:00Z"}]',
      "o-1",
    );
    expect(start[0]).toBe(3);
    const localId = (start[2] as { transactionId: number }).transactionId;
    await charger.request(
      `[2,"o-2","MeterValues",{"connectorId":2,"transactionId":${localId},"meterValue":[{"timestamp":"2025-07-02T10:05:00Z","sampledValue":[{"value":"1500"}]}]}]`,
      "o-2",
    );
    await charger.request(
      `[2,"o-3","StopTransaction",{"transactionId":${localId},"meterStop":2000,"timestamp":"2025-07-02T10:10:00Z"}]`,
      "o-3",
    );
    await waitFor(
      () =>
        tap.output.readings.some(
          (r) => r.metric === "Session.Energy.Active.Import",
        ),
      5_000,
      "proxy session",
    );
    expect(
      tap.output.readings.find(
        (r) => r.metric === "Session.Energy.Active.Import",
      )?.value,
    ).toBe(1000);

    const upstream = await startCsms({ port: upstreamPort });
    await waitFor(
      () =>
        upstream.output.readings.some(
          (r) => r.metric === "Session.Energy.Active.Import",
        ),
      10_000,
      "replayed session",
    );
    const replayed = upstream.output.readings
      .filter((r) => r.metric === "Energy.Active.Import.Register")
      .map((r) => [r.timestamp, r.value]);
    expect(replayed).toEqual([
      ["2025-07-02T10:00:00.000Z", 1000],
      ["2025-07-02T10:05:00.000Z", 1500],
      ["2025-07-02T10:10:00.000Z", 2000],
    ]);
    expect(
      upstream.output.readings.find(
        (r) => r.metric === "Session.Energy.Active.Import",
      )?.value,
    ).toBe(1000);
    expect(
      charger.received.filter((text) => text.includes('"o-1"')),
    ).toHaveLength(1);
    await charger.close();
    await tap.stop();
    await upstream.stop();
  });
});
