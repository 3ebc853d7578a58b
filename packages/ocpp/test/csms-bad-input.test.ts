import { MetricsRegistry } from "@qubit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCsms, type TestCsms, waitFor } from "./helpers/csms.js";
import { RawClient } from "./helpers/raw-client.js";

// Bad input from a misbehaving charger: each is answered with the right
// CALLERROR, counted and dead-lettered, while other chargers go on.

let server: TestCsms;
const registry = new MetricsRegistry();

beforeAll(async () => {
  server = await startCsms({ max_message_bytes: 4096 }, { registry });
});

afterAll(async () => {
  await server.stop();
});

const meterValues = (id: string) =>
  `[2,"${id}","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2025-01-15T10:00:00Z","sampledValue":[{"value":"42","measurand":"Power.Active.Import","unit":"W"}]}]}]`;

describe("bad input, OCPP 1.6", () => {
  const cases: [string, string, string, string][] = [
    ["not JSON", "{oops", "-1", "FormationViolation"],
    ["not an array", '{"a":1}', "-1", "FormationViolation"],
    ["unknown message type", '[7,"t1","X",{}]', "t1", "FormationViolation"],
    ["payload missing", '[2,"t2","Heartbeat"]', "t2", "ProtocolError"],
    ["unknown action", '[2,"t3","FlyToTheMoon",{}]', "t3", "NotImplemented"],
    [
      "type violation",
      '[2,"t4","StatusNotification",{"connectorId":"one","errorCode":"NoError","status":"Available"}]',
      "t4",
      "TypeConstraintViolation",
    ],
    [
      "required field missing",
      '[2,"t5","BootNotification",{"chargePointVendor":"X"}]',
      "t5",
      "OccurrenceConstraintViolation",
    ],
    [
      "enum violation",
      '[2,"t6","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Sleeping"}]',
      "t6",
      "FormationViolation",
    ],
    [
      "oversized",
      `[2,"t7","DataTransfer",{"vendorId":"X","data":"${"x".repeat(5000)}"}]`,
      "t7",
      "FormationViolation",
    ],
  ];

  for (const [name, frame, id, code] of cases) {
    it(`answers ${name} with ${code}`, async () => {
      const peer = await RawClient.open(`${server.url}/BAD-16`, ["ocpp1.6"]);
      const before = server.deadLetters.letters.length;
      const answer = await peer.request(frame, id);
      expect(answer[0]).toBe(4);
      expect(answer[2]).toBe(code);
      await waitFor(
        () => server.deadLetters.letters.length > before,
        5_000,
        "dead letter",
      );
      const letter = server.deadLetters.letters.at(-1);
      expect(letter?.location.address).toBe("BAD-16");
      const good = await peer.request(meterValues(`ok-${id}`), `ok-${id}`);
      expect(good).toEqual([3, `ok-${id}`, {}]);
      await peer.close();
    });
  }

  it("keeps other chargers going", async () => {
    const bad = await RawClient.open(`${server.url}/BAD-16B`, ["ocpp1.6"]);
    const good = await RawClient.open(`${server.url}/GOOD-16`, ["ocpp1.6"]);
    for (let index = 0; index < 20; index += 1) bad.socket.send("garbage");
    const answer = await good.request(meterValues("g1"), "g1");
    expect(answer).toEqual([3, "g1", {}]);
    await bad.close();
    await good.close();
  });

  it("counts bad frames and CALLERRORs in metrics", () => {
    const text = registry.toPrometheus();
    expect(text).toMatch(
      /qubit_ocpp_bad_frames_total\{[^}]*code="QUBIT_OCPP_FRAME_INVALID"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(
      /qubit_ocpp_call_errors_total\{[^}]*code="NotImplemented"[^}]*\} 1/,
    );
    expect(server.csms.status).toBe("running");
  });
});

describe("bad input, OCPP 2.0.1", () => {
  it("answers malformed frames with RpcFrameworkError", async () => {
    const peer = await RawClient.open(`${server.url}/BAD-201`, ["ocpp2.0.1"]);
    const answer = await peer.request("not json at all", "-1");
    expect(answer[2]).toBe("RpcFrameworkError");
    await peer.close();
  });

  it("answers a schema violation with FormatViolation", async () => {
    const peer = await RawClient.open(`${server.url}/BAD-201`, ["ocpp2.0.1"]);
    const answer = await peer.request(
      '[2,"s1","StatusNotification",{"timestamp":"2025-01-01T00:00:00Z","connectorStatus":"Sleeping","evseId":1,"connectorId":1}]',
      "s1",
    );
    expect(answer[2]).toBe("FormatViolation");
    await peer.close();
  });

  it("answers a missing field with OccurrenceConstraintViolation", async () => {
    const peer = await RawClient.open(`${server.url}/BAD-201`, ["ocpp2.0.1"]);
    const answer = await peer.request('[2,"s2","Heartbeat",{"x":1}]', "s2");
    expect(answer[0]).toBe(3);
    const missing = await peer.request(
      '[2,"s3","MeterValues",{"meterValue":[]}]',
      "s3",
    );
    expect(missing[2]).toBe("OccurrenceConstraintViolation");
    await peer.close();
  });
});

describe("StopTransaction is never refused", () => {
  it("answers a StopTransaction that violates its schema", async () => {
    const peer = await RawClient.open(`${server.url}/STOP-16`, ["ocpp1.6"]);
    const answer = await peer.request(
      '[2,"st1","StopTransaction",{"transactionId":999,"meterStop":"12.5kWh","timestamp":"2025-01-15T10:00:00Z","reason":"WeirdReason"}]',
      "st1",
    );
    expect(answer[0]).toBe(3);
    await peer.close();
  });
});
