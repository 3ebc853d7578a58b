import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChargePointClient } from "../src/client/charge-point-client.js";
import { hashPassword, verifyPassword } from "../src/csms/registry.js";
import { startCsms, type TestCsms } from "./helpers/csms.js";
import { RawClient } from "./helpers/raw-client.js";

// Security profiles 1 (basic auth), 2 (basic auth over TLS) and 3 (TLS
// with client certificates), with certificates made by openssl here.

const dir = mkdtempSync(join(tmpdir(), "qubit-ocpp-tls-"));
const file = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

function makeCertificates(): void {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=Qubit Test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  );
  execFileSync(
    "sh",
    ["-c", "printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext"],
    { cwd: dir },
  );
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "server.ext",
    "-out",
    "server.pem",
  );
  for (const name of ["TLS-CP-1", "OTHER-CP"]) {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${name}.pem`,
    );
  }
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=TLS-CP-1",
    "-keyout",
    "rogue.key",
    "-out",
    "rogue.pem",
  );
}

beforeAll(() => {
  makeCertificates();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function connects(
  client: ChargePointClient,
  waitMs = 1_500,
): Promise<boolean> {
  client.start();
  const result = await Promise.race([
    client.whenConnected().then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs)),
  ]);
  await client.close();
  return result;
}

describe("password hashes", () => {
  it("verifies scrypt hashes in constant time", async () => {
    const hash = await hashPassword("s3cret");
    expect(await verifyPassword(Buffer.from("s3cret"), hash)).toBe(true);
    expect(await verifyPassword(Buffer.from("s3cret!"), hash)).toBe(false);
    expect(await verifyPassword(Buffer.from("s3cret"), "scrypt$broken")).toBe(
      false,
    );
  });
});

describe("security profile 1", () => {
  let server: TestCsms;
  beforeAll(async () => {
    server = await startCsms({
      security_profile: 1,
      charge_points: {
        "SP1-CP": { password_hash: await hashPassword("pass-1") },
      },
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("accepts the right password", async () => {
    const client = new ChargePointClient({
      version: "1.6",
      url: server.url,
      identity: "SP1-CP",
      basicAuth: { username: "SP1-CP", password: "pass-1" },
    });
    expect(await connects(client)).toBe(true);
  });

  it("refuses a wrong or missing password with 401", async () => {
    await expect(
      RawClient.open(`${server.url}/SP1-CP`, ["ocpp1.6"], {
        headers: {
          authorization: `Basic ${Buffer.from("SP1-CP:nope").toString("base64")}`,
        },
      }),
    ).rejects.toMatchObject({ status: 401 });
    await expect(
      RawClient.open(`${server.url}/SP1-CP`, ["ocpp1.6"]),
    ).rejects.toMatchObject({ status: 401 });
  });

  it("refuses an unknown charge point", async () => {
    await expect(
      RawClient.open(`${server.url}/WHO`, ["ocpp1.6"], {
        headers: {
          authorization: `Basic ${Buffer.from("WHO:x").toString("base64")}`,
        },
      }),
    ).rejects.toMatchObject({ status: 401 });
  });
});

describe("security profile 2", () => {
  let server: TestCsms;
  beforeAll(async () => {
    server = await startCsms({
      security_profile: 2,
      tls: { cert_file: file("server.pem"), key_file: file("server.key") },
      charge_points: { "SP2-CP": { password: "pass-2" } },
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("accepts basic auth over TLS", async () => {
    expect(server.url.startsWith("wss://")).toBe(true);
    const client = new ChargePointClient({
      version: "2.0.1",
      url: server.url,
      identity: "SP2-CP",
      basicAuth: { username: "SP2-CP", password: "pass-2" },
      tls: { caFile: file("ca.pem") },
    });
    expect(await connects(client)).toBe(true);
  });

  it("refuses a client that does not trust the server", async () => {
    await expect(
      RawClient.open(`${server.url}/SP2-CP`, ["ocpp2.0.1"]),
    ).rejects.toThrow(/self.signed|unable to verify|certificate/i);
  });
});

describe("security profile 3", () => {
  let server: TestCsms;
  beforeAll(async () => {
    server = await startCsms({
      security_profile: 3,
      tls: {
        cert_file: file("server.pem"),
        key_file: file("server.key"),
        ca_file: file("ca.pem"),
      },
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  const client = (identity: string, cert: string) =>
    new ChargePointClient({
      version: "1.6",
      url: server.url,
      identity,
      tls: {
        caFile: file("ca.pem"),
        certFile: file(`${cert}.pem`),
        keyFile: file(`${cert}.key`),
      },
      reconnectInitialDelayMs: 100,
    });

  it("accepts a client certificate signed by the CA for the same id", async () => {
    expect(await connects(client("TLS-CP-1", "TLS-CP-1"))).toBe(true);
  });

  it("refuses a certificate made for another charge point", async () => {
    expect(await connects(client("TLS-CP-1", "OTHER-CP"), 800)).toBe(false);
  });

  it("refuses a self-signed certificate", async () => {
    expect(await connects(client("TLS-CP-1", "rogue"), 800)).toBe(false);
  });

  it("refuses a client without a certificate", async () => {
    await expect(
      RawClient.open(`${server.url}/TLS-CP-1`, ["ocpp1.6"], {
        ca: readFileSync(file("ca.pem")),
      }),
    ).rejects.toThrow();
  });
});
