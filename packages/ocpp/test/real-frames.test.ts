import { readFileSync } from "node:fs";
import { RPCClient } from "ocpp-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFrame } from "../src/processor/frames.js";
import { startCsms, type TestCsms, waitFor } from "./helpers/csms.js";
import { RawClient } from "./helpers/raw-client.js";

// Every charge-point-to-CSMS frame of the real-world capture, sent through
// a real ocpp-rpc client and through a raw ws client with the exact text.

interface Record {
  source: string;
  cs_id: string;
  dir: string;
  raw: string;
}

const records = readFileSync(
  new URL("./fixtures/ocpp16-real-charger-frames.jsonl", import.meta.url),
  "utf8",
)
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Record);

const calls = records.filter(
  (record) =>
    record.dir.startsWith("cp->csms") && record.raw.trim().startsWith("[2"),
);
const payloadOnly = records.filter(
  (record) =>
    record.dir.startsWith("cp->csms") && record.raw.trim().startsWith("{"),
);

let server: TestCsms;

beforeAll(async () => {
  server = await startCsms({ versions: ["1.6"] });
});

afterAll(async () => {
  await server.stop();
});

describe("real 1.6 frames through ocpp-rpc", () => {
  it("gets a CALLRESULT for every CALL", async () => {
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const record of calls) {
      const frame = parseFrame(record.raw);
      if (!frame.ok || frame.type !== 2)
        throw new Error(`fixture is not a CALL: ${record.raw}`);
      const client = new RPCClient({
        endpoint: server.url,
        identity: `RPC-${record.cs_id}`,
        protocols: ["ocpp1.6"],
        reconnect: false,
      } as never);
      await client.connect();
      await expect(
        client.call(frame.action, frame.payload),
        record.source,
      ).resolves.toBeTypeOf("object");
      await client.close();
    }
  });

  it("turns the payload-only record into readings as MeterValues", async () => {
    const record = payloadOnly[0] as Record;
    const client = new RPCClient({
      endpoint: server.url,
      identity: "RPC-PAYLOAD",
      protocols: ["ocpp1.6"],
      reconnect: false,
    } as never);
    await client.connect();
    await client.call("MeterValues", JSON.parse(record.raw));
    await client.close();
    await waitFor(
      () => server.output.readings.some((r) => r.asset_id === "RPC-PAYLOAD:1"),
      5_000,
      "readings",
    );
    const current = server.output.readings.find(
      (r) => r.asset_id === "RPC-PAYLOAD:1" && r.metric === "Current.Import",
    );
    expect(current?.value).toBe(124);
    const register = server.output.readings.filter(
      (r) =>
        r.asset_id === "RPC-PAYLOAD:1" &&
        r.metric === "Energy.Active.Import.Register",
    );
    // The register is listed as 0 and 1244 Wh: the highest is kept,
    // because a register only rises, and the 0 stays in metadata.
    expect(register).toHaveLength(1);
    expect(register[0]?.value).toBe(1244);
    expect(register[0]?.quality).toBe("estimated");
    expect(register[0]?.metadata?.conflicting_values).toEqual([
      { value: 0, unit: "Wh", sampled_value: 0 },
    ]);
  });
});

describe("real 1.6 frames through a raw ws client", () => {
  it("answers the exact text with the same message id", async () => {
    for (const record of calls) {
      const frame = parseFrame(record.raw);
      if (!frame.ok) throw new Error("fixture not parseable");
      const peer = await RawClient.open(`${server.url}/${record.cs_id}`, [
        "ocpp1.6",
      ]);
      const answer = await peer.request(record.raw, frame.messageId);
      expect(answer[0], `${record.source}: ${JSON.stringify(answer)}`).toBe(3);
      await peer.close();
    }
  });

  it("gives the right values", async () => {
    await waitFor(
      () =>
        server.output.readings.some(
          (r) => r.asset_id === "CS-PLACEHOLDER-17:1",
        ),
      5_000,
      "readings",
    );
    const find = (asset: string, metric: string) =>
      server.output.readings.find(
        (r) => r.asset_id === asset && r.metric === metric,
      );
    expect(
      find("CS-PLACEHOLDER-04:1", "Energy.Active.Import.Register")?.value,
    ).toBe(10798);
    expect(find("CS-PLACEHOLDER-04:1", "Voltage.L1")?.value).toBe(245.8);
    expect(find("CS-PLACEHOLDER-08:1", "Current.Import.L1")?.value).toBe(0);
    expect(find("CS-PLACEHOLDER-08:1", "Voltage.L1-N")?.value).toBe(233);
    expect(
      find("CS-PLACEHOLDER-17:1", "Energy.Active.Import.Register")?.value,
    ).toBe(746575.4);
    expect(find("CS-PLACEHOLDER-17:1", "Voltage.L3-N")?.value).toBe(234);
    const faulted = find("CS-PLACEHOLDER-16:0", "Connector.Status");
    expect(faulted?.value).toBe("Faulted");
    expect(faulted?.timestamp).toBe("2022-01-31T14:44:28.000Z");
    const status = find("CS-PLACEHOLDER-03:1", "Connector.Status");
    expect(status?.timestamp).toBe("2023-04-15T11:04:45.659Z");
  });

  it("records the MicroOcpp stop with meterStop kept apart from the later sample", async () => {
    const stops = server.output.readings.filter(
      (r) =>
        r.asset_id === "CS-PLACEHOLDER-09:0" &&
        r.metric === "Energy.Active.Import.Register",
    );
    const values = stops.map((r) => r.value).sort();
    expect(values).toEqual([1644, 2310, 2421]);
    expect(
      server.csms.chargePoint("CS-PLACEHOLDER-16")?.boot?.chargePointVendor,
    ).toBe("Alfen BV");
  });

  it("dead-letters the payload-only record sent as a frame", async () => {
    const record = payloadOnly[0] as Record;
    const peer = await RawClient.open(`${server.url}/${record.cs_id}`, [
      "ocpp1.6",
    ]);
    const before = server.deadLetters.letters.length;
    const answer = await peer.request(record.raw, "-1");
    expect(answer[2]).toBe("FormationViolation");
    await peer.close();
    await waitFor(
      () => server.deadLetters.letters.length > before,
      5_000,
      "dead letter",
    );
  });
});

describe("real 2.0.1 fragment", () => {
  it("reads the Autel samples as W and A, marked as assumed", async () => {
    const fragment = JSON.parse(
      readFileSync(
        new URL("./fixtures/ocpp201-real-fragments.jsonl", import.meta.url),
        "utf8",
      ).trim(),
    ) as { raw: string };
    const sampledValue = JSON.parse(`[${fragment.raw}]`);
    const csms = await startCsms({ versions: ["2.0.1"] });
    const client = new RPCClient({
      endpoint: csms.url,
      identity: "AUTEL-1",
      protocols: ["ocpp2.0.1"],
      reconnect: false,
    } as never);
    await client.connect();
    await client.call("MeterValues", {
      evseId: 1,
      meterValue: [{ timestamp: "2024-01-01T00:00:00Z", sampledValue }],
    });
    await client.close();
    await waitFor(() => csms.output.readings.length >= 2, 5_000, "readings");
    const power = csms.output.readings.find(
      (r) => r.metric === "Power.Active.Import",
    );
    expect(power?.value).toBe(500.37957763671875);
    expect(power?.unit).toBe("W");
    expect(power?.quality).toBe("estimated");
    const current = csms.output.readings.find(
      (r) => r.metric === "Current.Import.L1",
    );
    expect(current?.unit).toBe("A");
    await csms.stop();
  });
});
