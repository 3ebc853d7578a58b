import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type DeadLetter,
  encodeRaw,
  MAX_DEAD_LETTER_RAW_BYTES,
  NdjsonDeadLetterOutput,
} from "../src/index.js";

describe("encodeRaw", () => {
  it("keeps small inputs whole", () => {
    expect(encodeRaw("not json")).toEqual({
      raw: "not json",
      raw_encoding: "utf8",
    });
    expect(encodeRaw(new Uint8Array([0xff, 0xfe]))).toEqual({
      raw: "//4=",
      raw_encoding: "base64",
    });
    expect(encodeRaw({ a: 1 })).toEqual({
      raw: '{"a":1}',
      raw_encoding: "json",
    });
  });

  it("cuts large text at a character boundary", () => {
    // "é" is two bytes; an odd limit would split one without the boundary.
    const text = `x${"é".repeat(MAX_DEAD_LETTER_RAW_BYTES)}`;
    const encoded = encodeRaw(text);
    expect(encoded.raw_truncated_from).toBe(1 + 2 * MAX_DEAD_LETTER_RAW_BYTES);
    expect(encoded.raw_encoding).toBe("utf8");
    expect(Buffer.byteLength(encoded.raw)).toBe(MAX_DEAD_LETTER_RAW_BYTES - 1);
    expect(encoded.raw.endsWith("é")).toBe(true);
  });

  it("cuts large binary input", () => {
    const bytes = new Uint8Array(MAX_DEAD_LETTER_RAW_BYTES * 2).fill(0xff);
    const encoded = encodeRaw(bytes);
    expect(encoded.raw_encoding).toBe("base64");
    expect(encoded.raw_truncated_from).toBe(bytes.length);
    expect(Buffer.from(encoded.raw, "base64")).toHaveLength(
      MAX_DEAD_LETTER_RAW_BYTES,
    );
  });

  it("cuts large UTF-8 bytes as text", () => {
    const bytes = Buffer.from(`{"v":"${"€".repeat(40_000)}"}`);
    const encoded = encodeRaw(bytes);
    expect(encoded.raw_encoding).toBe("utf8");
    expect(encoded.raw_truncated_from).toBe(bytes.length);
    expect(encoded.raw.startsWith('{"v":"€')).toBe(true);
    expect(encoded.raw).not.toContain("\ufffd");
  });
});

describe("NdjsonDeadLetterOutput", () => {
  it("rotates the file at its size limit", async () => {
    const folder = mkdtempSync(join(tmpdir(), "qubit-dl-"));
    const path = join(folder, "dead.ndjson");
    const output = new NdjsonDeadLetterOutput(path, "dead", {
      maxBytes: 2000,
      keep: 2,
    });
    const letter = (index: number): DeadLetter => ({
      at: "2026-01-01T00:00:00.000Z",
      connector: "c",
      protocol: "test",
      code: "QUBIT_TEST",
      reason: `letter ${index}`,
      location: { protocol: "test", address: "a" },
      raw: "x".repeat(400),
      raw_encoding: "utf8",
    });
    try {
      for (let index = 0; index < 20; index += 1) {
        await output.write([letter(index)]);
      }
      await output.close();
      const lines = (file: string) =>
        readFileSync(file, "utf8")
          .trim()
          .split("\n")
          .map((line) => {
            return (JSON.parse(line) as DeadLetter).reason;
          });
      const current = lines(path);
      const previous = lines(`${path}.1`);
      expect(existsSync(`${path}.2`)).toBe(true);
      expect(existsSync(`${path}.3`)).toBe(false);
      expect(current.at(-1)).toBe("letter 19");
      expect(previous.at(-1)).toBe(`letter ${19 - current.length}`);
      expect(readFileSync(path).length).toBeLessThanOrEqual(2000);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
