import { describe, expect, it } from "vitest";
import {
  deepJsonOffset,
  isNestedDeeper,
  MAX_NESTING_DEPTH,
} from "../src/payload/depth.js";
import { converterFor, convertOne } from "./helpers/pipeline.js";

const topic = "o/s/a/d/power";

describe("plain payload forms", () => {
  const converter = converterFor({});
  const read: [string, string, unknown][] = [
    ["a number with spaces around it", "  42.5 \n", 42.5],
    ["a signed exponent", "-1.5e3", -1500],
    ["a hex number", "0x1F", 31],
    ["a negative hex number", "-0x10", -16],
    ["true", "true", true],
    ["FALSE", "FALSE", false],
    ["on", "on", true],
    ["Off", "Off", false],
    ["text", "Normal", "Normal"],
  ];
  for (const [name, payload, value] of read) {
    it(`reads ${name}`, () => {
      const result = convertOne(converter, topic, payload);
      expect(result.rejects).toEqual([]);
      expect(result.readings).toHaveLength(1);
      expect(result.readings[0]!.value).toBe(value);
    });
  }

  const rejected: [string, string, string, RegExp][] = [
    ["an overflowing number", "1e400", "QUBIT_MQTT_VALUE_NOT_FINITE", /1e400/],
    ["a number with a unit", "12.5 kW", "QUBIT_MQTT_VALUE_TYPE", /12\.5 kW/],
    ["a number with spaces inside", "1 000", "QUBIT_MQTT_VALUE_TYPE", /1 000/],
    [
      "a hex number above 2^53",
      "0x1FFFFFFFFFFFFFFFF",
      "QUBIT_MQTT_VALUE_TYPE",
      /0x1FFFFFFFFFFFFFFFF/,
    ],
    ["an empty payload", "", "QUBIT_MQTT_PAYLOAD_EMPTY", /empty/],
    ["white space only", " \n\t", "QUBIT_MQTT_PAYLOAD_EMPTY", /white space/],
    [
      "an overflowing JSON string value",
      '{"value":"1e400"}',
      "QUBIT_MQTT_VALUE_NOT_FINITE",
      /1e400/,
    ],
  ];
  for (const [name, payload, code, value] of rejected) {
    it(`dead-letters ${name} with topic, value and fix`, () => {
      const result = convertOne(converter, topic, payload);
      expect(result.readings).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      const reject = result.rejects[0]!;
      expect(reject.code).toBe(code);
      expect(reject.message).toMatch(value);
      expect(reject.message).toContain(topic);
      expect(reject.fix).toBeTruthy();
    });
  }

  it("rejects white space as JSON", () => {
    const json = converterFor({ rules: [{ filter: "#", format: "json" }] });
    const result = convertOne(json, topic, "  \n");
    expect(result.rejects[0]!.code).toBe("QUBIT_MQTT_PAYLOAD_EMPTY");
  });

  it("keeps number with unit as text", () => {
    const text = converterFor({ rules: [{ filter: "#", format: "text" }] });
    const result = convertOne(text, topic, "12.5 kW");
    expect(result.rejects).toEqual([]);
    expect(result.readings[0]!.value).toBe("12.5 kW");
  });
});

describe("dead-letter messages", () => {
  const converter = converterFor({ max_payload_bytes: 64 });
  const cases: [string, string | Uint8Array, RegExp][] = [
    ["not JSON", '{"value": 1,', /\{\\"value\\": 1,/],
    ["JSON without a value", '{"unit":"kW"}', /\{"unit":"kW"\}/],
    ["NaN", "NaN", /NaN/],
    ["an object as value", '{"value":{"a":1}}', /\{"a":1\}/],
    ["a bad timestamp", '{"value":1,"timestamp":"yesterday"}', /yesterday/],
    ["invalid UTF-8", Uint8Array.from([0x7b, 0xc3, 0x28, 0x7d]), /0x7bc3287d/],
    ["a payload over the maximum", `{"value":${"1".repeat(80)}}`, /90 bytes/],
  ];
  for (const [name, payload, value] of cases) {
    it(`names topic, value and fix for ${name}`, () => {
      const result = convertOne(converter, topic, payload);
      const reject = result.rejects[0]!;
      expect(reject.message).toContain(topic);
      expect(reject.message).toMatch(value);
      expect(reject.fix).toBeTruthy();
    });
  }
});

describe("nesting depth", () => {
  it("finds the first bracket past the maximum", () => {
    const text = "[".repeat(MAX_NESTING_DEPTH + 1) + "]".repeat(70);
    expect(deepJsonOffset(text)).toBe(MAX_NESTING_DEPTH);
    expect(deepJsonOffset(`"${"[".repeat(200)}"`)).toBeUndefined();
    const fits = "[".repeat(MAX_NESTING_DEPTH) + "]".repeat(MAX_NESTING_DEPTH);
    expect(deepJsonOffset(fits)).toBeUndefined();
  });

  it("checks decoded values without recursion", () => {
    let deep: unknown = 1;
    for (let level = 0; level < 100_000; level += 1) deep = { a: deep };
    expect(isNestedDeeper(deep)).toBe(true);
    expect(isNestedDeeper({ a: [1, { b: 2 }] })).toBe(false);
  });

  it("dead-letters deep JSON and MessagePack", () => {
    const converter = converterFor({});
    const json = convertOne(
      converter,
      topic,
      `{"value":${"[".repeat(5_000)}${"]".repeat(5_000)}}`,
    );
    expect(json.rejects[0]!.code).toBe("QUBIT_MQTT_PAYLOAD_TOO_DEEP");
    expect(json.rejects[0]!.message).toContain(topic);
    // MessagePack: 0x91 is an array of one element, 100 levels deep.
    const msgpack = converterFor({
      rules: [{ filter: "#", format: "msgpack" }],
    });
    const packed = Uint8Array.from([...Array(100).fill(0x91), 0x01]);
    const result = convertOne(msgpack, topic, packed);
    expect(result.rejects[0]!.code).toBe("QUBIT_MQTT_PAYLOAD_TOO_DEEP");
  });
});

describe("receive time per series", () => {
  it("moves a repeated receive time on by 1 ms", () => {
    const converter = converterFor({});
    const at = Date.parse("2025-01-15T10:00:00.000Z");
    const times = [1, 2, 3].map(
      (value) =>
        convertOne(converter, topic, String(value), { receivedAt: at })
          .readings[0]!.timestamp,
    );
    expect(times).toEqual([
      "2025-01-15T10:00:00.000Z",
      "2025-01-15T10:00:00.001Z",
      "2025-01-15T10:00:00.002Z",
    ]);
    const other = convertOne(converter, "o/s/b/d/power", "1", {
      receivedAt: at,
    });
    expect(other.readings[0]!.timestamp).toBe("2025-01-15T10:00:00.000Z");
    const device = convertOne(
      converter,
      topic,
      '{"value":4,"timestamp":"2025-01-15T10:00:00.000Z"}',
      { receivedAt: at },
    );
    expect(device.readings[0]!.timestamp).toBe("2025-01-15T10:00:00.000Z");
  });
});

describe("booleans with a unit", () => {
  const converter = converterFor({});
  const rejected: [string, string][] = [
    ["a JSON boolean", '{"value":true,"unit":"kW"}'],
    ["a JSON false", '{"value":false,"unit":"kW"}'],
    ["an on/off word", '{"value":"on","unit":"kW"}'],
  ];
  for (const [name, payload] of rejected) {
    it(`dead-letters ${name} with kW`, () => {
      const result = convertOne(converter, topic, payload);
      expect(result.readings).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      const reject = result.rejects[0]!;
      expect(reject.code).toBe("QUBIT_MQTT_VALUE_TYPE");
      expect(reject.message).toContain(topic);
      expect(reject.message).toContain("the unit is kW");
      expect(reject.message).toMatch(/true|false|"on"/);
      expect(reject.fix).toContain("without a unit");
    });
  }

  it("dead-letters a boolean field with a rule's unit", () => {
    const rule = converterFor({
      rules: [{ filter: "#", fields: { p: { unit: "W" } } }],
    });
    const result = convertOne(rule, topic, '{"p":true,"q":1}');
    expect(result.readings.map((reading) => reading.metric)).toEqual(["q"]);
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]!.message).toContain("Field p");
    expect(result.rejects[0]!.message).toContain("the unit is W");
  });

  it("keeps a boolean with a boolean unit", () => {
    const result = convertOne(converter, topic, '{"value":true,"unit":"bool"}');
    expect(result.rejects).toEqual([]);
    expect(result.readings[0]!.value).toBe(true);
  });

  it("keeps a boolean without a unit", () => {
    const result = convertOne(converter, topic, '{"value":true}');
    expect(result.rejects).toEqual([]);
    expect(result.readings[0]!.value).toBe(true);
  });
});

describe("top-level arrays", () => {
  it("name elements after the topic metric", () => {
    const result = convertOne(converterFor({}), topic, "[1,2,3]");
    expect(result.rejects).toEqual([]);
    const metrics = result.readings.map((reading) => reading.metric);
    expect(metrics).toEqual(["power.0", "power.1", "power.2"]);
    expect(result.readings.map((reading) => reading.value)).toEqual([1, 2, 3]);
  });

  it("name elements after the last level otherwise", () => {
    const converter = converterFor({
      rules: [{ filter: "#", topic_template: "{asset_id}/+" }],
    });
    const result = convertOne(converter, "meter/voltages", "[230,231]");
    const metrics = result.readings.map((reading) => reading.metric);
    expect(metrics).toEqual(["voltages.0", "voltages.1"]);
  });

  it("keep a rule's field names", () => {
    const converter = converterFor({
      rules: [{ filter: "#", fields: { "0": { metric: "l1", unit: "V" } } }],
    });
    const result = convertOne(converter, topic, "[230,231]");
    const metrics = result.readings.map((reading) => reading.metric);
    expect(metrics).toEqual(["l1", "power.1"]);
  });
});
