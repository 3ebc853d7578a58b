// Shared by the output-*.test.ts files: sample readings, free ports, and
// private NATS, Mosquitto and PostgreSQL servers that a test can stop and
// start again to play an output that is down.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkConfig,
  createReading,
  type Logger,
  type TimeSeries,
} from "@qubit/core";
import type { TSchema } from "@sinclair/typebox";

/** Builds `count` readings of one asset, one second apart. */
export function makeReadings(
  count: number,
  options: { asset?: string; start?: number; metric?: string } = {},
): TimeSeries[] {
  const start = options.start ?? Date.UTC(2024, 5, 1);
  return Array.from({ length: count }, (_, index) =>
    createReading({
      asset_id: options.asset ?? "inv-1",
      metric: options.metric ?? "active_power",
      value: index * 1.5,
      unit: "W",
      timestamp: start + index * 1_000,
      quality: "measured",
      source: {
        protocol: "modbus",
        address: `127.0.0.1:502/1/40001`,
        connector: "test",
      },
    }),
  );
}

/** Returns a TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string")
    throw new Error("No port assigned");
  return address.port;
}

/** Resolves once `check` returns true, or throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Returns whether something accepts TCP connections on the port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/** Creates a temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `qubit-${prefix}-`));
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** A nats-server with JetStream on a free port, started by the test. */
export class PrivateNats {
  private storeDir: string | undefined;
  port = 0;
  private child: ChildProcess | undefined;

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.storeDir ??= tempDir("nats");
    this.child = spawn(
      "/usr/sbin/nats-server",
      ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.storeDir],
      { stdio: "ignore" },
    );
    await waitFor(() => portOpen(this.port), 20_000, "nats-server");
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.storeDir) rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** A Mosquitto broker on a free port, started by the test. */
export class PrivateMosquitto {
  private dir: string | undefined;
  port = 0;
  private child: ChildProcess | undefined;

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.dir ??= tempDir("mosquitto");
    const config = join(this.dir, "mosquitto.conf");
    // Persistence keeps a subscriber's session and its queued messages
    // across a restart; `user root` keeps a broker started by root able
    // to write the test's folder.
    writeFileSync(
      config,
      [
        `listener ${this.port} 127.0.0.1`,
        "allow_anonymous true",
        "persistence true",
        `persistence_location ${this.dir}/`,
        process.getuid?.() === 0 ? "user root" : "",
        "",
      ].join("\n"),
    );
    this.child = spawn("/usr/sbin/mosquitto", ["-c", config], {
      stdio: "ignore",
    });
    await waitFor(() => portOpen(this.port), 20_000, "mosquitto");
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Folder of the PostgreSQL server programs, when they are installed. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort(
    (a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10),
  );
  for (const version of versions) {
    const bin = join(root, version, "bin");
    if (existsSync(join(bin, "initdb"))) return bin;
  }
  return undefined;
}

/**
 * A PostgreSQL cluster of its own in a temporary folder, on a free port,
 * with trust authentication. As root, the server programs run as the
 * `postgres` user, because PostgreSQL refuses to run as root.
 */
export class PrivatePostgres {
  readonly dir = tempDir("pg");
  port = 0;
  private readonly bin: string;

  constructor(bin: string) {
    this.bin = bin;
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
      const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
      chownSync(this.dir, uid, gid);
    }
  }

  get connectionString(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(program: string, args: string[]): void {
    const path = join(this.bin, program);
    if (process.getuid?.() === 0)
      execFileSync("runuser", ["-u", "postgres", "--", path, ...args], {
        stdio: "ignore",
      });
    else execFileSync(path, args, { stdio: "ignore" });
  }

  async start(): Promise<void> {
    const data = join(this.dir, "data");
    if (!existsSync(data)) {
      this.run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-N"]);
    }
    if (this.port === 0) this.port = await freePort();
    this.run("pg_ctl", [
      "-D",
      data,
      "-l",
      join(this.dir, "server.log"),
      "-w",
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    ]);
  }

  /** Stops the server by the pid in its postmaster.pid (fast shutdown). */
  async stop(): Promise<void> {
    const pidFile = join(this.dir, "data", "postmaster.pid");
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    try {
      process.kill(pid, "SIGINT");
    } catch {
      return;
    }
    await waitFor(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      30_000,
      "PostgreSQL to stop",
    );
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One call of a {@link CaptureLogger}. */
export interface LogLine {
  level: string;
  context: Record<string, unknown>;
  message: string | undefined;
}

/**
 * A logger that keeps every line, with the bindings of its children
 * merged into the context, so a test can look for a level or a secret.
 */
export class CaptureLogger implements Logger {
  readonly lines: LogLine[];
  private readonly bindings: Record<string, unknown>;

  constructor(lines: LogLine[] = [], bindings: Record<string, unknown> = {}) {
    this.lines = lines;
    this.bindings = bindings;
  }

  /** Serialises every line as JSON, errors with their message and cause. */
  text(): string {
    return this.lines
      .map((line) =>
        JSON.stringify(line, (_key, value) =>
          value instanceof Error
            ? { ...value, message: value.message, cause: value.cause }
            : value,
        ),
      )
      .join("\n");
  }

  child(bindings: Record<string, unknown>): Logger {
    return new CaptureLogger(this.lines, { ...this.bindings, ...bindings });
  }

  private add(level: string, context: object, message?: string): void {
    this.lines.push({
      level,
      context: { ...this.bindings, ...context },
      message,
    });
  }

  trace(context: object, message?: string): void {
    this.add("trace", context, message);
  }
  debug(context: object, message?: string): void {
    this.add("debug", context, message);
  }
  info(context: object, message?: string): void {
    this.add("info", context, message);
  }
  warn(context: object, message?: string): void {
    this.add("warn", context, message);
  }
  error(context: object, message?: string): void {
    this.add("error", context, message);
  }
  fatal(context: object, message?: string): void {
    this.add("fatal", context, message);
  }
}

/** Applies a schema's defaults to `input` and throws when it is invalid. */
export function configOf<T>(schema: TSchema, input: unknown): T {
  const { value, issues } = checkConfig<T>(schema, input);
  if (issues.length > 0)
    throw new Error(`Invalid test config: ${JSON.stringify(issues)}`);
  return value;
}
