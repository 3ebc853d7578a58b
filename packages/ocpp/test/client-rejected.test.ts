import { createServer } from "node:net";
import { Value } from "@sinclair/typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChargePointClient,
  type ChargePointClientOptions,
} from "../src/client/charge-point-client.js";
import { ChargePointConnector } from "../src/client/charge-point-connector.js";
import type { ConnectFailure } from "../src/client/connect-failure.js";
import { type ClientConfig, ClientConfigSchema } from "../src/config.js";
import { startCsms, type TestCsms, waitFor } from "./helpers/csms.js";
import { captureLogger } from "./helpers/log-capture.js";

// A CSMS that rejects the client (wrong password, unknown id) responds to
// a quick retry the same way: the client reports the rejection with its HTTP
// status and waits the maximum delay. A CSMS that does not answer is
// reported as unreachable and retried with growing delays.

let server: TestCsms;

beforeAll(async () => {
  server = await startCsms({
    security_profile: 1,
    charge_points: { "CP-AUTH": { password: "right-password-1" } },
  });
});

afterAll(async () => {
  await server.stop();
});

/** Starts a client and returns its first connect failure; closes it. */
async function firstFailure(
  options: Partial<ChargePointClientOptions>,
): Promise<ConnectFailure> {
  const client = new ChargePointClient({
    version: "1.6",
    url: server.url,
    identity: "CP-AUTH",
    reconnectInitialDelayMs: 50,
    reconnectMaxDelayMs: 60_000,
    ...options,
  });
  const failed = new Promise<ConnectFailure>((resolve) =>
    client.once("connect_failed", resolve),
  );
  client.start();
  try {
    return await failed;
  } finally {
    await client.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        resolve(typeof address === "object" && address ? address.port : 0),
      );
    });
  });
}

describe("client rejected by the CSMS", () => {
  it("reports a wrong password as an authentication failure", async () => {
    const { logger, entries } = captureLogger();
    const failure = await firstFailure({
      basicAuth: { username: "CP-AUTH", password: "wrong-password" },
      logger,
    });
    expect(failure.error.code).toBe("QUBIT_OCPP_AUTH_FAILED");
    expect(failure.status).toBe(401);
    expect(failure.error.message).toMatch(/rejected the credentials.*HTTP 401/);
    expect(failure.error.message).not.toMatch(/cannot reach/i);

    const warning = entries.find((entry) => entry.level === "warn");
    expect(warning?.context.code).toBe("QUBIT_OCPP_AUTH_FAILED");
    expect(warning?.context.status).toBe(401);
    expect(warning?.context.charge_point).toBe("CP-AUTH");
    expect(warning?.message).toMatch(/rejected/);
  });

  it("waits the maximum delay before the next attempt", async () => {
    const failure = await firstFailure({
      basicAuth: { username: "CP-AUTH", password: "wrong-password" },
    });
    // Equal jitter: between half and all of reconnect_max_delay_ms.
    expect(failure.retryInMs).toBeGreaterThanOrEqual(30_000);
    expect(failure.retryInMs).toBeLessThanOrEqual(60_000);
  });

  it("reports an unknown charge point with its status", async () => {
    const closed = await startCsms({ unknown_charge_points: "reject" });
    try {
      const failure = await firstFailure({
        url: closed.url,
        identity: "CP-NOBODY",
      });
      expect(failure.error.code).toBe("QUBIT_OCPP_CONNECT_REJECTED");
      expect(failure.status).toBe(404);
      expect(failure.error.fix).toMatch(/CP-NOBODY/);
    } finally {
      await closed.stop();
    }
  });

  it("connects with the right password", async () => {
    const client = new ChargePointClient({
      version: "1.6",
      url: server.url,
      identity: "CP-AUTH",
      basicAuth: { username: "CP-AUTH", password: "right-password-1" },
    });
    client.start();
    await client.whenConnected();
    expect(client.isConnected).toBe(true);
    await client.close();
  });
});

describe("client of an unreachable CSMS", () => {
  it("reports it as unreachable and retries soon", async () => {
    const port = await freePort();
    const failure = await firstFailure({
      url: `ws://127.0.0.1:${port}/ocpp`,
    });
    expect(failure.error.code).toBe("QUBIT_OCPP_CONNECT_FAILED");
    expect(failure.status).toBeUndefined();
    expect(failure.error.message).toMatch(/cannot reach the CSMS/);
    expect(failure.retryInMs).toBeLessThanOrEqual(50);
  });

  it("keeps a URL's credentials out of the message", async () => {
    const port = await freePort();
    const failure = await firstFailure({
      url: `ws://user:secret-1@127.0.0.1:${port}/ocpp`,
    });
    expect(failure.error.message).not.toContain("secret-1");
  });
});

describe("charge point connector rejected by the CSMS", () => {
  it("shows the failure in its health", async () => {
    const config = Value.Default(ClientConfigSchema, {
      version: "1.6",
      websocket_url: server.url,
      charge_point_id: "CP-AUTH",
      auth: { basic_auth: { username: "CP-AUTH", password: "wrong-password" } },
    }) as ClientConfig;
    const connector = new ChargePointConnector(config);
    await connector.connect();
    try {
      await waitFor(
        () => connector.health().last_error !== undefined,
        10_000,
        "a recorded fault",
      );
      const health = connector.health();
      expect(health.last_error?.code).toBe("QUBIT_OCPP_AUTH_FAILED");
      expect(health.status).toBe("degraded");
    } finally {
      await connector.disconnect();
    }
  });
});
