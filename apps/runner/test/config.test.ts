import type { ConnectorPlugin } from "@qubit/core";
import { ConfigError } from "@qubit/core";
import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { configFromEnv, connectorsOf, loadConfig } from "../src/index.js";

/** A plugin with a small schema, standing in for a protocol package. */
const fakePlugin: ConnectorPlugin<{ name?: string; url: string; id?: string }> =
  {
    protocol: "fake",
    configSchema: Type.Object(
      {
        name: Type.Optional(Type.String()),
        url: Type.String({ description: "Peer URL" }),
        id: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    check(connectors) {
      const seen = new Set<string>();
      return connectors.flatMap((connector) => {
        const id = connector.config.id;
        if (!id || !seen.has(id)) {
          if (id) seen.add(id);
          return [];
        }
        return [
          {
            path: `${connector.path}/id`,
            message: `id "${id}" is used twice`,
            severity: "error" as const,
          },
        ];
      });
    },
    create: () => {
      throw new Error("not used");
    },
  };

describe("loadConfig", () => {
  it("applies defaults to an empty config", () => {
    const { config } = loadConfig({}, [fakePlugin], { env: {} });
    expect(config.data_dir).toBe("qubit-data");
    expect(config.outputs).toEqual([{ type: "sqlite" }]);
    expect(config.pipeline).toMatchObject({
      batch_size: 500,
      unit_mode: "base",
    });
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 9464 });
  });

  it("substitutes environment variables", () => {
    const { config } = loadConfig(
      { fake: { url: "${PEER:-ws://127.0.0.1:1}" } },
      [fakePlugin],
      {
        env: {},
      },
    );
    expect(connectorsOf<{ url: string }>(config, "fake")[0]?.config.url).toBe(
      "ws://127.0.0.1:1",
    );
  });

  it("names each connector and its path", () => {
    const { config } = loadConfig(
      { fake: [{ url: "a" }, { url: "b", name: "second" }] },
      [fakePlugin],
      { env: {} },
    );
    expect(connectorsOf(config, "fake").map((c) => [c.name, c.path])).toEqual([
      ["fake-1", "/fake/0"],
      ["second", "/fake/1"],
    ]);
  });

  it("reports schema errors with paths and fixes", () => {
    try {
      loadConfig(
        { fake: { ulr: "a" }, pipeline: { batch_size: 0 } },
        [fakePlugin],
        { env: {}, source: "x.json" },
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const paths = (error as ConfigError).issues.map((issue) => issue.path);
      expect(paths).toContain("/fake/url");
      expect(paths).toContain("/fake/ulr");
      expect(paths).toContain("/pipeline/batch_size");
      expect((error as ConfigError).message).toMatch(/did you mean "url"/);
    }
  });

  it("reports an unset variable with its path", () => {
    expect(() =>
      loadConfig({ fake: { url: "${NOPE}" } }, [fakePlugin], { env: {} }),
    ).toThrow(/\/fake\/url: environment variable NOPE is not set/);
  });

  it("runs the plugin's own checks", () => {
    expect(() =>
      loadConfig(
        {
          fake: [
            { url: "a", id: "x" },
            { url: "b", id: "x" },
          ],
        },
        [fakePlugin],
        { env: {} },
      ),
    ).toThrow(/\/fake\/1\/id: id "x" is used twice/);
  });

  it("rejects two connectors with one name", () => {
    expect(() =>
      loadConfig(
        {
          fake: [
            { url: "a", name: "n" },
            { url: "b", name: "n" },
          ],
        },
        [fakePlugin],
        { env: {} },
      ),
    ).toThrow(/connector name "n" is already used/);
  });

  it("applies section defaults before reporting a typo", () => {
    const withDefault: ConnectorPlugin<{ url: string; retries: number }> = {
      ...fakePlugin,
      configSchema: Type.Object(
        {
          url: Type.String(),
          retries: Type.Integer({ default: 3 }),
        },
        { additionalProperties: false },
      ),
    } as unknown as ConnectorPlugin<{ url: string; retries: number }>;
    try {
      loadConfig({ fake: { url: "a", retires: 5 } }, [withDefault], {
        env: {},
      });
      expect.unreachable();
    } catch (error) {
      const paths = (error as ConfigError).issues.map((issue) => issue.path);
      expect(paths).toEqual(["/fake/retires"]);
    }
  });

  it("rejects unknown top-level keys", () => {
    expect(() => loadConfig({ mqttt: {} }, [fakePlugin], { env: {} })).toThrow(
      /\/mqttt: is not a known option/,
    );
  });
});

describe("configFromEnv", () => {
  it("builds an MQTT connector from the container variables", () => {
    expect(
      configFromEnv({
        MQTT_BROKER: "mqtt://127.0.0.1:1883",
        MQTT_TOPICS: "+/+/meter/+/readings, a/#",
      }),
    ).toEqual({
      mqtt: {
        broker: "mqtt://127.0.0.1:1883",
        topics: ["+/+/meter/+/readings", "a/#"],
      },
    });
  });

  it("returns nothing without MQTT_BROKER", () => {
    expect(configFromEnv({})).toBeUndefined();
  });
});
