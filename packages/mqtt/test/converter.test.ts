import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encode as encodeMsgpack } from "@msgpack/msgpack";
import protobuf from "protobufjs";
import { afterAll, describe, expect, it } from "vitest";
import { temporaryDir } from "./helpers/brokers.js";
import {
  closeTo,
  converterFor,
  convertOne,
  metric,
} from "./helpers/pipeline.js";

const T0 = Date.parse("2025-01-15T10:00:00.000Z");
const work = temporaryDir("qubit-mqtt-converter-");
afterAll(() => work.remove());

describe("default topic template", () => {
  const converter = converterFor({});

  it("reads a value/unit/timestamp payload", () => {
    const { readings, rejects } = convertOne(
      converter,
      "org_001/sit_solar_01/inv_01/dev_01/telemetry",
      '{"value": 5.2, "unit": "kW", "timestamp": "2025-01-15T11:00:00+01:00"}',
    );
    expect(rejects).toEqual([]);
    expect(readings).toHaveLength(1);
    const reading = readings[0]!;
    expect(reading.org_id).toBe("org_001");
    expect(reading.site_id).toBe("sit_solar_01");
    expect(reading.asset_id).toBe("inv_01");
    expect(reading.device_id).toBe("dev_01");
    expect(reading.metric).toBe("telemetry");
    expect(reading.value).toBe(5200);
    expect(reading.unit).toBe("W");
    expect(reading.timestamp).toBe("2025-01-15T10:00:00.000Z");
    expect(reading.quality).toBe("measured");
    expect(reading.source).toMatchObject({
      protocol: "mqtt",
      address: "org_001/sit_solar_01/inv_01/dev_01/telemetry",
    });
  });

  it("turns a multi-value object into one reading per field", () => {
    const { readings } = convertOne(
      converter,
      "o/s/meter_1/d/readings",
      '{"ts": 1736935200, "power": {"value": 2.5, "unit": "kW"}, "energy": {"value": 12.5, "unit": "kWh"}, "voltage": 230.1}',
    );
    expect(readings.map((r) => r.metric)).toEqual([
      "power",
      "energy",
      "voltage",
    ]);
    expect(metric(readings, "power").value).toBe(2500);
    expect(metric(readings, "energy").value).toBe(12500);
    expect(metric(readings, "energy").unit).toBe("Wh");
    expect(metric(readings, "voltage").value).toBe(230.1);
    expect(
      readings.every((r) => r.timestamp === "2025-01-15T10:00:00.000Z"),
    ).toBe(true);
  });

  it("turns an array of samples into readings with their own times", () => {
    const { readings } = convertOne(
      converter,
      "o/s/meter_1/d/history",
      '{"samples":[{"ts":1736935200000,"p":1},{"ts":1736935260000,"p":2}]}',
    );
    expect(readings).toHaveLength(2);
    expect(readings[0]).toMatchObject({
      metric: "samples.p",
      value: 1,
      timestamp: "2025-01-15T10:00:00.000Z",
    });
    expect(readings[1]).toMatchObject({
      metric: "samples.p",
      value: 2,
      timestamp: "2025-01-15T10:01:00.000Z",
    });
  });

  it("uses the receive time when the payload has none", () => {
    const { readings } = convertOne(converter, "o/s/a/d/power", "42", {
      receivedAt: T0 + 5,
    });
    expect(readings[0]).toMatchObject({
      value: 42,
      unit: "",
      timestamp: "2025-01-15T10:00:00.005Z",
    });
  });
});

describe("single-value JSON that names its metric", () => {
  const converter = converterFor({});
  const topic = "org_001/sit_solar_01/inv_01/dev_01/telemetry";
  const time = "2025-01-15T10:00:00Z";

  it("takes metric, asset and device from the payload", () => {
    const sent = [
      ["power", 5.2, "kW"],
      ["voltage", 231, "V"],
      ["current", 22.5, "A"],
    ] as const;
    const readings = sent.flatMap(([name, value, unit]) => {
      const result = convertOne(
        converter,
        topic,
        JSON.stringify({ metric: name, value, unit, timestamp: time }),
      );
      expect(result.rejects).toEqual([]);
      return result.readings;
    });
    expect(readings.map((r) => r.metric)).toEqual([
      "power",
      "voltage",
      "current",
    ]);
    expect(metric(readings, "power").value).toBe(5200);
    expect(metric(readings, "voltage").unit).toBe("V");
    expect(new Set(readings.map((r) => r.id)).size).toBe(3);
    for (const reading of readings) {
      expect(reading.asset_id).toBe("inv_01");
      expect(reading.device_id).toBe("dev_01");
    }

    const { readings: named } = convertOne(
      converter,
      topic,
      '{"asset_id":"inv_09","device_id":"dev_09","metric":"power","value":1}',
    );
    expect(named[0]!.asset_id).toBe("inv_09");
    expect(named[0]!.device_id).toBe("dev_09");
    expect(named[0]!.site_id).toBe("sit_solar_01");
  });

  it("ignores a metric that is not a non-empty string", () => {
    for (const payload of [
      '{"metric": 7, "value": 1}',
      '{"metric": "", "value": 1}',
    ]) {
      const { readings } = convertOne(converter, topic, payload);
      expect(readings[0]!.metric).toBe("telemetry");
    }
  });

  it("keeps the names a rule maps explicitly", () => {
    const ruled = converterFor({
      rules: [
        {
          filter: "+/+/+/+/telemetry",
          asset_id: "{3}",
          metric: "ac_power",
        },
      ],
    });
    const { readings, rejects } = convertOne(
      ruled,
      topic,
      '{"asset_id":"other","metric":"voltage","value":231,"unit":"V"}',
    );
    expect(rejects).toEqual([]);
    expect(readings[0]!.metric).toBe("ac_power");
    expect(readings[0]!.asset_id).toBe("inv_01");
  });
});

describe("routing rules", () => {
  it("maps asset id from a JSON path, constants, unit override and scale", () => {
    const converter = converterFor({
      rules: [
        {
          filter: "plant/+/raw",
          site_id: "site-{1}",
          asset_id: "$.meta.serial",
          metric: "ac",
          unit: "W",
          value: "$.data.p_mw",
          scale: 0.001,
          metadata: { vendor: "acme" },
        },
      ],
    });
    const { readings, rejects } = convertOne(
      converter,
      "plant/north/raw",
      '{"meta":{"serial":"INV-7"},"data":{"p_mw":1500}}',
    );
    expect(rejects).toEqual([]);
    expect(readings[0]).toMatchObject({
      site_id: "site-north",
      asset_id: "INV-7",
      metric: "ac",
      value: 1.5,
      unit: "W",
      metadata: { vendor: "acme" },
    });
  });

  it("maps selected fields with units and prefixes", () => {
    const converter = converterFor({
      rules: [
        {
          filter: "bms/+",
          asset_id: "{1}",
          metric: "bms",
          only_mapped_fields: true,
          fields: {
            "$.Dc.Power": { metric: "dc_power", unit: "W" },
            Soc: { unit: "%" },
            "Dc.Current": { unit: "mA", scale: 1000 },
          },
        },
      ],
    });
    const { readings } = convertOne(
      converter,
      "bms/pack1",
      '{"Dc":{"Power":1435.7,"Current":26.7,"Voltage":53.77},"Soc":95.9}',
    );
    expect(readings.map((r) => r.metric)).toEqual([
      "bms.dc_power",
      "bms.Dc.Current",
      "bms.Soc",
    ]);
    expect(metric(readings, "bms.Dc.Current")).toMatchObject({
      value: 26.7,
      unit: "A",
    });
    expect(metric(readings, "bms.Soc")).toMatchObject({
      value: 95.9,
      unit: "percent",
    });
  });

  it("reads the device time from an MQTT 5 user property", () => {
    const converter = converterFor({
      rules: [
        {
          filter: "dev/+/p",
          asset_id: "{1}",
          timestamp: "{property.ts}",
          unit: "W",
        },
      ],
    });
    const { readings } = convertOne(converter, "dev/m1/p", "7", {
      userProperties: { ts: "2025-01-15T09:59:00Z" },
    });
    expect(readings[0]).toMatchObject({
      value: 7,
      timestamp: "2025-01-15T09:59:00.000Z",
    });
  });

  it("reads local device times in a time zone", () => {
    const converter = converterFor({
      rules: [
        {
          filter: "dev/+/p",
          asset_id: "{1}",
          timestamp: "$.t",
          timestamp_format: "%d.%m.%Y %H:%M",
          timezone: "Europe/Berlin",
        },
      ],
    });
    const { readings } = convertOne(
      converter,
      "dev/m1/p",
      '{"t":"15.01.2025 11:00","value":3}',
    );
    expect(readings[0]!.timestamp).toBe("2025-01-15T10:00:00.000Z");
  });

  it("validates JSON payloads against a schema", () => {
    const converter = converterFor({
      rules: [
        {
          filter: "dev/+/p",
          asset_id: "{1}",
          schema: {
            type: "object",
            required: ["value"],
            properties: { value: { type: "number", minimum: 0 } },
          },
        },
      ],
    });
    expect(
      convertOne(converter, "dev/m1/p", '{"value":3}').readings,
    ).toHaveLength(1);
    const bad = convertOne(converter, "dev/m1/p", '{"value":-3}');
    expect(bad.readings).toHaveLength(0);
    expect(bad.rejects[0]!.code).toBe("QUBIT_MQTT_PAYLOAD_SCHEMA");
    expect(bad.rejects[0]!.message).toMatch(/\/value must be >= 0/);
  });
});

describe("binary payloads", () => {
  const proto = join(work.dir, "meter.proto");
  writeFileSync(
    proto,
    'syntax = "proto3";\npackage energy;\nmessage Meter {\n  string serial = 1;\n  double power_w = 2;\n  int64 ts_ms = 3;\n}\n',
  );
  const converter = converterFor({
    rules: [
      {
        filter: "pb/#",
        format: "protobuf",
        protobuf: { proto_file: proto, message_type: "energy.Meter" },
        asset_id: "$.serial",
        timestamp: "$.tsMs",
        fields: { powerW: { metric: "power", unit: "W" } },
        ignore_fields: ["serial"],
      },
      { filter: "mp/+", format: "msgpack", asset_id: "{1}" },
    ],
  });

  it("decodes Protobuf with a user's .proto", () => {
    const type = protobuf.loadSync(proto).lookupType("energy.Meter");
    const payload = type
      .encode(type.create({ serial: "M-1", powerW: 812.5, tsMs: T0 }))
      .finish();
    const { readings, rejects } = convertOne(converter, "pb/m1", payload);
    expect(rejects).toEqual([]);
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({
      asset_id: "M-1",
      metric: "power",
      value: 812.5,
      unit: "W",
      timestamp: "2025-01-15T10:00:00.000Z",
    });
  });

  it("dead-letters a Protobuf payload that does not decode", () => {
    const { readings, rejects } = convertOne(
      converter,
      "pb/m1",
      Uint8Array.from([0x0a, 0xff, 0xff, 0xff]),
    );
    expect(readings).toEqual([]);
    expect(rejects[0]!.code).toBe("QUBIT_MQTT_PAYLOAD_DECODE");
  });

  it("decodes MessagePack", () => {
    const payload = encodeMsgpack({ power: 12.5, energy: 3, ts: T0 });
    const { readings } = convertOne(converter, "mp/m2", payload);
    expect(metric(readings, "power").value).toBe(12.5);
    expect(metric(readings, "energy").value).toBe(3);
    expect(readings[0]!.timestamp).toBe("2025-01-15T10:00:00.000Z");
  });
});

describe("bad input is dead-lettered with its reason", () => {
  const converter = converterFor({ max_payload_bytes: 64 });
  const topic = "o/s/a/d/power";
  const cases: [string, string | Uint8Array, string, RegExp][] = [
    [
      "not JSON",
      '{"value": 1,',
      "QUBIT_MQTT_PAYLOAD_NOT_JSON",
      /not valid JSON/,
    ],
    [
      "JSON without a value",
      '{"unit":"kW"}',
      "QUBIT_MQTT_VALUE_MISSING",
      /no value/,
    ],
    ["NaN", "NaN", "QUBIT_MQTT_VALUE_NOT_FINITE", /NaN/],
    [
      "an object as value",
      '{"value":{"a":1}}',
      "QUBIT_MQTT_VALUE_TYPE",
      /an object/,
    ],
    [
      "text with a unit",
      '{"value":"abc","unit":"kW"}',
      "QUBIT_MQTT_VALUE_TYPE",
      /must be a number/,
    ],
    [
      "a unit that is not text",
      '{"value":1,"unit":5}',
      "QUBIT_MQTT_VALUE_TYPE",
      /Unit on topic .* must be text/,
    ],
    [
      "a bad timestamp",
      '{"value":1,"timestamp":"yesterday"}',
      "QUBIT_MQTT_TIMESTAMP_INVALID",
      /cannot be read/,
    ],
    [
      "invalid UTF-8",
      Uint8Array.from([0x7b, 0xc3, 0x28, 0x7d]),
      "QUBIT_MQTT_PAYLOAD_NOT_UTF8",
      /not valid UTF-8/,
    ],
    [
      "a payload over the maximum",
      `{"value":${"1".repeat(80)}}`,
      "QUBIT_MQTT_PAYLOAD_TOO_LARGE",
      /above max_payload_bytes/,
    ],
    ["an empty payload", "", "QUBIT_MQTT_PAYLOAD_EMPTY", /empty/],
  ];
  for (const [name, payload, code, message] of cases) {
    it(name, () => {
      const result = convertOne(converter, topic, payload);
      expect(result.readings).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]!.code).toBe(code);
      expect(result.rejects[0]!.message).toMatch(message);
      expect(result.rejects[0]!.location).toMatchObject({ topic });
      expect(result.rejects[0]!.fix).toBeTruthy();
    });
  }

  it("a topic that does not match the template", () => {
    const result = convertOne(converter, "a/b", "1");
    expect(result.rejects[0]!.code).toBe("QUBIT_MQTT_TOPIC_MISMATCH");
    expect(result.rejects[0]!.message).toMatch(/2 levels, template has 5/);
  });
});

describe("bare nan inside JSON", () => {
  const converter = converterFor({
    rules: [
      {
        filter: "+/stats",
        asset_id: "{1}",
        fields: {
          battery: { unit: "%" },
          humidity: { unit: "%" },
          temperature: { unit: "°C" },
        },
        ignore_fields: ["uptime"],
      },
    ],
  });
  const inputs: [string, number][] = [
    [
      '{"uptime":74001,"battery":61,"temperature":nan,"humidity":48.2}',
      Date.parse("2025-02-10T08:00:00Z"),
    ],
    [
      '{"uptime":74061,"battery":61,"temperature":-nan,"humidity":NaN}',
      Date.parse("2025-02-10T08:01:00Z"),
    ],
    [
      '{"uptime":74121,"battery":60,"temperature":21.7,"humidity":47.9}',
      Date.parse("2025-02-10T08:02:00Z"),
    ],
  ];
  const results = inputs.map(([payload, receivedAt]) =>
    convertOne(converter, "disp-3/stats", payload, { receivedAt }),
  );

  it("keeps every finite field", () => {
    const rows = results.flatMap((result) =>
      result.readings.map((r) => ({
        asset_id: r.asset_id,
        metric: r.metric,
        value: r.value,
        unit: r.unit,
        timestamp: r.timestamp,
        quality: r.quality,
      })),
    );
    expect(rows).toEqual([
      {
        asset_id: "disp-3",
        metric: "battery",
        value: 61,
        unit: "percent",
        timestamp: "2025-02-10T08:00:00.000Z",
        quality: "measured",
      },
      {
        asset_id: "disp-3",
        metric: "humidity",
        value: 48.2,
        unit: "percent",
        timestamp: "2025-02-10T08:00:00.000Z",
        quality: "measured",
      },
      {
        asset_id: "disp-3",
        metric: "battery",
        value: 61,
        unit: "percent",
        timestamp: "2025-02-10T08:01:00.000Z",
        quality: "measured",
      },
      {
        asset_id: "disp-3",
        metric: "battery",
        value: 60,
        unit: "percent",
        timestamp: "2025-02-10T08:02:00.000Z",
        quality: "measured",
      },
      {
        asset_id: "disp-3",
        metric: "temperature",
        value: 21.7,
        unit: "celsius",
        timestamp: "2025-02-10T08:02:00.000Z",
        quality: "measured",
      },
      {
        asset_id: "disp-3",
        metric: "humidity",
        value: 47.9,
        unit: "percent",
        timestamp: "2025-02-10T08:02:00.000Z",
        quality: "measured",
      },
    ]);
  });

  it("reports each nan field with topic, field and offset", () => {
    expect(results.map((result) => result.rejects.length)).toEqual([1, 2, 0]);
    const first = results[0]!.rejects[0]!;
    expect(first.code).toBe("QUBIT_MQTT_VALUE_NOT_FINITE");
    expect(first.location).toEqual({
      topic: "disp-3/stats",
      field: "temperature",
      offset: 43,
    });
    expect(results[1]!.rejects.map((r) => r.location?.field)).toEqual([
      "temperature",
      "humidity",
    ]);
    expect(results[1]!.rejects.map((r) => r.value)).toEqual(["-nan", "NaN"]);
  });

  it("never stores NaN as a good value", () => {
    for (const result of results)
      for (const reading of result.readings)
        expect(Number.isFinite(reading.value as number)).toBe(true);
  });

  it("rejects the whole message with strict_json", () => {
    const strict = converterFor({
      strict_json: true,
      rules: [{ filter: "+/stats", asset_id: "{1}" }],
    });
    const result = convertOne(strict, "disp-3/stats", inputs[0]![0]);
    expect(result.readings).toEqual([]);
    expect(result.rejects[0]!.code).toBe("QUBIT_MQTT_PAYLOAD_NOT_JSON");
    expect(result.rejects[0]!.location).toMatchObject({
      topic: "disp-3/stats",
      offset: 43,
    });
  });
});

describe("float noise", () => {
  it("keeps float32 artefacts within tolerance after kWh to Wh", () => {
    const converter = converterFor({ presets: ["victron"] });
    const { readings } = convertOne(
      converter,
      "N/p/inverter/0/Yield/User",
      '{"value":43.40999984741211}',
    );
    expect(closeTo(readings[0]!.value, 43409.99984741211)).toBe(true);
  });
});
