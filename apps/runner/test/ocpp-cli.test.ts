import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { CentralSystemConnector, ocppPlugin } from "@qubit/ocpp";
import { Value } from "@sinclair/typebox/value";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/cli.js";
import { allPlugins, loadConfig } from "../src/index.js";

// qubit convert ocpp, qubit simulate ocpp, qubit ocpp hash-password and the
// seed's OCPP config, run in-process through main().

const work = mkdtempSync(join(tmpdir(), "qubit-ocpp-cli-"));
const runnerDir = join(dirname(fileURLToPath(import.meta.url)), "..");
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => {
    out += String(chunk);
  });
  stderr.on("data", (chunk) => {
    err += String(chunk);
  });
  const code = await main(argv, {
    stdout,
    stderr,
    env: { QUBIT_LOG_LEVEL: "fatal" },
  });
  return { code, out, err };
}

function frames(name: string, lines: string[]): string {
  const path = join(work, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** The seed's OCPP configuration example, as JSON. */
const SEED = {
  version: "2.0.1",
  websocket_url: "wss://chargers.network.com/ocpp",
  charge_point_id: "CP_001",
  auth: {
    basic_auth: { username: "charger_001", password: "secure_password" },
  },
};

describe("qubit convert ocpp", () => {
  it("converts a session across frames", async () => {
    const file = frames("session.frames", [
      '[2,"1","StartTransaction",{"connectorId":2,"idTag":"T","meterStart":1000,"timestamp":"2025-05-06T07:00:00Z"}]',
      '[2,"2","MeterValues",{"connectorId":2,"transactionId":1,"meterValue":[{"timestamp":"2025-05-06T07:30:00Z","sampledValue":[{"value":"1.5","unit":"kWh"}]}]}]',
      '[2,"3","StopTransaction",{"transactionId":1,"meterStop":2000,"timestamp":"2025-05-06T08:00:00Z"}]',
    ]);
    const result = await run([
      "convert",
      "ocpp",
      "--version",
      "1.6",
      "--charge-point",
      "CP-1",
      "--frame-file",
      file,
    ]);
    expect(result.code).toBe(0);
    const readings = result.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const middle = readings.find(
      (r) => r.timestamp === "2025-05-06T07:30:00.000Z",
    );
    expect(middle.asset_id).toBe("CP-1:2");
    expect(middle.value).toBe(1500);
    expect(middle.metadata.transaction_id).toBe("1");
    const session = readings.find(
      (r) => r.metric === "Session.Energy.Active.Import",
    );
    expect(session.value).toBe(1000);
  });

  it("prints valid readings, then the error with its place, and exits 1", async () => {
    const file = frames("bad.frames", [
      '[2,"a","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2025-05-06T08:00:00Z","sampledValue":[{"value":"7","measurand":"Power.Active.Import","unit":"kW"}]}]}]',
      '[2,"b","MeterValues",{"connectorId":"one","meterValue":[]}]',
      "not a frame",
    ]);
    const result = await run([
      "convert",
      "ocpp",
      "--version",
      "1.6",
      "--charge-point",
      "CP-2",
      "--frame-file",
      file,
    ]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out.trim()).value).toBe(7000);
    expect(result.err).toMatch(
      /error: .*connectorId.*\[QUBIT_OCPP_PAYLOAD_INVALID\].*line=2/,
    );
    expect(result.err).toMatch(/error: line is not an OCPP-J CALL.*line=3/);
  });

  it("applies --energy-unit", async () => {
    const file = frames("kwh.frames", [
      '[2,"a","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2025-05-06T08:00:00Z","sampledValue":[{"value":"512","unit":"Wh"}]}]}]',
    ]);
    const result = await run([
      "convert",
      "ocpp",
      "--version",
      "1.6",
      "--charge-point",
      "CP-3",
      "--frame-file",
      file,
      "--energy-unit",
      "kWh",
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out.trim()).value).toBe(512_000);
  });

  it("exits 2 for bad usage", async () => {
    expect((await run(["convert", "ocpp", "--version", "1.6"])).code).toBe(2);
    expect(
      (
        await run([
          "convert",
          "ocpp",
          "--version",
          "3.0",
          "--charge-point",
          "X",
          "--frame-file",
          "f",
        ])
      ).code,
    ).toBe(2);
    const missing = await run([
      "convert",
      "ocpp",
      "--version",
      "1.6",
      "--charge-point",
      "X",
      "--frame-file",
      join(work, "none"),
    ]);
    expect(missing.code).toBe(2);
  });
});

describe("OCPP config", () => {
  it("accepts the seed's client config", () => {
    const { config } = loadConfig({ data_dir: work, ocpp: SEED }, allPlugins());
    const entry = (
      config as unknown as {
        ocpp: typeof SEED & { reconnect_max_delay_ms: number };
      }
    ).ocpp;
    expect(entry.charge_point_id).toBe("CP_001");
    expect(entry.reconnect_max_delay_ms).toBe(30_000);
  });

  it("names the path of a bad central system setting", () => {
    expect(() =>
      loadConfig(
        {
          data_dir: work,
          ocpp: { role: "central_system", security_profile: 2 },
        },
        allPlugins(),
      ),
    ).toThrow(/\/ocpp\/tls/);
  });
});

describe("qubit simulate ocpp", () => {
  it("runs a session against our central system", async () => {
    const config = Value.Default(ocppPlugin.configSchema, {
      role: "central_system",
      host: "127.0.0.1",
      port: 0,
    });
    const csms = new CentralSystemConnector(config as never, {});
    await csms.connect();
    const result = await run([
      "simulate",
      "ocpp",
      "--url",
      `ws://127.0.0.1:${csms.port}/ocpp`,
      "--charge-point",
      "SIM-1",
      "--sessions",
      "1",
      "--duration",
      "2",
      "--interval",
      "0.5",
    ]);
    await csms.disconnect();
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/connected to ws:/);
    expect(result.out).toMatch(/StartTransaction -> \{"transactionId":1/);
    expect(result.out).toMatch(/StopTransaction -> /);
    const sessions = csms.transactions();
    expect(sessions[0]?.status).toBe("ended");
    expect(sessions[0]?.energy_wh).toBeGreaterThan(0);
  });
});

describe("qubit simulate ocpp with a wrong password", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("prints the authentication failure with its status", async () => {
    const config = Value.Default(ocppPlugin.configSchema, {
      role: "central_system",
      host: "127.0.0.1",
      port: 0,
      security_profile: 1,
      charge_points: { "SIM-AUTH": { password: "RightPassw0rd" } },
    });
    const csms = new CentralSystemConnector(config as never, {});
    await csms.connect();
    try {
      // A child process, because the command runs until a signal stops it.
      const started = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--conditions=@qubit/source",
          "src/cli.ts",
          "simulate",
          "ocpp",
          "--url",
          `ws://127.0.0.1:${csms.port}/ocpp`,
          "--charge-point",
          "SIM-AUTH",
          "--password",
          "WrongPassw0rd",
        ],
        {
          cwd: runnerDir,
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, QUBIT_LOG_LEVEL: "silent" },
        },
      );
      child = started;
      let stderr = "";
      let stdout = "";
      started.stderr?.on("data", (chunk) => {
        stderr += String(chunk);
      });
      started.stdout?.on("data", (chunk) => {
        stdout += String(chunk);
      });
      const exited = new Promise<number | null>((resolve) =>
        started.once("exit", (code) => resolve(code)),
      );
      const deadline = Date.now() + 60_000;
      while (!stderr.includes("QUBIT_OCPP_AUTH_FAILED")) {
        if (Date.now() > deadline || started.exitCode !== null) {
          throw new Error(`no authentication failure printed: ${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      started.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stderr).toMatch(
        /rejected the credentials of charge point SIM-AUTH/,
      );
      expect(stderr).toMatch(/HTTP 401/);
      // The help promises a random delay of 15 to 30 s after a rejection.
      const delay = Number(/retrying in (\d+) s/.exec(stderr)?.[1]);
      expect(delay).toBeGreaterThanOrEqual(15);
      expect(delay).toBeLessThanOrEqual(30);
      expect(stderr).not.toContain("WrongPassw0rd");
      expect(stdout).not.toMatch(/connected to/);
    } finally {
      await csms.disconnect();
    }
  });
});

describe("qubit simulate ocpp --help", () => {
  it("states the retry delays with jitter", async () => {
    const result = await run(["simulate", "ocpp", "--help"]);
    expect(result.code).toBe(0);
    const help = result.out.replace(/\s+/g, " ");
    expect(help).toContain("retried after a random 15 to 30 s");
    expect(help).toContain("exponential backoff and jitter");
    expect(help).not.toContain("every 30 s");
  });
});

describe("qubit ocpp hash-password", () => {
  it("prints a scrypt hash", async () => {
    const result = await run(["ocpp", "hash-password", "secret"]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^scrypt\$16384\$8\$1\$/);
  });
});
