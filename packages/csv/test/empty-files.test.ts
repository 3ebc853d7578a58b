import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { CsvConnector, CsvError, readFileMessages } from "../src/index.js";
import { importFile, tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

function write(name: string, content: string | Buffer): string {
  const path = join(temp.dir, name);
  writeFileSync(path, content);
  return path;
}

const mapping = {
  timestamp: "DateTime",
  asset_id: "InverterID",
  value: "Generation_kWh",
  unit: "kWh",
};
const HEADER = "DateTime,InverterID,Generation_kWh";

/** Opens and imports a file; returns the error it failed with. */
async function failure(path: string): Promise<CsvError> {
  const connector = new CsvConnector({
    file_path: path,
    mapping,
    timestamp_format: "%Y-%m-%d %H:%M:%S",
  });
  try {
    await connector.connect();
    await connector.finished;
  } catch (error) {
    expect(connector.status).toBe("failed");
    return error as CsvError;
  } finally {
    await connector.disconnect();
  }
  throw new Error(`${path} was imported without an error`);
}

describe("empty files", () => {
  it("names a 0-byte file empty, not a missing column", async () => {
    const path = write("empty.csv", "");
    const error = await failure(path);
    expect(error).toBeInstanceOf(CsvError);
    expect(error.code).toBe("QUBIT_CSV_FILE_EMPTY");
    expect(error.message).toBe(
      `File ${path} is empty (0 bytes): it has no header and no data rows`,
    );
    expect(error.message).not.toContain("column");
    expect(error.location).toEqual({ address: path });
  });

  it("names a file of blanks and a byte-order mark empty", async () => {
    const path = write(
      "blank.csv",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("\r\n\n")]),
    );
    const error = await failure(path);
    expect(error.code).toBe("QUBIT_CSV_FILE_EMPTY");
    expect(error.message).toContain(`File ${path} is empty`);
  });

  it("names an empty gzip file empty", async () => {
    const path = write("empty.csv.gz", gzipSync(Buffer.alloc(0)));
    const error = await failure(path);
    expect(error.code).toBe("QUBIT_CSV_FILE_EMPTY");
  });

  it("reports a header without data rows", async () => {
    for (const [name, text] of [
      ["header.csv", `${HEADER}\n`],
      ["header-no-break.csv", HEADER],
      ["header-blanks.csv", `${HEADER}\n\n\n`],
    ] as const) {
      const path = write(name, text);
      const error = await failure(path);
      expect(error.code, name).toBe("QUBIT_CSV_NO_DATA_ROWS");
      expect(error.message, name).toBe(
        `File ${path} has no data rows: nothing follows its header`,
      );
    }
  });

  it("counts skipped rows in the no-data error", async () => {
    const path = write("only-headers.csv", `${HEADER}\n${HEADER}\n${HEADER}\n`);
    const error = await failure(path);
    expect(error.code).toBe("QUBIT_CSV_NO_DATA_ROWS");
    expect(error.message).toContain(
      "2 rows were skipped as repeated headers or by skip_lines_matching",
    );
  });

  it("reports a JSON file without records", async () => {
    const path = write("empty.json", "[]");
    const connector = new CsvConnector({
      file_path: path,
      mapping: {
        timestamp: "ts",
        asset_id: { const: "m1" },
        value: "kwh",
        unit: "kWh",
      },
    });
    await connector.connect();
    await expect(connector.finished).rejects.toMatchObject({
      code: "QUBIT_CSV_NO_DATA_ROWS",
      message: `File ${path} has no records`,
    });
  });

  it("keeps the column error for a header that lacks a column", async () => {
    const path = write("wrong-header.csv", "Time,Meter,kWh\n");
    const error = await failure(path);
    expect(error.code).toBe("QUBIT_CSV_COLUMN_NOT_FOUND");
  });

  it("gives the summary the error of a header-only file", async () => {
    const path = write("summary.csv", `${HEADER}\n`);
    const result = await importFile({ file_path: path, mapping });
    expect(result.status).toBe("failed");
    expect(result.summary).toMatchObject({
      file: path,
      status: "failed",
      rows: 0,
      error: { code: "QUBIT_CSV_NO_DATA_ROWS" },
    });
  });

  it("throws the error from readFileMessages", async () => {
    const empty = write("convert-empty.csv", "");
    await expect(async () => {
      for await (const _message of readFileMessages({
        file_path: empty,
        mapping,
      })) {
        // no message is expected
      }
    }).rejects.toMatchObject({ code: "QUBIT_CSV_FILE_EMPTY" });
    const header = write("convert-header.csv", `${HEADER}\n`);
    await expect(async () => {
      for await (const _message of readFileMessages({
        file_path: header,
        mapping,
      })) {
        // no message is expected
      }
    }).rejects.toMatchObject({ code: "QUBIT_CSV_NO_DATA_ROWS" });
  });
});
