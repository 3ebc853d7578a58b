import { MetricsRegistry } from "@qubit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCsms, type TestCsms, waitFor } from "./helpers/csms.js";
import { captureLogger } from "./helpers/log-capture.js";
import { RawClient } from "./helpers/raw-client.js";

// Frames built to break a server: deep nesting, invalid UTF-8 and a CALL
// whose handling throws. Each must be answered or closed correctly, and
// logged with the charge point, counted and (where there is a frame)
// dead-lettered.

let server: TestCsms;
const registry = new MetricsRegistry();
const { logger, entries } = captureLogger();

beforeAll(async () => {
  server = await startCsms({}, { registry, logger });
});

afterAll(async () => {
  await server.stop();
});

/** A MeterValues CALL whose meterValue nests `levels` arrays. */
function deepCall(messageId: string, levels: number): string {
  return `[2,"${messageId}","MeterValues",{"connectorId":1,"meterValue":${"[".repeat(levels)}${"]".repeat(levels)}}]`;
}

function metric(pattern: RegExp): number {
  const match = pattern.exec(registry.toPrometheus());
  return match ? Number(match[1]) : 0;
}

describe("deeply nested frames", () => {
  it("answers a 30,000-level CALL with FormationViolation on 1.6", async () => {
    const frame = deepCall("deep-16", 30_000);
    expect(frame.length).toBeLessThan(65_536);
    const peer = await RawClient.open(`${server.url}/DEEP-16`, ["ocpp1.6"]);
    const before = server.deadLetters.letters.length;
    const answer = await peer.request(frame, "deep-16");
    expect(answer[0]).toBe(4);
    expect(answer[2]).toBe("FormationViolation");
    expect(String(answer[3])).toMatch(/nested deeper than 64 levels/);

    await waitFor(
      () => server.deadLetters.letters.length > before,
      5_000,
      "dead letter",
    );
    const letter = server.deadLetters.letters.at(-1);
    expect(letter?.code).toBe("QUBIT_OCPP_FRAME_TOO_DEEP");
    expect(letter?.location.address).toBe("DEEP-16");
    expect(letter?.location.message_id).toBe("deep-16");

    const logged = entries.find(
      (entry) =>
        entry.level === "warn" &&
        entry.context.code === "QUBIT_OCPP_FRAME_TOO_DEEP",
    );
    expect(logged?.context.charge_point).toBe("DEEP-16");
    expect(logged?.context.message_id).toBe("deep-16");

    // The connection goes on.
    const good = await peer.request('[2,"hb","Heartbeat",{}]', "hb");
    expect(good[0]).toBe(3);
    await peer.close();
  });

  it("answers it with FormatViolation on 2.0.1", async () => {
    const peer = await RawClient.open(`${server.url}/DEEP-201`, ["ocpp2.0.1"]);
    const answer = await peer.request(deepCall("deep-201", 30_000), "deep-201");
    expect(answer[2]).toBe("FormatViolation");
    await peer.close();
  });

  it("counts deep frames as bad frames and CALLERRORs", () => {
    expect(
      metric(
        /qubit_ocpp_bad_frames_total\{[^}]*code="QUBIT_OCPP_FRAME_TOO_DEEP"[^}]*\} (\d+)/,
      ),
    ).toBe(2);
    expect(
      metric(
        /qubit_ocpp_call_errors_total\{[^}]*code="FormationViolation"[^}]*\} (\d+)/,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metric(
        /qubit_ocpp_call_errors_total\{[^}]*code="FormatViolation"[^}]*\} (\d+)/,
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it("accepts a payload nested within the limit", async () => {
    const peer = await RawClient.open(`${server.url}/NEST-OK`, ["ocpp1.6"]);
    const data = `${'{"a":'.repeat(50)}1${"}".repeat(50)}`;
    const answer = await peer.request(
      `[2,"dt","DataTransfer",{"vendorId":"V","data":${JSON.stringify(data)}}]`,
      "dt",
    );
    expect(answer[0]).toBe(3);
    await peer.close();
  });
});

describe("invalid UTF-8", () => {
  it("closes with 1007 and logs the reason with the charge point", async () => {
    const peer = await RawClient.open(`${server.url}/UTF8-BAD`, ["ocpp1.6"]);
    const closed = new Promise<number>((resolve) =>
      peer.socket.once("close", (code) => resolve(code)),
    );
    // `[2,"id","Heartbeat",` then the bytes FF FE, which UTF-8 never uses.
    peer.socket.send(
      Buffer.from("5b322c226964222c22486561727462656174222cfffe7b7d5d", "hex"),
      { binary: false },
    );
    expect(await closed).toBe(1007);

    await waitFor(
      () =>
        entries.some(
          (entry) =>
            entry.context.charge_point === "UTF8-BAD" &&
            entry.context.code === "QUBIT_OCPP_SOCKET_ERROR",
        ),
      5_000,
      "socket error log",
    );
    const logged = entries.find(
      (entry) =>
        entry.context.charge_point === "UTF8-BAD" &&
        entry.context.code === "QUBIT_OCPP_SOCKET_ERROR",
    );
    expect(logged?.level).toBe("warn");
    expect(logged?.context.error_code).toBe("WS_ERR_INVALID_UTF8");
    expect(String(logged?.context.error)).toMatch(/UTF-8/);
    expect(
      metric(
        /qubit_ocpp_socket_errors_total\{[^}]*code="WS_ERR_INVALID_UTF8"[^}]*\} (\d+)/,
      ),
    ).toBe(1);
  });
});

describe("a CALL whose handling throws", () => {
  it("answers InternalError, logs, counts and dead-letters it", async () => {
    // Mock: a bug inside the handler, which no real peer can cause.
    const processor = server.csms.processor;
    const respond = processor.respond.bind(processor);
    processor.respond = (call) => {
      if (call.action === "Heartbeat") throw new Error("simulated bug");
      return respond(call);
    };
    try {
      const peer = await RawClient.open(`${server.url}/BUGGY`, ["ocpp1.6"]);
      const before = server.deadLetters.letters.length;
      const answer = await peer.request('[2,"b1","Heartbeat",{}]', "b1");
      expect(answer[2]).toBe("InternalError");
      expect(String(answer[3])).toMatch(/simulated bug/);
      await waitFor(
        () => server.deadLetters.letters.length > before,
        5_000,
        "dead letter",
      );
      expect(server.deadLetters.letters.at(-1)?.code).toBe(
        "QUBIT_OCPP_HANDLER_FAILED",
      );
      const logged = entries.find(
        (entry) =>
          entry.level === "error" &&
          entry.context.code === "QUBIT_OCPP_HANDLER_FAILED",
      );
      expect(logged?.context.charge_point).toBe("BUGGY");
      expect(
        metric(
          /qubit_ocpp_call_errors_total\{[^}]*code="InternalError"[^}]*\} (\d+)/,
        ),
      ).toBe(1);
      await peer.close();
    } finally {
      processor.respond = respond;
    }
  });
});

describe("metric names", () => {
  it("use the qubit_ prefix", () => {
    const names = new Set(registry.snapshot().map((sample) => sample.name));
    expect(names.has("qubit_ocpp_calls_total")).toBe(true);
    expect([...names].filter((name) => !name.startsWith("qubit_"))).toEqual([]);
  });
});

describe("connected charge points gauge", () => {
  it("follows connects and disconnects", async () => {
    const gauge = () =>
      metric(
        /qubit_ocpp_charge_points_connected\{[^}]*connector="ocpp"[^}]*\} (\d+)/,
      );
    await waitFor(() => gauge() === 0, 5_000, "no charge point connected");
    const first = await RawClient.open(`${server.url}/GAUGE-1`, ["ocpp1.6"]);
    const second = await RawClient.open(`${server.url}/GAUGE-2`, ["ocpp1.6"]);
    await waitFor(() => gauge() === 2, 5_000, "two connected");
    await first.close();
    await waitFor(() => gauge() === 1, 5_000, "one connected");
    await second.close();
    await waitFor(() => gauge() === 0, 5_000, "none connected");
  });
});
