import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importFile, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

function write(name: string, content: string): string {
  const path = join(temp.dir, name);
  writeFileSync(path, content);
  return path;
}

const mapping = {
  timestamp: "time",
  asset_id: "meter",
  metric: { const: "energy" },
  value: "kwh",
  unit: "kWh",
};
const HEADER = "time,meter,kwh";

// One file with one row of each bad kind between good rows.
const lines = [
  HEADER,
  "2024-06-01 00:00:00,m1,1.0", // 2 good
  "2024-06-01 00:15:00,m1,abc", // 3 value is no number
  "2024-06-01 00:30:00,,3.0", // 4 empty asset id
  "01.06.2024 00:45,m1,4.0", // 5 timestamp in another format
  ",m1,5.0", // 6 empty timestamp
  "2024-06-01 01:00:00,m1", // 7 row ends early
  "2024-06-01 01:15:00,m1,7.0,surplus", // 8 extra field with text
  '2024-06-01 01:30:00,m1,"8.0"x', // 9 text after a closing quote
  "2024-03-31 02:30:00,m1,9.0", // 10 time in the skipped hour
  "2024-06-01 02:00:00,m1,10.0", // 11 good
  "",
];

describe("bad rows", () => {
  const file = write("bad.csv", lines.join("\n"));
  const config = {
    file_path: file,
    timezone: "Europe/Berlin",
    timestamp_format: "%Y-%m-%d %H:%M:%S",
    mapping,
  };

  it("rejects each kind with file, line, column and reason", async () => {
    const result = await importFile(config);
    expect(result.readings.map((item) => item.source.line)).toEqual([2, 11]);
    const byLine = new Map(
      result.deadLetters.map((letter) => [letter.location.line, letter]),
    );
    const expectations: [number, string, RegExp, string | undefined][] = [
      [
        3,
        "QUBIT_CSV_VALUE_INVALID",
        /Invalid value "abc" in column "kwh": expected a number/,
        "kwh",
      ],
      [4, "QUBIT_CSV_FIELD_MISSING", /asset_id is empty/, "meter"],
      [
        5,
        "QUBIT_CSV_TIMESTAMP_INVALID",
        /Invalid timestamp "01.06.2024 00:45": expected the format "%Y-%m-%d %H:%M:%S"/,
        "time",
      ],
      [6, "QUBIT_CSV_TIMESTAMP_INVALID", /timestamp field is empty/, "time"],
      [
        7,
        "QUBIT_CSV_ROW_FIELD_COUNT",
        /expected 3 fields as in the header \(the mapping reads 3\), found 2/,
        undefined,
      ],
      [
        8,
        "QUBIT_CSV_ROW_FIELD_COUNT",
        /expected 3 fields as in the header, found 4, and field 4 is "surplus"/,
        undefined,
      ],
      [
        10,
        "QUBIT_CSV_TIMESTAMP_NONEXISTENT",
        /does not exist in Europe\/Berlin/,
        "time",
      ],
    ];
    for (const [line, code, reason, column] of expectations) {
      const letter = byLine.get(line);
      expect(letter, `line ${line}`).toBeDefined();
      expect(letter?.code, `line ${line}`).toBe(code);
      expect(letter?.reason, `line ${line}`).toMatch(reason);
      expect(letter?.location.address, `line ${line}`).toBe(file);
      if (column !== undefined)
        expect(letter?.location.column, `line ${line}`).toBe(column);
      expect(letter?.raw, `line ${line}`).toBe(lines[line - 1]);
      expect(letter?.fix, `line ${line}`).toBeTruthy();
    }
    expect(byLine.get(3)?.location.column_number).toBe(3);
  });

  it("reads a stray quote as text, and rejects it as a value", async () => {
    const result = await importFile(config);
    const letter = result.deadLetters.find((item) => item.location.line === 9);
    expect(letter?.code).toBe("QUBIT_CSV_VALUE_INVALID");
  });

  it("rejects an unclosed quote as a malformed row", async () => {
    const path = write(
      "quote.csv",
      `${HEADER}\n2024-06-01 00:00:00,m1,1\n2024-06-01 00:15:00,m1,"2\n`,
    );
    const result = await importFile({ ...config, file_path: path });
    expect(result.readings).toHaveLength(1);
    expect(result.deadLetters).toHaveLength(1);
    expect(result.deadLetters[0]?.code).toBe("QUBIT_CSV_ROW_MALFORMED");
    expect(result.deadLetters[0]?.reason).toMatch(/quote/i);
    expect(result.deadLetters[0]?.location.line).toBe(3);
  });

  it("sums up the import", async () => {
    const result = await importFile(config);
    expect(result.summary).toMatchObject({
      status: "completed",
      rows: 10,
      readings: 2,
      bad_rows: 8,
    });

    expect(result.status).toBe("completed");
  });

  it("writes bad rows under the header to the reject file", async () => {
    const rejectFile = join(temp.dir, "rejects", "bad-rows.csv");
    const result = await importFile({ ...config, reject_file: rejectFile });
    expect(result.summary?.reject_file).toBe(rejectFile);
    const written = readFileSync(rejectFile, "utf8").split("\n");
    expect(written[0]).toBe(HEADER);
    expect(written.slice(1, -1)).toEqual(
      [3, 4, 5, 6, 7, 8, 9, 10].map((line) => lines[line - 1]),
    );
  });

  it("stops after max_errors bad rows", async () => {
    const result = await importFile({ ...config, max_errors: 2 });
    expect(result.summary?.status).toBe("failed");
    expect(result.summary?.error?.code).toBe("QUBIT_CSV_TOO_MANY_ERRORS");
    expect(result.summary?.error?.message).toMatch(
      /3 bad rows, more than max_errors 2/,
    );
    expect(result.status).toBe("failed");
    expect(result.readings.map((item) => item.source.line)).toEqual([2]);
  });

  it("stops when the share of bad rows passes max_error_ratio", async () => {
    const many = [HEADER];
    for (let index = 0; index < 1500; index += 1) {
      const minute = String(index % 60).padStart(2, "0");
      const hour = String(Math.floor(index / 60) % 24).padStart(2, "0");
      const day = String(1 + Math.floor(index / 1440)).padStart(2, "0");
      many.push(
        `2024-06-${day} ${hour}:${minute}:00,m1,${index % 4 === 0 ? "bad" : "1"}`,
      );
    }
    const path = write("ratio.csv", `${many.join("\n")}\n`);
    const stopped = await importFile({
      ...config,
      file_path: path,
      max_errors: null,
      max_error_ratio: 0.1,
    });
    expect(stopped.summary?.status).toBe("failed");
    expect(stopped.summary?.error?.message).toMatch(
      /251 of 1001 rows are bad, more than max_error_ratio 0.1/,
    );
    const passed = await importFile({
      ...config,
      file_path: path,
      max_errors: null,
      max_error_ratio: 0.3,
    });
    expect(passed.summary?.status).toBe("completed");
    expect(passed.summary?.bad_rows).toBe(375);
  });

  it("checks max_error_ratio at the end of a short file", async () => {
    const result = await importFile({
      ...config,
      max_errors: null,
      max_error_ratio: 0.5,
    });

    expect(result.summary?.status).toBe("failed");
    expect(result.summary?.error?.message).toMatch(/8 of 10 rows are bad/);
  });

  it("skips rows that match a pattern anchored at both ends", async () => {
    const path = write(
      "totals.csv",
      `${HEADER}\r\n2024-06-01 00:00:00,m1,1.0\r\nTotal,m1,1.0\r\n2024-06-01 00:15:00,m1,2.0\r\n`,
    );
    const result = await importFile({
      ...config,
      file_path: path,
      skip_lines_matching: "^Total,.*,1\\.0$",
    });
    expect(result.deadLetters).toEqual([]);
    expect(result.readings.map((item) => item.source.line)).toEqual([2, 4]);
    expect(result.summary?.skipped_rows).toBe(1);
  });
});
