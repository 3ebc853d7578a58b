import { once } from "node:events";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";

/**
 * Appends the raw text of bad rows to a file, under the header lines of
 * their input, so the file can be fixed and imported again. It opens the
 * file on the first bad row and waits for the disk when it falls behind.
 */
export class RejectFile {
  readonly path: string;
  private stream: WriteStream | undefined;
  private headerWritten = false;
  private readonly header: string | undefined;
  rows = 0;

  constructor(path: string, header: string | undefined) {
    this.path = path;
    this.header = header;
  }

  /** Appends one raw row; resolves when the stream can take more. */
  async write(raw: string): Promise<void> {
    if (!this.stream) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.path, { flags: "a" });
    }
    let text = "";
    if (!this.headerWritten && this.header !== undefined) {
      text += `${this.header}\n`;
      this.headerWritten = true;
    }
    text += `${raw}\n`;
    this.rows += 1;
    if (!this.stream.write(text)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}
