import { describe, expect, it } from "vitest";
import {
  decodeRegisters,
  encodeRegisters,
  type RegisterType,
} from "../src/index.js";

describe("register codec", () => {
  it("decodes C03's float32 and its off-by-one neighbour", () => {
    expect(decodeRegisters([0x4125, 0xeb85], 0, "float32", "ABCD")).toBeCloseTo(
      10.37,
      5,
    );
    // Read one register late, the same words in CDAB look plausible.
    expect(decodeRegisters([0xeb85, 0x4138], 0, "float32", "CDAB")).toBeCloseTo(
      11.5575,
      4,
    );
  });

  it("returns bigint beyond 2^53", () => {
    expect(
      decodeRegisters([0xffff, 0xffff, 0xffff, 0xffff], 0, "uint64", "ABCD"),
    ).toBe(2n ** 64n - 1n);
  });

  it("strips NUL padding from strings", () => {
    expect(
      decodeRegisters([0x4142, 0x4300, 0x0000], 0, "string", "ABCD", 3),
    ).toBe("ABC");
  });

  const values: [RegisterType, number | bigint | string][] = [
    ["int16", -2],
    ["uint16", 65535],
    ["int32", -70000],
    ["uint32", 4294967295],
    ["float32", Math.fround(-1.5e-3)],
    ["int64", -(2 ** 40)],
    ["uint64", 2 ** 50],
    ["float64", Math.PI],
  ];
  for (const order of ["ABCD", "CDAB", "BADC", "DCBA"] as const) {
    for (const [type, value] of values) {
      it(`round-trips ${type} ${order}`, () => {
        const words = encodeRegisters(value, type, order);
        expect(decodeRegisters(words, 0, type, order)).toBe(value);
      });
    }
  }

  it("round-trips text", () => {
    expect(
      decodeRegisters(
        encodeRegisters("SN-42", "string", "BADC", 4),
        0,
        "string",
        "BADC",
        4,
      ),
    ).toBe("SN-42");
  });

  it("rejects values that do not fit", () => {
    expect(() => encodeRegisters(70000, "uint16", "ABCD")).toThrow(RangeError);
    expect(() => encodeRegisters(1.5, "int32", "ABCD")).toThrow(RangeError);
  });
});
