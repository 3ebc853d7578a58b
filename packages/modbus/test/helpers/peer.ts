import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** Debian's python3 with python3-pymodbus 3.0.0rc1 (not the pyenv one on PATH). */
export const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(
  new URL("../peers/pymodbus_peer.py", import.meta.url),
);

/** Register images of one unit: table name to address to word. */
export interface UnitImage {
  hr?: Record<number, number>;
  ir?: Record<number, number>;
  co?: Record<number, number>;
  di?: Record<number, number>;
}

/** A request the pymodbus device saw. */
export interface SeenRequest {
  unit: number;
  fc: number;
  address: number;
  count: number;
}

/**
 * Returns true when python3-pymodbus and python3-serial-asyncio can be
 * imported. Under CI a missing peer throws instead, so that the tests
 * that need it fail rather than being skipped without notice.
 */
export function hasPymodbus(): boolean {
  const available =
    existsSync(PYTHON) &&
    spawnSync(PYTHON, ["-c", "import pymodbus, serial_asyncio"]).status === 0;
  if (!available && process.env.CI) {
    throw new Error(
      `${PYTHON} cannot import pymodbus and serial_asyncio; install the Debian packages python3-pymodbus and python3-serial-asyncio (npm test does it with apt-get)`,
    );
  }
  return available;
}

/**
 * A pymodbus device in a child process, serving sparse register images
 * (a read of any other address gets exception 02) over TCP or RTU.
 */
export class PymodbusPeer {
  readonly process: ChildProcess;
  port = 0;
  private readonly pending: ((line: Record<string, unknown>) => void)[] = [];
  private readonly dir: string;

  private constructor(process: ChildProcess, dir: string) {
    this.process = process;
    this.dir = dir;
  }

  /** Starts a peer and resolves once it serves. */
  static async start(spec: {
    transport?: "tcp" | "rtu";
    port?: number;
    serial_port?: string;
    baudrate?: number;
    units: Record<number, UnitImage>;
  }): Promise<PymodbusPeer> {
    const dir = mkdtempSync(join(tmpdir(), "qubit-pymodbus-"));
    const file = join(dir, "spec.json");
    writeFileSync(file, JSON.stringify(spec));
    const child = spawn(PYTHON, [SCRIPT, file], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const peer = new PymodbusPeer(child, dir);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const waiter = peer.pending.shift();
      waiter?.(JSON.parse(line) as Record<string, unknown>);
    });
    const ready = await Promise.race([
      peer.next(),
      new Promise<never>((_, reject) =>
        child.once("exit", (code) =>
          reject(new Error(`pymodbus peer exited with ${code}: ${stderr}`)),
        ),
      ),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`pymodbus peer did not start: ${stderr}`)),
          20_000,
        ),
      ),
    ]);
    peer.port = Number(ready.port ?? 0);
    return peer;
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.pending.push(resolve));
  }

  private async command(payload: object): Promise<Record<string, unknown>> {
    const answer = this.next();
    this.process.stdin!.write(`${JSON.stringify(payload)}\n`);
    return answer;
  }

  /** Sets registers (or bits) of a unit. */
  async set(
    unit: number,
    table: keyof UnitImage,
    address: number,
    values: number[],
  ): Promise<void> {
    await this.command({ cmd: "set", unit, table, address, values });
  }

  /** Returns the requests the device saw since the last clear. */
  async requests(): Promise<SeenRequest[]> {
    const answer = await this.command({ cmd: "log" });
    return answer.requests as SeenRequest[];
  }

  /** Forgets the requests seen so far. */
  async clear(): Promise<void> {
    await this.command({ cmd: "clear" });
  }

  /** Stops the device process (by its PID) and removes its files. */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise((resolve) =>
        this.process.once("exit", resolve),
      );
      this.process.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (this.process.exitCode === null) this.process.kill("SIGKILL");
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A socat pseudo-terminal pair: the device serves on `a`, we read `b`. */
export async function startPtyPair(): Promise<{
  a: string;
  b: string;
  stop(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), "qubit-pty-"));
  const a = join(dir, "device");
  const b = join(dir, "master");
  const child = spawn("socat", [
    `pty,link=${a},raw,echo=0`,
    `pty,link=${b},raw,echo=0`,
  ]);
  const deadline = Date.now() + 10_000;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline)
      throw new Error("socat did not create the pty pair");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    a,
    b,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Splits float32 into two big-endian words. */
export function float32Words(value: number): [number, number] {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return [view.getUint16(0), view.getUint16(2)];
}
