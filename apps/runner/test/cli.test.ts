import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./cli-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "qubit-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = new URL("../src/cli.ts", import.meta.url).pathname;

const run = runCli;

/** Runs the command line in a child process, as a user does. */
function spawnCli(
  argv: string[],
  options: { closeStdout?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.QUBIT_LOG_LEVEL;
  const child = spawn(
    process.execPath,
    ["--conditions=@qubit/source", "--import", "tsx", cli, ...argv],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  if (options.closeStdout) child.stdout.destroy();
  else child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe("validate-config", () => {
  const csvFile = join(dir, "generation.csv");
  writeFileSync(csvFile, "DateTime,InverterID,Generation_kWh\n");
  const csvSection = {
    file_path: csvFile,
    mapping: {
      timestamp: "DateTime",
      asset_id: "InverterID",
      value: "Generation_kWh",
      unit: "kWh",
    },
    timestamp_format: "%Y-%m-%d %H:%M:%S",
    timezone: "America/Los_Angeles",
  };

  it("accepts a bare csv section", async () => {
    const path = configFile("bare-csv.json", csvSection);
    const { code, stdout, stderr } = await run(["validate-config", path]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("valid as a bare csv section");
    expect(stdout).toContain('under the key "csv"');
  });

  it("rejects a bare section with a mistake", async () => {
    const path = configFile("bare-csv-bad.json", {
      ...csvSection,
      mapping: { timestamp: "DateTime" },
    });
    const { code, stderr } = await run(["validate-config", path]);
    expect(code).toBe(1);
    expect(stderr).toContain("/file_path: is not a known option");
  });

  it("names the unknown key of an output", async () => {
    const path = configFile("postgres-url.json", {
      outputs: [
        { type: "sqlite" },
        { type: "stdout" },
        {
          type: "postgres",
          url: "postgres://pguser:PgPassw0rdLeak@127.0.0.1:5432/qubit",
        },
      ],
    });
    const { code, stderr } = await run(["validate-config", path]);
    expect(code).toBe(1);
    expect(stderr).not.toContain("PgPassw0rdLeak");
    expect(stderr).not.toContain("must be");
    expect(stderr).toContain(
      '/outputs/2/url: is not a known option (got "postgres://pguser:***@127.0.0.1:5432/qubit"). did you mean "connection_string"?',
    );
    expect(stderr.trim().split("\n")).toHaveLength(2);
  });

  it("hides URL passwords in plugin checks", async () => {
    const path = configFile("rest-url.json", {
      rest: {
        url: "ftp://reader:FtpPassw0rdLeak@127.0.0.1/x?token=T0kenLeak",
        mapping: csvSection.mapping,
      },
    });
    const { code, stderr } = await run(["validate-config", path]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      '/rest/url: is not an http:// or https:// URL (got "ftp://127.0.0.1/x")',
    );
    expect(stderr).not.toContain("FtpPassw0rdLeak");
    expect(stderr).not.toContain("T0kenLeak");
  });

  it("explains an OCPP section by its role", async () => {
    const path = configFile("ocpp-mode.json", {
      ocpp: { mode: "csms", host: "127.0.0.1", port: 9000 },
    });
    const { code, stderr } = await run(["validate-config", path]);
    expect(code).toBe(1);
    expect(stderr).not.toContain("allowed form");
    expect(stderr).toContain(
      '/ocpp/role: is not set, so the "client" form applies. set role to one of "client", "central_system", "proxy" if another form is meant',
    );
    expect(stderr).toContain('/ocpp/mode: is not a known option (got "csms")');
  });

  it("names the allowed roles of a wrong role", async () => {
    const path = configFile("ocpp-role.json", { ocpp: [{ role: "csms" }] });
    const { stderr } = await run(["validate-config", path]);
    expect(stderr).toContain(
      '/ocpp/0/role: is not an allowed value (got "csms"). use one of "client", "central_system", "proxy"',
    );
    expect(stderr.trim().split("\n")).toHaveLength(2);
  });
});

describe("convert", () => {
  it("accepts a negative --payload", async () => {
    for (const flag of ["--payload", "-p"]) {
      const { code, stdout, stderr } = await run([
        "convert",
        "mqtt",
        "--topic",
        "org/site/meter/dev/power",
        flag,
        "-3.5",
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(JSON.parse(stdout).value).toBe(-3.5);
    }
  });

  it("still reports a missing option value", async () => {
    const { code, stderr } = await run([
      "convert",
      "mqtt",
      "--payload",
      "--topic",
      "a/b/c/d/e",
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("ambiguous");
  });

  it("prints each rejection once", async () => {
    const { code, stderr } = await spawnCli([
      "convert",
      "mqtt",
      "--topic",
      "org/site/meter/dev/power",
      "--payload",
      '{"value":1,"timestamp":"1970-01-01T00:00:00Z"}',
    ]);
    expect(code).toBe(1);
    expect(stderr.match(/QUBIT_CORE_TIMESTAMP_OUT_OF_RANGE/g)).toHaveLength(1);
    expect(stderr).toMatch(/^error: Timestamp 1970/);
  });
});

describe("closed stdout", () => {
  it("ends qubit schema quietly", async () => {
    const { code, stderr } = await spawnCli(["schema"], { closeStdout: true });
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("demo", () => {
  it("says that the temporary store is removed", async () => {
    const { code, stdout } = await run(["demo", "--duration", "2"]);
    expect(code).toBe(0);
    const store =
      /store (\S+)\/qubit\.db \(temporary: removed at exit unless --data-dir DIR is given\)/.exec(
        stdout,
      );
    expect(store).not.toBeNull();
    expect(existsSync(store![1]!)).toBe(false);
    expect(stdout).toContain(
      `Store removed: ${store![1]} was a temporary folder; run "qubit demo --data-dir DIR" to keep the store in DIR`,
    );
  });
});
