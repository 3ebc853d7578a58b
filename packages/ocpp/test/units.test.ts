import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MemoryStateStore } from "@qubit/core";
import { describe, expect, it } from "vitest";
import { callErrorFrame } from "../src/csms/call-error-frame.js";
import { CommandQueue } from "../src/csms/command-queue.js";
import { DuplicateCache } from "../src/csms/duplicates.js";
import { RateLimiter } from "../src/csms/rate-limit.js";
import { OcppCallError, OcppErrorCodes } from "../src/errors.js";
import { identityFromPath } from "../src/identity.js";
import { compiledSchema } from "../src/rpc.js";
import { checkPayload } from "../src/schema/tolerant-check.js";
import { parseOcppTimestamp } from "../src/timestamps.js";

// Small units: the error table, the tolerant schema check, ids in paths,
// timestamps, the rate limiter and the command queue's expiry.

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? sources(path)
      : path.endsWith(".ts")
        ? [path]
        : [];
  });
}

describe("error table", () => {
  it("lists every code the sources use, and uses every code it lists", () => {
    const dir = new URL("../src", import.meta.url).pathname;
    const used = new Set<string>();
    for (const file of sources(dir)) {
      if (file.endsWith("errors.ts")) continue;
      for (const match of readFileSync(file, "utf8").matchAll(
        /"(QUBIT_OCPP_[A-Z_]+)"/g,
      ))
        used.add(match[1] as string);
    }
    expect([...used].filter((code) => !(code in OcppErrorCodes))).toEqual([]);
    expect(
      Object.keys(OcppErrorCodes).filter((code) => !used.has(code)),
    ).toEqual([]);
  });
});

describe("tolerant schema check", () => {
  it("uses ocpp-rpc's compiled schemas", () => {
    // Without them the check still works through validate(), only slower,
    // so this test is what notices an ocpp-rpc upgrade that moves them.
    const check = compiledSchema("1.6", "urn:MeterValues.req");
    expect(typeof check).toBe("function");
    expect(check?.({ meterValue: [] })).toBe(false);
    expect(check?.errors?.[0]?.keyword).toBe("required");
    expect(compiledSchema("1.6", "urn:FlyToTheMoon.req")).toBeUndefined();
  });

  it("accepts cosmetic deviations and lists them", () => {
    const check = checkPayload("1.6", "MeterValues", "req", {
      connectorId: "1",
      meterValue: [
        {
          timestamp: "2025-01-01T10:00:00",
          sampledValue: [
            { value: 230, unit: "Hertz", measurand: "voltage", vendorField: 1 },
          ],
        },
      ],
    });
    expect(check.ok).toBe(true);
    expect(check.deviations.map((deviation) => deviation.kind).sort()).toEqual(
      [
        "enum_case",
        "extra_property",
        "meter_enum",
        "number_as_string",
        "string_as_number",
      ].sort(),
    );
  });

  it("reports what cannot be read with the CALLERROR code", () => {
    const missing = checkPayload("2.0.1", "TransactionEvent", "req", {
      eventType: "Started",
    });
    expect(missing.ok).toBe(false);
    if (!missing.ok)
      expect(missing.violation.rpcErrorCode).toBe(
        "OccurrenceConstraintViolation",
      );
    const type = checkPayload("1.6", "StartTransaction", "req", {
      connectorId: 1,
      idTag: "T",
      meterStart: "lots",
      timestamp: "2025-01-01T00:00:00Z",
    });
    if (!type.ok)
      expect(type.violation.rpcErrorCode).toBe("TypeConstraintViolation");
    expect(type.ok).toBe(false);
  });

  it("keeps the payload unchanged", () => {
    const payload = {
      connectorId: 1,
      meterValue: [
        { timestamp: "2025-01-01T10:00:00Z", sampledValue: [{ value: 5 }] },
      ],
    };
    const copy = structuredClone(payload);
    checkPayload("1.6", "MeterValues", "req", payload);
    expect(payload).toEqual(copy);
  });
});

describe("charge point id from the path", () => {
  it("decodes once and checks characters", () => {
    expect(identityFromPath("/ocpp/CP%2D1?x=1", "/ocpp")).toEqual({
      ok: true,
      identity: "CP-1",
    });
    expect(identityFromPath("/ocpp/CP%E0%A4%A", "/ocpp")).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(identityFromPath("/other/CP1", "/ocpp")).toMatchObject({
      ok: false,
      status: 404,
    });
    expect(identityFromPath("/ocpp/a%2Fb", "/ocpp/")).toMatchObject({
      ok: false,
      status: 400,
    });
  });
});

describe("OCPP timestamps", () => {
  it("reads zones, fractions and missing zones", () => {
    expect(parseOcppTimestamp("2022-02-02T13:33:27.864437+00:00")).toEqual({
      ok: true,
      epochMs: Date.UTC(2022, 1, 2, 13, 33, 27, 864),
      zoneMissing: false,
    });
    expect(parseOcppTimestamp("2025-01-01T12:00:00+02:00")).toMatchObject({
      epochMs: Date.UTC(2025, 0, 1, 10),
    });
    expect(parseOcppTimestamp("2025-01-01T12:00:00")).toMatchObject({
      zoneMissing: true,
    });
    expect(parseOcppTimestamp("yesterday")).toEqual({ ok: false });
    expect(parseOcppTimestamp("2025-13-01T00:00:00Z")).toEqual({ ok: false });
  });

  it("reads the Z form as the full pattern does", () => {
    // The pattern accepts a lower-case "z" and the Z form takes a shortcut,
    // so each text must give the same result with either letter.
    const texts = [
      "2025-01-15T10:00:00Z",
      "2025-01-15T10:00:00.5Z",
      "2025-01-15T10:00:00.12Z",
      "2025-01-15T10:00:00.123Z",
      "2025-01-15T10:00:00.123456789Z",
      "2024-02-29T23:59:59.999Z",
      "2025-02-30T00:00:00Z",
      "2025-12-31T23:59:60Z",
      "0099-01-01T00:00:00Z",
      "2025-00-10T00:00:00Z",
      "2025-01-32T00:00:00Z",
      "2025-01-01T24:00:00Z",
      "2025-01-01T00:60:00Z",
      "2025-01-01T00:00:61Z",
      "2025-01-01T00:00:00.Z",
      "2025-01-01T00:00:00.1aZ",
      "2025-01-01 00:00:00Z",
      "2025-01-01T00:00Z",
      "2025-1-01T00:00:00Z",
      "2025-01-01T00:00:00,5Z",
      "2025/01/01T00:00:00Z",
      "20a5-01-01T00:00:00Z",
      " 2025-01-01T00:00:00Z",
    ];
    for (const text of texts) {
      expect(parseOcppTimestamp(text), text).toEqual(
        parseOcppTimestamp(`${text.slice(0, -1)}z`),
      );
    }
  });
});

describe("CALLERROR frames", () => {
  it("carries the code, message and details of a CALL error", () => {
    const error = new OcppCallError(
      "QUBIT_OCPP_PAYLOAD_INVALID",
      "TypeConstraintViolation",
      "connectorId must be an integer",
      { details: { path: "/connectorId" } },
    ).toRpcError();
    expect(JSON.parse(callErrorFrame("m1", error, "2.0.1"))).toEqual([
      4,
      "m1",
      "TypeConstraintViolation",
      "connectorId must be an integer",
      { path: "/connectorId" },
    ]);
  });

  it("uses the 1.6 spellings on 1.6 connections", () => {
    const format = { rpcErrorCode: "FormatViolation", message: "bad" };
    expect(JSON.parse(callErrorFrame("a", format, "1.6"))[2]).toBe(
      "FormationViolation",
    );
    expect(JSON.parse(callErrorFrame("a", format, "2.0.1"))[2]).toBe(
      "FormatViolation",
    );
    const occurrence = { rpcErrorCode: "OccurenceConstraintViolation" };
    expect(JSON.parse(callErrorFrame("b", occurrence, "1.6"))[2]).toBe(
      "OccurrenceConstraintViolation",
    );
  });

  it("sends GenericError for an error without a CALLERROR code", () => {
    expect(
      JSON.parse(callErrorFrame("c", new TypeError("boom"), "1.6")),
    ).toEqual([4, "c", "GenericError", "boom", {}]);
    expect(JSON.parse(callErrorFrame("d", undefined, "1.6"))).toEqual([
      4,
      "d",
      "GenericError",
      "",
      {},
    ]);
  });
});

describe("duplicate cache", () => {
  it("keeps the last 8 answers per charge point", () => {
    const cache = new DuplicateCache();
    for (let index = 1; index <= 9; index += 1) {
      cache.remember("CP", `m${index}`, `frame ${index}`, {
        response: { n: index },
      });
    }
    expect(cache.find("CP", "m1", "frame 1")).toBeUndefined();
    expect(cache.find("CP", "m2", "frame 2")?.response).toEqual({ n: 2 });
    expect(cache.find("CP", "m9", "frame 9")?.response).toEqual({ n: 9 });
  });

  it("ignores a reused id with other content", () => {
    const cache = new DuplicateCache();
    cache.remember("CP", "m1", "frame 1", { response: {} });
    expect(cache.find("CP", "m1", "another frame")).toBeUndefined();
  });
});

describe("rate limiter", () => {
  it("allows a burst, then makes callers wait, then refuses", () => {
    let now = 0;
    const limiter = new RateLimiter(10, 2, () => now);
    expect(limiter.reserve("A", 1000)).toBe(0);
    expect(limiter.reserve("A", 1000)).toBe(0);
    expect(limiter.reserve("A", 1000)).toBe(100);
    expect(limiter.reserve("A", 150)).toBeUndefined();
    expect(limiter.reserve("B", 0)).toBe(0);
    now = 10_000;
    expect(limiter.reserve("A", 0)).toBe(0);
  });
});

describe("command queue", () => {
  it("expires commands and survives a restart", () => {
    let now = 1_000;
    const state = new MemoryStateStore();
    const queue = new CommandQueue(
      "q",
      state,
      { maxPerChargePoint: 10, expiryMs: 500 },
      () => now,
    );
    queue.enqueue("CP", "Reset", { type: "Soft" });
    now = 1_200;
    queue.enqueue("CP", "Reset", { type: "Hard" });
    const restarted = new CommandQueue(
      "q",
      state,
      { maxPerChargePoint: 10, expiryMs: 500 },
      () => now,
    );
    expect(restarted.size("CP")).toBe(2);
    now = 1_600;
    const { live, expired } = restarted.take("CP");
    expect(expired.map((command) => command.payload.type)).toEqual(["Soft"]);
    expect(live.map((command) => command.payload.type)).toEqual(["Hard"]);
  });
});
