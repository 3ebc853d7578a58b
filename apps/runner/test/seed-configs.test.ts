import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allPlugins, connectorsOf, loadConfig } from "../src/index.js";

// The config examples of the original product page, as written there
// (snake_case JSON), each as the section of a runner config file.
// The TLS example names /path/to/ placeholders; the config check opens
// the files, so the test points them at a key and a certificate it makes.
const dir = mkdtempSync(join(tmpdir(), "qubit-seed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
execFileSync(
  "openssl",
  [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    join(dir, "client.key"),
    "-out",
    join(dir, "client.crt"),
  ],
  { stdio: "ignore" },
);
const text = readFileSync(
  new URL("./fixtures/seed-configs.json", import.meta.url),
  "utf8",
)
  .replace("/path/to/ca.pem", join(dir, "client.crt"))
  .replace("/path/to/client.crt", join(dir, "client.crt"))
  .replace("/path/to/client.key", join(dir, "client.key"));
const examples = JSON.parse(text) as Record<string, Record<string, unknown>>;

const env = { MQTT_USERNAME: "meter-reader", MQTT_PASSWORD: "s3cret" };

describe("seed config examples", () => {
  const plugins = allPlugins();

  it.each(Object.keys(examples))("%s validates", (name) => {
    const { config } = loadConfig(examples[name], plugins, {
      env,
      source: name,
    });
    const [protocol] = Object.keys(examples[name]!);
    expect(connectorsOf(config, protocol!)).toHaveLength(1);
  });

  it.each(Object.keys(examples))("%s creates a connector", (name) => {
    const { config } = loadConfig(examples[name], plugins, {
      env,
      source: name,
    });
    const [protocol] = Object.keys(examples[name]!);
    const plugin = plugins.find((candidate) => candidate.protocol === protocol);
    const [entry] = connectorsOf(config, protocol!);
    const connector = plugin!.create(entry!.config, { name: entry!.name });
    expect(connector.protocol).toBe(protocol);
    expect(connector.status).toBe("idle");
  });

  it("fills the TLS credentials from the environment", () => {
    const { config } = loadConfig(examples.mqtt_tls, plugins, { env });
    const [entry] = connectorsOf<{
      auth: { username: string; password: string };
    }>(config, "mqtt");
    expect(entry?.config.auth).toMatchObject({
      username: "meter-reader",
      password: "s3cret",
    });
  });
});
