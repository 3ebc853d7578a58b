import {
  MemoryStateStore,
  MetricsRegistry,
  type Output,
  Pipeline,
  type TimeSeries,
} from "@qubit/core";
import { Value } from "@sinclair/typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CentralSystemConfig,
  CentralSystemConfigSchema,
} from "../src/config.js";
import { CentralSystemConnector } from "../src/csms/central-system.js";
import { waitFor } from "./helpers/csms.js";
import { RawClient } from "./helpers/raw-client.js";

// How the central system responds to CALLs itself, without ocpp-rpc's
// CALL handling: the response waits for the write, a message id is
// handled once at a time, and every CALL is counted.

/**
 * An output whose writes wait until the test releases them: a stand-in
 * for a slow database, which no real peer in this test can provide.
 */
class GatedOutput implements Output {
  readonly name = "gated";
  readonly written: TimeSeries[] = [];
  waiting = 0;
  private opening: (() => void) | undefined;
  private gate: Promise<void> = Promise.resolve();

  close(): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  /** Makes the next writes wait until {@link release} is called. */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.opening = resolve;
    });
  }

  /** Lets the waiting and the next writes through. */
  release(): void {
    this.opening?.();
    this.opening = undefined;
    this.gate = Promise.resolve();
  }

  async write(readings: readonly TimeSeries[]): Promise<void> {
    this.waiting += 1;
    await this.gate;
    this.waiting -= 1;
    this.written.push(...readings);
  }
}

const registry = new MetricsRegistry();
const output = new GatedOutput();
let pipeline: Pipeline;
let csms: CentralSystemConnector;
let url: string;

beforeAll(async () => {
  const config = Value.Default(CentralSystemConfigSchema, {
    role: "central_system",
    host: "127.0.0.1",
    port: 0,
    versions: ["1.6"],
  }) as CentralSystemConfig;
  // No de-duplication by reading id, so that only the central system's
  // own duplicate check keeps a resent CALL from being counted twice.
  pipeline = new Pipeline({
    outputs: [output],
    batchIntervalMs: 5,
    dedupWindow: 0,
  });
  csms = new CentralSystemConnector(config, {
    state: new MemoryStateStore(),
    registry,
  });
  csms.attach(pipeline);
  await csms.connect();
  url = `ws://127.0.0.1:${csms.port}/ocpp`;
});

afterAll(async () => {
  output.release();
  await csms.disconnect();
  await pipeline.close();
});

const meterValues = (id: string, value: string) =>
  `[2,"${id}","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2025-01-15T10:00:00Z","sampledValue":[{"value":"${value}","measurand":"Power.Active.Import","unit":"W"}]}]}]`;

/** Returns the received frames that respond to a message id, in order. */
function responsesTo(client: RawClient, id: string): unknown[][] {
  return client.received
    .map((text) => JSON.parse(text) as unknown[])
    .filter((frame) => frame[1] === id);
}

describe("central system responses", () => {
  it("responds after the readings are written", async () => {
    const client = await RawClient.open(`${url}/ANSWER-1`, ["ocpp1.6"]);
    output.hold();
    client.socket.send(meterValues("w1", "10"));
    await waitFor(() => output.waiting > 0, 5_000, "the held write");
    expect(responsesTo(client, "w1")).toEqual([]);
    output.release();
    await waitFor(
      () => responsesTo(client, "w1").length > 0,
      5_000,
      "the response",
    );
    expect(responsesTo(client, "w1")).toEqual([[3, "w1", {}]]);
    expect(output.written.some((r) => r.asset_id === "ANSWER-1:1")).toBe(true);
    await client.close();
  });

  it("rejects a message id in progress", async () => {
    const client = await RawClient.open(`${url}/ANSWER-2`, ["ocpp1.6"]);
    output.hold();
    client.socket.send(meterValues("d1", "20"));
    await waitFor(() => output.waiting > 0, 5_000, "the held write");
    client.socket.send(meterValues("d1", "20"));
    await waitFor(
      () => responsesTo(client, "d1").length > 0,
      5_000,
      "the CALLERROR",
    );
    const [refusal] = responsesTo(client, "d1");
    expect(refusal?.[0]).toBe(4);
    expect(refusal?.[2]).toBe("RpcFrameworkError");
    expect(registry.toPrometheus()).toMatch(
      /qubit_ocpp_call_errors_total\{[^}]*code="RpcFrameworkError"[^}]*\} 1/,
    );
    output.release();
    await waitFor(
      () => responsesTo(client, "d1").length > 1,
      5_000,
      "the CALLRESULT",
    );
    expect(responsesTo(client, "d1")[1]).toEqual([3, "d1", {}]);
    await client.close();
  });

  it("repeats a response after a reconnect", async () => {
    const first = await RawClient.open(`${url}/ANSWER-3`, ["ocpp1.6"]);
    expect(await first.request(meterValues("r1", "30"), "r1")).toEqual([
      3,
      "r1",
      {},
    ]);
    await first.close();
    const second = await RawClient.open(`${url}/ANSWER-3`, ["ocpp1.6"]);
    expect(await second.request(meterValues("r1", "30"), "r1")).toEqual([
      3,
      "r1",
      {},
    ]);
    await second.close();
    const readings = output.written.filter((r) => r.asset_id === "ANSWER-3:1");
    expect(readings).toHaveLength(1);
  });
});

describe("counters of the central system", () => {
  it("counts CALLs, duplicates, deviations and connections", async () => {
    const client = await RawClient.open(`${url}/COUNT-1`, ["ocpp1.6"]);
    await client.request(meterValues("c1", "40"), "c1");
    await client.request(meterValues("c1", "40"), "c1");
    const status = await client.request(
      '[2,"c2","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]',
      "c2",
    );
    expect(status[0]).toBe(3);
    await client.close();
    await expect(
      RawClient.open(`${url}/COUNT-2`, ["ocpp2.0.1"]),
    ).rejects.toMatchObject({ status: 400 });

    const text = registry.toPrometheus();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1]);
    expect(
      value(/qubit_ocpp_calls_total\{[^}]*action="MeterValues"[^}]*\} (\d+)/),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(
        /qubit_ocpp_calls_total\{[^}]*action="StatusNotification"[^}]*\} (\d+)/,
      ),
    ).toBe(1);
    expect(
      value(/qubit_ocpp_duplicate_calls_total\{[^}]*\} (\d+)/),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(
        /qubit_ocpp_schema_deviations_total\{[^}]*action="StatusNotification"[^}]*\} (\d+)/,
      ),
    ).toBe(1);
    expect(
      value(/qubit_ocpp_connections_total\{[^}]*\} (\d+)/),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(
        /qubit_ocpp_connections_refused_total\{[^}]*reason="subprotocol"[^}]*\} (\d+)/,
      ),
    ).toBe(1);
  });
});
