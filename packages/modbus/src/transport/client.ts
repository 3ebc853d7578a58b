import { EventEmitter } from "node:events";
import { Backoff, type Logger, noopLogger, sleep } from "@qubit/core";
import type ModbusRTU from "modbus-serial";
import {
  ModbusConnectionError,
  ModbusExceptionError,
  ModbusFrameError,
  ModbusTimeoutError,
} from "../errors.js";
import { FailureLog } from "../poll/failure-log.js";
import { mapLibraryError, type RequestInfo } from "./errors.js";
import { openLibraryClient, rtuFrameDelayMs } from "./open.js";

/** How to reach the devices of one connection. */
export interface TransportOptions {
  protocol: "tcp" | "rtu" | "rtu_over_tcp";
  host?: string | undefined;
  /** TCP port, or serial device path for rtu. */
  port: number | string;
  baudrate: number;
  parity: "none" | "even" | "odd" | "mark" | "space";
  stopbits: 1 | 2;
  bytesize: 5 | 6 | 7 | 8;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  reconnectMaxDelayMs: number;
  interFrameDelayMs?: number | undefined;
  maxConcurrent: number;
  logger?: Logger;
  /**
   * Time between two log lines of a connection that keeps failing, in
   * ms; the attempts in between are counted. Default 10 minutes.
   */
  logRepeatIntervalMs?: number | undefined;
  /** Clock for the log interval, epoch ms; default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Counts of what a client did, for health and benchmarks. */
export interface TransportStats {
  requests: number;
  responses: number;
  timeouts: number;
  exceptions: number;
  frame_errors: number;
  retries: number;
  connects: number;
  connect_failures: number;
}

/** Events of a {@link ModbusClient}. */
export interface ModbusClientEvents {
  connected: [];
  disconnected: [reason: string];
  /** One request and its outcome, for tracing. */
  request: [info: RequestInfo & { ok: boolean; ms: number }];
}

type Library = InstanceType<typeof ModbusRTU> & {
  removeAllListeners(event?: string): void;
};

/**
 * A Modbus master on one connection (a TCP peer, a TCP serial gateway or
 * a serial line), on modbus-serial. Requests go through a queue: one at a
 * time on serial lines with the inter-frame silence the baud rate needs,
 * up to `maxConcurrent` on TCP where transaction ids match responses. A
 * request that times out, gets a bad frame or exception 06 is sent again
 * up to `retries` times. A lost connection is opened again with
 * exponential backoff; requests fail fast in between.
 */
export class ModbusClient extends EventEmitter<ModbusClientEvents> {
  readonly options: TransportOptions;
  readonly endpoint: string;
  readonly stats: TransportStats = {
    requests: 0,
    responses: 0,
    timeouts: 0,
    exceptions: 0,
    frame_errors: 0,
    retries: 0,
    connects: 0,
    connect_failures: 0,
  };
  private library: Library | undefined;
  private opening: Promise<Library> | undefined;
  private nextConnectAt = 0;
  private readonly backoff: Backoff;
  private readonly logger: Logger;
  private readonly serialLine: boolean;
  private readonly frameDelayMs: number;
  private lastFrameAt = 0;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Reject functions of the requests sent that have no response yet. */
  private readonly pending = new Set<(error: Error) => void>();
  private closed = false;
  private readonly connectFailures: FailureLog;

  constructor(options: TransportOptions) {
    super();
    this.options = options;
    this.serialLine = options.protocol !== "tcp";
    this.endpoint =
      options.protocol === "rtu"
        ? String(options.port)
        : `${options.host}:${options.port}`;
    this.frameDelayMs =
      options.protocol === "tcp"
        ? 0
        : (options.interFrameDelayMs ?? rtuFrameDelayMs(options));
    this.backoff = new Backoff({
      initialDelayMs: Math.min(500, options.reconnectMaxDelayMs),
      maxDelayMs: options.reconnectMaxDelayMs,
    });
    this.logger = (options.logger ?? noopLogger).child({
      endpoint: this.endpoint,
    });
    this.connectFailures = new FailureLog(
      options.logRepeatIntervalMs ?? 600_000,
      options.now,
    );
  }

  /** True while the connection is open. */
  get connected(): boolean {
    return this.library?.isOpen === true;
  }

  /** Opens the connection now; later requests reopen it when it drops. */
  async open(): Promise<void> {
    this.closed = false;
    this.nextConnectAt = 0;
    await this.ensureOpen();
  }

  /**
   * Closes the connection and fails the requests still waiting for a
   * response. TCP sockets are destroyed instead of ended, because a peer
   * that never ends its side would keep an ended socket open and the
   * process alive. Resolves within about a second even then.
   */
  async close(): Promise<void> {
    this.closed = true;
    const library = this.library;
    this.library = undefined;
    this.failPending("closed by the connector");
    if (!library) return;
    await shutDown(library, this.options.protocol);
    library.removeAllListeners();
  }

  /** Reads holding (3) or input (4) registers; resolves with the 16-bit words. */
  readRegisters(
    unitId: number,
    functionCode: 3 | 4,
    start: number,
    quantity: number,
  ): Promise<number[]> {
    return this.request(
      { unitId, functionCode, start, quantity, endpoint: this.endpoint },
      (lib, done) =>
        lib[functionCode === 3 ? "writeFC3" : "writeFC4"](
          unitId,
          start,
          quantity,
          (error, result) => done(error, result?.data),
        ),
    );
  }

  /** Reads coils (1) or discrete inputs (2); resolves with one boolean per bit. */
  readBits(
    unitId: number,
    functionCode: 1 | 2,
    start: number,
    quantity: number,
  ): Promise<boolean[]> {
    return this.request(
      { unitId, functionCode, start, quantity, endpoint: this.endpoint },
      (lib, done) =>
        lib[functionCode === 1 ? "writeFC1" : "writeFC2"](
          unitId,
          start,
          quantity,
          (error, result) => done(error, result?.data.slice(0, quantity)),
        ),
    );
  }

  /** Writes one coil (function 5) or several (function 15). */
  writeCoils(unitId: number, start: number, states: boolean[]): Promise<void> {
    const functionCode = states.length === 1 ? 5 : 15;
    return this.request(
      {
        unitId,
        functionCode,
        start,
        quantity: states.length,
        endpoint: this.endpoint,
      },
      (lib, done) => {
        if (states.length === 1) {
          lib.writeFC5(unitId, start, states[0]!, (error) => done(error));
        } else {
          lib.writeFC15(unitId, start, states, (error) => done(error));
        }
      },
    );
  }

  /**
   * Writes registers: function 6 for one register unless `multiple` is
   * set (some devices accept only 16), function 16 otherwise.
   */
  writeRegisters(
    unitId: number,
    start: number,
    words: number[],
    multiple = false,
  ): Promise<void> {
    const single = words.length === 1 && !multiple;
    return this.request(
      {
        unitId,
        functionCode: single ? 6 : 16,
        start,
        quantity: words.length,
        endpoint: this.endpoint,
      },
      (lib, done) => {
        if (single)
          lib.writeFC6(unitId, start, words[0]!, (error) => done(error));
        else lib.writeFC16(unitId, start, words, (error) => done(error));
      },
    );
  }

  private async request<T>(
    request: RequestInfo,
    send: (library: Library, done: (error: unknown, value?: T) => void) => void,
  ): Promise<T> {
    // The awaits below are skipped when there is nothing to wait for,
    // which keeps a TCP request close to the library's own cost.
    const slot = this.acquire();
    if (slot) await slot;
    try {
      for (let attempt = 0; ; attempt += 1) {
        const library = this.library?.isOpen
          ? this.library
          : await this.ensureOpen(request);
        if (this.frameDelayMs > 0) await this.waitFrameGap();
        const started = performance.now();
        this.stats.requests += 1;
        try {
          const value = await new Promise<T>((resolve, reject) => {
            this.pending.add(reject);
            send(library, (error, result) => {
              this.pending.delete(reject);
              if (error) reject(error);
              else resolve(result as T);
            });
          });
          this.lastFrameAt = performance.now();
          this.stats.responses += 1;
          this.trace(request, true, started);
          return value;
        } catch (raw) {
          this.lastFrameAt = performance.now();
          const error = mapLibraryError(raw, request);
          this.trace(request, false, started);
          this.count(error);
          if (error instanceof ModbusConnectionError)
            this.dropConnection(error.message);
          if (!retryable(error) || attempt >= this.options.retries) throw error;
          this.stats.retries += 1;
          this.logger.debug(
            { unit_id: request.unitId, code: error.code, attempt: attempt + 1 },
            "Request failed; sending it again",
          );
          await sleep(this.options.retryDelayMs * 2 ** attempt);
        }
      }
    } finally {
      this.release();
    }
  }

  private count(error: Error): void {
    if (error instanceof ModbusTimeoutError) this.stats.timeouts += 1;
    else if (error instanceof ModbusExceptionError) this.stats.exceptions += 1;
    else if (error instanceof ModbusFrameError) this.stats.frame_errors += 1;
  }

  private trace(request: RequestInfo, ok: boolean, started: number): void {
    if (this.listenerCount("request") === 0) return;
    this.emit("request", { ...request, ok, ms: performance.now() - started });
  }

  /** Takes a request slot; returns a promise only when it must wait. */
  private acquire(): Promise<void> | undefined {
    const limit = this.serialLine ? 1 : this.options.maxConcurrent;
    if (this.inFlight < limit) {
      this.inFlight += 1;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight -= 1;
  }

  private async waitFrameGap(): Promise<void> {
    if (this.frameDelayMs <= 0) return;
    const wait = this.lastFrameAt + this.frameDelayMs - performance.now();
    if (wait > 0) await sleep(Math.ceil(wait));
  }

  private async ensureOpen(request?: RequestInfo): Promise<Library> {
    if (this.library?.isOpen) return this.library;
    if (this.closed) {
      throw new ModbusConnectionError(
        "QUBIT_MODBUS_CONNECTION_LOST",
        `connection to ${this.endpoint} is closed`,
      );
    }
    const wait = this.nextConnectAt - Date.now();
    if (wait > 0 && !this.opening) {
      throw new ModbusConnectionError(
        "QUBIT_MODBUS_CONNECTION_FAILED",
        `not connected to ${this.endpoint}; next attempt in ${wait} ms`,
        {
          location: {
            protocol: "modbus",
            address: this.endpoint,
            unit_id: request?.unitId,
          },
          fix: "check that the device or gateway is reachable; the connector keeps trying",
        },
      );
    }
    this.opening ??= this.connect().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async connect(): Promise<Library> {
    try {
      const library = await openLibraryClient(this.options);
      library.on("close", () => {
        if (this.library === library) this.dropConnection("closed by peer");
      });
      library.on("error", (error: unknown) => {
        this.logger.warn({ err: error }, "Modbus port error");
      });
      this.library = library;
      this.backoff.reset();
      this.stats.connects += 1;
      const recovered = this.connectFailures.recover();
      this.logger.info(
        recovered
          ? {
              protocol: this.options.protocol,
              failed_attempts: recovered.failures,
              down_ms: recovered.downMs,
            }
          : { protocol: this.options.protocol },
        "Modbus connection open",
      );
      this.emit("connected");
      return library;
    } catch (error) {
      this.stats.connect_failures += 1;
      const delay = this.backoff.next();
      this.nextConnectAt = Date.now() + delay;
      this.logConnectFailure(error, delay);
      throw new ModbusConnectionError(
        "QUBIT_MODBUS_CONNECTION_FAILED",
        `cannot open ${this.options.protocol} connection to ${this.endpoint}: ${(error as Error).message}`,
        {
          location: { protocol: "modbus", address: this.endpoint },
          cause: error,
          fix: "check host and port (or the serial device path) and that the device is on",
        },
      );
    }
  }

  /**
   * Logs the first failed connection attempt, then one line per log
   * interval with the count of attempts, so a dead peer does not fill
   * the log.
   */
  private logConnectFailure(error: unknown, retryInMs: number): void {
    const report = this.connectFailures.fail();
    if (report?.kind === "first") {
      this.logger.warn(
        { err: error, retry_in_ms: retryInMs },
        "Modbus connection failed; retrying with backoff, and logging repeats as a count",
      );
    } else if (report) {
      this.logger.warn(
        {
          err: (error as Error).message,
          failed_attempts: report.failures,
          attempts_since_last_line: report.unlogged,
          failing_since: new Date(report.since).toISOString(),
          retry_in_ms: retryInMs,
        },
        "Modbus connection still failing; retrying with backoff",
      );
    }
  }

  private dropConnection(reason: string): void {
    const library = this.library;
    if (!library) return;
    this.library = undefined;
    this.nextConnectAt = Date.now() + this.backoff.next();
    library.removeAllListeners("close");
    this.failPending(reason);
    void shutDown(library, this.options.protocol);
    this.logger.warn(
      { reason },
      "Modbus connection lost; reconnecting with backoff",
    );
    this.emit("disconnected", reason);
  }

  /**
   * Rejects every request still waiting for a response. modbus-serial
   * cancels their timeouts when its port is destroyed but never calls
   * their callbacks, so without this they would wait forever.
   */
  private failPending(reason: string): void {
    if (this.pending.size === 0) return;
    const error = Object.assign(new Error(`connection ${reason}`), {
      errno: "ECONNRESET",
    });
    const rejects = [...this.pending];
    this.pending.clear();
    for (const reject of rejects) reject(error);
  }
}

/**
 * Releases a library client's port. A TCP socket (tcp and rtu_over_tcp)
 * is destroyed at once. A serial port is closed, because modbus-serial's
 * RTU buffered port has no destroy, and the wait is bounded to 1 s.
 */
function shutDown(
  library: Library,
  protocol: TransportOptions["protocol"],
): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      if (protocol === "rtu") library.close(done);
      else library.destroy(done);
    } catch {
      // The port is already gone.
      done();
    }
  });
}

function retryable(error: Error): boolean {
  if (error instanceof ModbusTimeoutError || error instanceof ModbusFrameError)
    return true;
  return error instanceof ModbusExceptionError && error.exceptionCode === 6;
}
