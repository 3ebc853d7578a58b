import { describe, expect, it } from "vitest";
import { roundConverted } from "../src/index.js";

/** Rounds as roundConverted must: 15 significant digits and no -0. */
function reference(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const rounded = Number(value.toPrecision(15));
  return Object.is(rounded, -0) ? 0 : rounded;
}

function expectSame(value: number): void {
  const actual = roundConverted(value);
  if (!Object.is(actual, reference(value))) {
    throw new Error(
      `roundConverted(${value}) is ${actual}, not ${reference(value)}`,
    );
  }
}

describe("roundConverted", () => {
  it("rounds meter values scaled by unit factors as toPrecision(15) does", () => {
    const factors = [1000, 0.001, 1e6, 1e-6, 3600, 1 / 3600, 1.8, 0.1, 10];
    let random = 9;
    for (let index = 0; index < 100_000; index += 1) {
      random = (Math.imul(random, 1103515245) + 12345) >>> 0;
      const decimals = index % 7;
      const digits = 10 ** (1 + (index % 9));
      const meter =
        Math.round((random / 4294967296 - 0.3) * digits) / 10 ** decimals;
      for (const factor of factors) expectSame(meter * factor);
      expectSame(meter + 273.15);
    }
  });

  it("rounds values of every magnitude and bit pattern", () => {
    const bits = new BigUint64Array(1);
    const asFloat = new Float64Array(bits.buffer);
    let random = 1n;
    for (let index = 0; index < 200_000; index += 1) {
      random =
        (random * 6364136223846793005n + 1442695040888963407n) &
        (2n ** 64n - 1n);
      bits[0] = random;
      expectSame(asFloat[0]!);
    }
    for (let exponent = -30; exponent <= 30; exponent += 1) {
      const power = 10 ** exponent;
      for (const value of [
        power,
        -power,
        power * (1 + Number.EPSILON),
        power * (1 - Number.EPSILON),
        power - Number.EPSILON * power * 4,
        1e15 - 1,
        1e15,
        1e15 + 2,
        1e-7,
        9.99999999999999e-8,
      ]) {
        expectSame(value);
      }
    }
  });

  it("keeps zero, infinities and NaN", () => {
    expect(Object.is(roundConverted(-0), -0)).toBe(true);
    expect(roundConverted(0)).toBe(0);
    expect(roundConverted(Number.POSITIVE_INFINITY)).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(roundConverted(Number.NaN)).toBeNaN();
    expect(roundConverted(3.54 * 1000)).toBe(3540);
  });
});
