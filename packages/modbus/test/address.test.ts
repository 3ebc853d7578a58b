import { describe, expect, it } from "vitest";
import { parseModicon, resolveAddress } from "../src/index.js";

describe("Modicon references", () => {
  const cases: [number | string, string, number][] = [
    [40001, "holding_register", 0],
    ["40108", "holding_register", 107],
    [30001, "input_register", 0],
    ["30003", "input_register", 2],
    [10002, "discrete_input", 1],
    ["00003", "coil", 2],
    [3, "coil", 2],
    [49999, "holding_register", 9998],
    ["400001", "holding_register", 0],
    [465536, "holding_register", 65535],
    ["443000", "holding_register", 42999],
    ["000001", "coil", 0],
  ];
  for (const [reference, table, address] of cases) {
    it(`reads ${reference} as ${table} ${address}`, () => {
      expect(parseModicon(reference)).toEqual({ table, address });
    });
  }

  for (const bad of [
    57600,
    "57600",
    40000,
    "20001",
    465537,
    "4000001",
    "4x0001",
  ]) {
    it(`rejects ${bad}`, () => {
      const result = parseModicon(bad);
      expect("message" in result).toBe(true);
    });
  }

  it("names the pdu fix for 57600", () => {
    const result = parseModicon(57600) as { message: string; fix: string };
    expect(result.message).toContain(
      "57600 is not a valid 0xxxx/1xxxx/3xxxx/4xxxx reference",
    );
    expect(result.fix).toContain('"holding:57600"');
  });
});

describe("explicit addressing", () => {
  it("takes pdu addresses as they are", () => {
    expect(
      resolveAddress({ address: 57600, addressing: "pdu", function: 3 }),
    ).toEqual({
      table: "holding_register",
      address: 57600,
    });
  });

  it("subtracts one from one_based numbers", () => {
    expect(
      resolveAddress({
        address: 5017,
        addressing: "one_based",
        table: "holding",
      }),
    ).toEqual({
      table: "holding_register",
      address: 5016,
    });
  });

  it("reads table:offset strings as 0-based", () => {
    expect(resolveAddress({ address: "input:0" })).toEqual({
      table: "input_register",
      address: 0,
    });
    expect(resolveAddress({ address: "holding_register:57600" })).toEqual({
      table: "holding_register",
      address: 57600,
    });
  });

  it("defaults a point with a table to pdu", () => {
    expect(resolveAddress({ address: 200, table: "holding_register" })).toEqual(
      {
        table: "holding_register",
        address: 200,
      },
    );
  });

  it("rejects a table with a Modicon address", () => {
    const result = resolveAddress({
      address: 40001,
      addressing: "modicon",
      table: "holding",
    });
    expect("message" in result).toBe(true);
  });

  it("rejects a table that contradicts the function", () => {
    const result = resolveAddress({ address: 1, table: "input", function: 3 });
    expect("message" in result).toBe(true);
  });

  it("rejects one_based 0", () => {
    const result = resolveAddress({
      address: 0,
      addressing: "one_based",
      table: "holding",
    });
    expect("message" in result).toBe(true);
  });
});
