import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import {
  type CentralSystemConfig,
  CentralSystemConfigSchema,
} from "../src/config.js";
import {
  isLoopbackHost,
  openDoors,
  warnOpenDoors,
} from "../src/csms/exposure.js";
import { startCsms } from "./helpers/csms.js";
import { captureLogger } from "./helpers/log-capture.js";

// The central system's defaults and the warning about open doors. No
// test binds a non-loopback address: the warning is checked on the
// function the connector calls after it starts listening.

function config(
  overrides: Partial<CentralSystemConfig> = {},
): CentralSystemConfig {
  return Value.Default(CentralSystemConfigSchema, {
    role: "central_system",
    ...overrides,
  }) as CentralSystemConfig;
}

describe("central system defaults", () => {
  it("listens on 127.0.0.1 unless told otherwise", () => {
    expect(config().host).toBe("127.0.0.1");
  });

  it("has no open door on a loopback address", () => {
    expect(openDoors(config())).toEqual([]);
    expect(openDoors(config({ host: "localhost" }))).toEqual([]);
    expect(openDoors(config({ host: "::1" }))).toEqual([]);
  });
});

describe("open doors on the network", () => {
  it("names each door of the old default and its key", () => {
    const doors = openDoors(config({ host: "0.0.0.0" }));
    expect(doors.map((door) => door.key)).toEqual([
      "security_profile",
      "unknown_charge_points",
      "tls",
    ]);
  });

  it("has none with TLS and basic auth", () => {
    const doors = openDoors(
      config({
        host: "0.0.0.0",
        security_profile: 2,
        tls: { cert_file: "c.pem", key_file: "k.pem" },
      }),
    );
    expect(doors).toEqual([]);
  });

  it("keeps the TLS door open for basic auth in clear text", () => {
    const doors = openDoors(config({ host: "10.1.2.3", security_profile: 1 }));
    expect(doors.map((door) => door.key)).toEqual(["tls"]);
  });

  it("logs one warning naming every door and key", () => {
    const { logger, entries } = captureLogger();
    warnOpenDoors(logger, config({ host: "0.0.0.0" }), 9000, "central system");
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry?.level).toBe("warn");
    expect(entry?.context.code).toBe("QUBIT_OCPP_SERVER_EXPOSED");
    expect(entry?.message).toMatch(/0\.0\.0\.0:9000/);
    for (const key of [
      "security_profile",
      "unknown_charge_points",
      "tls.cert_file",
      "host",
    ]) {
      expect(entry?.message).toContain(key);
    }
  });
});

describe("loopback detection", () => {
  it("tells loopback from other addresses", () => {
    expect(isLoopbackHost("127.0.0.1")).toBe(true);
    expect(isLoopbackHost("127.1.2.3")).toBe(true);
    expect(isLoopbackHost("[::1]")).toBe(true);
    expect(isLoopbackHost("0.0.0.0")).toBe(false);
    expect(isLoopbackHost("::")).toBe(false);
    expect(isLoopbackHost("192.168.1.10")).toBe(false);
  });
});

describe("central system start", () => {
  it("logs no open-door warning on 127.0.0.1", async () => {
    const { logger, entries } = captureLogger();
    const server = await startCsms({}, { logger });
    await server.stop();
    expect(entries.some((entry) => entry.level === "warn")).toBe(false);
    expect(
      entries.some(
        (entry) => entry.message === "OCPP central system listening",
      ),
    ).toBe(true);
  });
});
