import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  checkConfig,
  parseConfig,
  substituteEnv,
} from "../src/index.js";

describe("substituteEnv", () => {
  it("replaces variables and defaults", () => {
    const { value, issues } = substituteEnv(
      {
        auth: { username: "${USER_NAME}", password: "${PASS:-secret}" },
        list: ["${HOST}:1883"],
        literal: "$${HOME}",
      },
      { USER_NAME: "meter", HOST: "broker" },
    );
    expect(issues).toEqual([]);
    expect(value).toEqual({
      auth: { username: "meter", password: "secret" },
      list: ["broker:1883"],
      literal: "${HOME}",
    });
  });

  it("names the path of an unset variable", () => {
    const { issues } = substituteEnv(
      { mqtt: { auth: { password: "${MQTT_PASSWORD}" } } },
      {},
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: "/mqtt/auth/password" });
    expect(issues[0]?.message).toMatch(/MQTT_PASSWORD is not set/);
    expect(issues[0]?.fix).toMatch(/MQTT_PASSWORD:-default/);
  });
});

describe("checkConfig", () => {
  const schema = Type.Object(
    {
      broker: Type.String({ description: "Broker URL" }),
      qos: Type.Optional(
        Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], {
          default: 1,
        }),
      ),
      keepalive: Type.Number({ default: 60, description: "seconds" }),
      topics: Type.Union([Type.String(), Type.Array(Type.String())]),
    },
    { additionalProperties: false },
  );

  it("applies defaults and converts strings from env tokens", () => {
    const { value, issues } = checkConfig<{ qos: number; keepalive: number }>(
      schema,
      {
        broker: "mqtt://x",
        topics: "a/#",
        keepalive: "30",
      },
    );
    expect(issues).toEqual([]);
    expect(value.qos).toBe(1);
    expect(value.keepalive).toBe(30);
  });

  it("names the path, the value and the fix", () => {
    const { issues } = checkConfig(schema, {
      broker: "mqtt://x",
      topics: "a",
      qos: 3,
      keeplive: 5,
    });
    const qos = issues.find((issue) => issue.path === "/qos");
    expect(qos?.value).toBe(3);
    expect(qos?.fix).toMatch(/0, 1, 2/);
    const typo = issues.find((issue) => issue.path === "/keeplive");
    expect(typo?.message).toMatch(/not a known option/);
    expect(typo?.fix).toMatch(/did you mean "keepalive"/);
  });

  it("reports a missing required key", () => {
    const { issues } = checkConfig(schema, { topics: "a" });
    expect(issues.find((issue) => issue.path === "/broker")?.message).toBe(
      "is required",
    );
  });

  it("descends into the matching union member", () => {
    const { issues } = checkConfig(schema, { broker: "x", topics: ["a", {}] });
    expect(issues.map((issue) => issue.path)).toContain("/topics/1");
  });

  it("throws a ConfigError listing every issue", () => {
    expect(() => parseConfig(schema, { qos: 7 }, "config.json")).toThrow(
      ConfigError,
    );
    try {
      parseConfig(schema, { qos: 7 }, "config.json");
    } catch (error) {
      expect((error as ConfigError).message).toMatch(/config.json/);
      expect((error as ConfigError).message).toMatch(/\/broker: is required/);
      expect((error as ConfigError).code).toBe("QUBIT_CORE_CONFIG_INVALID");
    }
  });

  it("reports a missing key once", () => {
    const { issues } = checkConfig(schema, { topics: "a" });
    expect(issues.filter((issue) => issue.path === "/broker")).toHaveLength(1);
  });

  it("never echoes a secret value", () => {
    const secretSchema = Type.Object({
      auth: Type.Object({ password: Type.String({ minLength: 12 }) }),
      token: Type.String({ minLength: 20 }),
    });
    const { issues } = checkConfig(secretSchema, {
      auth: { password: "hunter2" },
      token: "short-token",
    });
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      "/auth/password",
      "/token",
    ]);
    for (const issue of issues) expect(issue.value).toBeUndefined();
    expect(JSON.stringify(issues)).not.toContain("hunter2");
    expect(JSON.stringify(issues)).not.toContain("short-token");
  });

  it("hides the password of a URL", () => {
    const { issues } = checkConfig(schema, {
      broker: "mqtt://x",
      topics: "a",
      url: "postgres://pguser:PgPassw0rd@127.0.0.1/q?token=T0ken&db=x",
    });
    const text = JSON.stringify(issues);
    expect(text).not.toContain("PgPassw0rd");
    expect(text).not.toContain("T0ken");
    expect(issues[0]?.value).toBe(
      "postgres://pguser:***@127.0.0.1/q?token=***&db=x",
    );
  });

  it("hides the password of a URL without scheme", () => {
    const { issues } = checkConfig(schema, {
      broker: "mqtt://x",
      topics: "a",
      url: "alice:S3cretPw@127.0.0.1",
    });
    const text = JSON.stringify(issues);
    expect(text).not.toContain("S3cretPw");
    expect(text).toContain("alice:***@127.0.0.1");
  });
});

describe("checkConfig with a discriminated union", () => {
  const outputs = Type.Union([
    Type.Object(
      { type: Type.Literal("sqlite"), path: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal("postgres"),
        connection_string: Type.Optional(
          Type.String({ "x-mistaken-names": ["url", "dsn"] }),
        ),
        table: Type.String({ default: "readings" }),
      },
      { additionalProperties: false },
    ),
  ]);
  const roles = Type.Union([
    Type.Object(
      {
        role: Type.Optional(Type.Literal("client")),
        url: Type.String(),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      { role: Type.Literal("server"), port: Type.Integer() },
      { additionalProperties: false },
    ),
  ]);

  it("reports the branch the type selects", () => {
    const { issues } = checkConfig(Type.Array(outputs), [
      { type: "postgres", url: "postgres://u:S3cret@127.0.0.1/q" },
    ]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe("/0/url");
    expect(issues[0]?.message).toBe("is not a known option");
    expect(issues[0]?.fix).toBe('did you mean "connection_string"?');
    expect(JSON.stringify(issues)).not.toContain("S3cret");
    expect(JSON.stringify(issues)).not.toMatch(/must be/);
  });

  it("names the key when the type is missing", () => {
    const { issues } = checkConfig(Type.Array(outputs), [{ typ: "sqlite" }]);
    expect(issues).toEqual([
      {
        path: "/0/type",
        message: "is required",
        fix: 'add it: one of "sqlite", "postgres"',
        severity: "error",
      },
    ]);
  });

  it("lists the values of a wrong type", () => {
    const { issues } = checkConfig(Type.Array(outputs), [{ type: "pg" }]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe("/0/type");
    expect(issues[0]?.fix).toBe('use one of "sqlite", "postgres"');
  });

  it("uses the branch with an optional key", () => {
    const section = Type.Union([roles, Type.Array(roles)]);
    const { issues } = checkConfig(section, { mode: "server", port: 1 });
    const paths = issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(["/mode", "/port", "/role", "/url"]);
    const role = issues.find((issue) => issue.path === "/role");
    expect(role?.message).toBe('is not set, so the "client" form applies');
    expect(role?.fix).toBe(
      'set role to one of "client", "server" if another form is meant',
    );
    expect(JSON.stringify(issues)).not.toMatch(/allowed form/);
  });
});
