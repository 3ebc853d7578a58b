import { connect } from "node:net";
import { RPCClient } from "ocpp-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCsms, type TestCsms, waitFor } from "./helpers/csms.js";
import { RawClient } from "./helpers/raw-client.js";

// Connection handling: charge point ids in the URL, subprotocol
// negotiation, duplicate message ids and the rate limit.

let server: TestCsms;

beforeAll(async () => {
  server = await startCsms({
    versions: ["2.0.1", "1.6"],
    rate_limit: { calls_per_second: 5, burst: 5 },
  });
});

afterAll(async () => {
  await server.stop();
});

/** Sends a raw upgrade request and returns the HTTP status line. */
function upgradeStatus(path: string): Promise<string> {
  const port = server.csms.port as number;
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n`,
      );
    });
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString();
      if (text.includes("\r\n")) {
        resolve(text.split("\r\n")[0] ?? "");
        socket.destroy();
      }
    });
    socket.on("error", reject);
  });
}

describe("charge point id in the URL", () => {
  const refused: [string, string][] = [
    ["malformed escape", "/ocpp/CP%E0%A4%A"],
    ["lone percent", "/ocpp/%"],
    ["empty id", "/ocpp/"],
    ["extra segment", "/ocpp/CP1/extra"],
    ["too long", `/ocpp/${"A".repeat(49)}`],
    ["space", "/ocpp/CP%201"],
    ["double-encoded percent", "/ocpp/CP%2541"],
  ];
  for (const [name, path] of refused) {
    it(`answers ${name} with 400`, async () => {
      expect(await upgradeStatus(path)).toBe("HTTP/1.1 400 Bad Request");
    });
  }

  it("answers a path outside the endpoint with 404", async () => {
    expect(await upgradeStatus("/elsewhere/CP1")).toBe(
      "HTTP/1.1 404 Not Found",
    );
  });

  it("decodes the id once and keeps serving others", async () => {
    const peer = await RawClient.open(`${server.url}/CP%3A7`, ["ocpp1.6"]);
    const answer = await peer.request('[2,"h1","Heartbeat",{}]', "h1");
    expect(answer[0]).toBe(3);
    await peer.close();
    expect(server.csms.chargePoint("CP:7")).toBeDefined();
  });
});

describe("subprotocol negotiation", () => {
  it("picks 2.0.1 when both are offered", async () => {
    const peer = await RawClient.open(`${server.url}/NEG-1`, [
      "ocpp1.6",
      "ocpp2.0.1",
    ]);
    expect(peer.socket.protocol).toBe("ocpp2.0.1");
    await peer.close();
  });

  it("picks 1.6 when only 1.6 is offered", async () => {
    const peer = await RawClient.open(`${server.url}/NEG-2`, ["ocpp1.6"]);
    expect(peer.socket.protocol).toBe("ocpp1.6");
    await peer.close();
  });

  it("refuses an unknown subprotocol with 400", async () => {
    await expect(
      RawClient.open(`${server.url}/NEG-3`, ["ocpp1.5"]),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe("duplicate message ids", () => {
  it("answers a resent CALL again without a second reading", async () => {
    const frame =
      '[2,"dup-1","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2025-02-01T10:00:00Z","sampledValue":[{"value":"11","measurand":"Power.Active.Import","unit":"W"}]}]}]';
    const first = await RawClient.open(`${server.url}/DUP-1`, ["ocpp1.6"]);
    expect(await first.request(frame, "dup-1")).toEqual([3, "dup-1", {}]);
    await first.close();
    const second = await RawClient.open(`${server.url}/DUP-1`, ["ocpp1.6"]);
    expect(await second.request(frame, "dup-1")).toEqual([3, "dup-1", {}]);
    await second.close();
    await waitFor(
      () => server.output.readings.some((r) => r.asset_id === "DUP-1:1"),
      5_000,
      "reading",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(
      server.output.readings.filter((r) => r.asset_id === "DUP-1:1"),
    ).toHaveLength(1);
  });

  it("returns the same transaction id for a resent StartTransaction", async () => {
    const frame =
      '[2,"st-1","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":5,"timestamp":"2025-02-01T10:00:00Z"}]';
    const first = await RawClient.open(`${server.url}/DUP-2`, ["ocpp1.6"]);
    const a = (await first.request(frame, "st-1")) as [
      number,
      string,
      { transactionId: number },
    ];
    await first.close();
    const second = await RawClient.open(`${server.url}/DUP-2`, ["ocpp1.6"]);
    const b = (await second.request(frame.replace("st-1", "st-2"), "st-2")) as [
      number,
      string,
      { transactionId: number },
    ];
    await second.close();
    expect(b[2].transactionId).toBe(a[2].transactionId);
  });
});

describe("rate limit", () => {
  it("slows a flooding charger and refuses what exceeds the wait", async () => {
    const flood = await RawClient.open(`${server.url}/FLOOD-1`, ["ocpp1.6"]);
    const calm = new RPCClient({
      endpoint: server.url,
      identity: "CALM-1",
      protocols: ["ocpp1.6"],
      reconnect: false,
    } as never);
    await calm.connect();
    for (let index = 0; index < 40; index += 1) {
      flood.socket.send(`[2,"f${index}","Heartbeat",{}]`);
    }
    expect(await calm.call("Heartbeat", {})).toHaveProperty("currentTime");
    await waitFor(
      () => flood.received.length >= 40,
      10_000,
      "all flood answers",
    );
    const answers = flood.received.map((text) => JSON.parse(text) as unknown[]);
    const refusedCount = answers.filter((answer) => answer[0] === 4).length;
    const accepted = answers.filter((answer) => answer[0] === 3).length;
    expect(refusedCount).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThanOrEqual(5);
    await flood.close();
    await calm.close();
  });
});
