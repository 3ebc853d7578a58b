import {
  Backoff,
  BasicMessage,
  type Diagnostic,
  type Logger,
  type QubitError,
  type StateStore,
} from "@qubit/core";
import {
  ModbusConnectionError,
  ModbusError,
  ModbusExceptionError,
  ModbusTimeoutError,
} from "../errors.js";
import { isBitTable } from "../map/address.js";
import type { CompiledDevice } from "../map/compile.js";
import {
  describeBlock,
  type PollGroup,
  planGroups,
  type ReadBlock,
  splitBlock,
} from "../plan/coalesce.js";
import type { ModbusClient } from "../transport/client.js";
import type { CounterTracker } from "./counters.js";
import { type BlockResult, decodePoll } from "./decode.js";
import { FailureLog } from "./failure-log.js";
import { FaultRepeats } from "./repeats.js";
import { modbusSource } from "./sources.js";

/** Reachability of a device, as health reports it. */
export interface DeviceHealth {
  name: string;
  unit_id: number;
  state: "unknown" | "ok" | "unreachable";
  consecutive_failures: number;
  last_success_at?: string;
  last_error?: string;
  /** Requests per full poll of every group, after fallbacks. */
  requests_per_poll: number;
  /** Requests failing now (one dead letter or diagnostic each so far). */
  active_faults: number;
  /** Repeated failures counted but not sent as dead letters or diagnostics. */
  suppressed_faults: number;
}

/** A failed read of a device, for the connector's health and metrics. */
export interface PollFault {
  error: QubitError;
  device: string;
  unitId: number;
  functionCode: number;
  /** 0-based register or bit address of the request on the wire. */
  address: number;
  /** False when the failure repeats one already reported. */
  reported: boolean;
}

/** Settings of a poller besides its device and client. */
export interface PollerOptions {
  connector: string;
  logger: Logger;
  counters?: CounterTracker | undefined;
  state?: StateStore | undefined;
  /** Maximum wait between probes of an unreachable device, in ms. */
  maxProbeDelayMs: number;
  /**
   * Time between two reports of a request that keeps failing the same
   * way, in ms; default 10 minutes.
   */
  repeatIntervalMs?: number | undefined;
  /** Clock for the repeat interval, epoch ms; default `Date.now`. */
  now?: (() => number) | undefined;
  /** Called for every failed read, reported or not. */
  onFault?: ((fault: PollFault) => void) | undefined;
}

/** Default of {@link PollerOptions.repeatIntervalMs}: 10 minutes. */
export const DEFAULT_REPEAT_INTERVAL_MS = 600_000;

const blockKey = (block: ReadBlock) =>
  `${block.functionCode}:${block.start}:${block.quantity}`;

/**
 * Polls one device: reads the blocks of a group one after another and
 * turns them into one `poll` message. A block rejected with exception 02
 * is split into smaller reads, and the split is remembered for the
 * device (in the state store when there is one). When the device does not
 * respond, the rest of the poll is not sent and the device is probed with
 * growing delays, so it holds the line for one request at a time while
 * the other devices keep their schedule.
 */
export class DevicePoller {
  readonly device: CompiledDevice;
  groups: PollGroup[];
  private readonly client: ModbusClient;
  private readonly options: PollerOptions;
  private readonly logger: Logger;
  private readonly splits: Set<string>;
  private readonly probeBackoff: Backoff;
  private nextProbeAt = 0;
  private failures = 0;
  private lastSuccessAt: number | undefined;
  private lastError: string | undefined;
  private reachable: boolean | undefined;
  private readonly repeats: FaultRepeats;
  private readonly now: () => number;
  private pendingDiagnostics: Diagnostic[] = [];
  private readonly noResponse: FailureLog;

  constructor(
    device: CompiledDevice,
    client: ModbusClient,
    options: PollerOptions,
  ) {
    this.device = device;
    this.client = client;
    this.options = options;
    this.logger = options.logger.child({
      device: device.name,
      unit_id: device.unitId,
    });
    this.splits = new Set(
      options.state?.get<string[]>(this.stateNamespace, device.name) ?? [],
    );
    this.probeBackoff = new Backoff({
      initialDelayMs: Math.min(1000, options.maxProbeDelayMs),
      maxDelayMs: options.maxProbeDelayMs,
    });
    this.repeats = new FaultRepeats(
      options.repeatIntervalMs ?? DEFAULT_REPEAT_INTERVAL_MS,
    );
    this.now = options.now ?? Date.now;
    this.noResponse = new FailureLog(
      options.repeatIntervalMs ?? DEFAULT_REPEAT_INTERVAL_MS,
      this.now,
    );
    this.groups = [];
    this.replan();
  }

  /** Queues a diagnostic to send with the next poll message. */
  addDiagnostic(diagnostic: Diagnostic): void {
    this.pendingDiagnostics.push(diagnostic);
  }

  /** Rebuilds the request plan, for example after SunSpec discovery. */
  replan(): void {
    this.groups = planGroups(this.device.points, this.device.maxGap).map(
      (group) => ({
        intervalMs: group.intervalMs,
        blocks: group.blocks.flatMap((block) => this.applySplits(block)),
      }),
    );
  }

  /** Returns the device's reachability and request count. */
  health(): DeviceHealth {
    const health: DeviceHealth = {
      name: this.device.name,
      unit_id: this.device.unitId,
      state:
        this.reachable === undefined
          ? "unknown"
          : this.reachable
            ? "ok"
            : "unreachable",
      consecutive_failures: this.failures,
      requests_per_poll: this.groups.reduce(
        (sum, group) => sum + group.blocks.length,
        0,
      ),
      active_faults: this.repeats.activeCount,
      suppressed_faults: this.repeats.suppressedTotal,
    };
    if (this.lastSuccessAt !== undefined)
      health.last_success_at = new Date(this.lastSuccessAt).toISOString();
    if (this.lastError !== undefined) health.last_error = this.lastError;
    return health;
  }

  /** True while the device is known not to respond. */
  get unreachable(): boolean {
    return this.reachable === false;
  }

  /**
   * Reads every block of a group and returns the poll message, with the
   * readings already decoded so that counters are checked in poll order.
   */
  async poll(group: PollGroup, timestamp: number): Promise<BasicMessage> {
    const results: BlockResult[] = [];
    const probing = this.reachable === false;
    if (probing && Date.now() < this.nextProbeAt) {
      const error = this.unreachableError();
      for (const block of group.blocks) results.push({ block, error });
      return this.message(results, timestamp);
    }
    let answered = false;
    let fatal: QubitError | undefined;
    const queue = [...group.blocks];
    while (queue.length > 0) {
      const block = queue.shift()!;
      if (fatal) {
        results.push({ block, error: fatal });
        continue;
      }
      try {
        results.push(await this.read(block));
        answered = true;
      } catch (error) {
        const failure = asQubitError(error);
        if (this.shouldSplit(block, failure)) {
          const parts = this.split(group, block);
          queue.unshift(...parts);
          answered = true;
          continue;
        }
        if (
          failure instanceof ModbusTimeoutError ||
          failure instanceof ModbusConnectionError
        ) {
          fatal = failure;
        } else answered = true;
        results.push({ block, error: failure });
      }
    }
    this.record(answered, fatal);
    return this.message(results, timestamp);
  }

  private async read(block: ReadBlock): Promise<BlockResult> {
    const { unitId } = this.device;
    if (isBitTable(block.table)) {
      const bits = await this.client.readBits(
        unitId,
        block.functionCode as 1 | 2,
        block.start,
        block.quantity,
      );
      return { block, bits };
    }
    const registers = await this.client.readRegisters(
      unitId,
      block.functionCode as 3 | 4,
      block.start,
      block.quantity,
    );
    return { block, registers };
  }

  private shouldSplit(block: ReadBlock, error: QubitError): boolean {
    return (
      error instanceof ModbusExceptionError &&
      error.exceptionCode === 2 &&
      block.points.length > 1
    );
  }

  private split(group: PollGroup, block: ReadBlock): ReadBlock[] {
    const parts = splitBlock(block);
    const index = group.blocks.indexOf(block);
    if (index !== -1) group.blocks.splice(index, 1, ...parts);
    this.splits.add(blockKey(block));
    this.options.state?.set(this.stateNamespace, this.device.name, [
      ...this.splits,
    ]);
    this.logger.warn(
      {
        request: describeBlock(block),
        into: parts.map(describeBlock),
      },
      "Device rejected a combined read with exception 02; reading its parts separately from now on",
    );
    return parts;
  }

  private applySplits(block: ReadBlock): ReadBlock[] {
    if (!this.splits.has(blockKey(block))) return [block];
    const parts = splitBlock(block);
    if (parts.length === 1) return parts;
    return parts.flatMap((part) => this.applySplits(part));
  }

  private record(answered: boolean, fatal: QubitError | undefined): void {
    if (answered || !fatal) {
      const recovered = this.noResponse.recover();
      if (recovered) {
        this.logger.info(
          { unanswered_polls: recovered.failures, down_ms: recovered.downMs },
          "Device responds again",
        );
      }
      this.reachable = true;
      this.failures = 0;
      this.lastSuccessAt = Date.now();
      this.probeBackoff.reset();
      return;
    }
    this.failures += 1;
    this.lastError = fatal.message;
    this.logNoResponse(fatal);
    this.reachable = false;
    this.nextProbeAt = Date.now() + this.probeBackoff.next();
  }

  /** Logs the first failed poll, then a count once per repeat interval. */
  private logNoResponse(fatal: QubitError): void {
    const report = this.noResponse.fail();
    if (report?.kind === "first") {
      this.logger.warn(
        { code: fatal.code, err: fatal.message },
        "Device does not respond; its readings carry communication_error until it does",
      );
    } else if (report) {
      this.logger.warn(
        {
          code: fatal.code,
          err: fatal.message,
          unanswered_polls: report.failures,
          polls_since_last_line: report.unlogged,
          failing_since: new Date(report.since).toISOString(),
        },
        "Device still does not respond; probing it with backoff",
      );
    }
  }

  private unreachableError(): QubitError {
    return new ModbusTimeoutError(
      "QUBIT_MODBUS_DEVICE_UNREACHABLE",
      `device did not respond to its last ${this.failures} poll(s) (${this.lastError ?? "no response"}); next probe in ${Math.max(0, this.nextProbeAt - Date.now())} ms`,
      {
        fix: "check that the device is powered, wired and uses this unit id",
      },
    );
  }

  private message(results: BlockResult[], timestamp: number): BasicMessage {
    const { device } = this;
    this.clearRecovered(results);
    const context = {
      device,
      connector: this.options.connector,
      endpoint: this.client.endpoint,
      timestamp,
      counters: this.options.counters,
      report: (block: ReadBlock, error: QubitError) =>
        this.reportFailure(block, error),
    };
    const converted = decodePoll(results, context);
    if (this.pendingDiagnostics.length > 0) {
      converted.diagnostics.push(...this.pendingDiagnostics);
      this.pendingDiagnostics = [];
    }
    return new BasicMessage({
      protocol: "modbus",
      kind: "poll",
      source: modbusSource({
        address: `${this.client.endpoint}/${device.unitId}`,
        connector: this.options.connector,
        device: device.name,
        unit_id: device.unitId,
      }),
      receivedAt: timestamp,
      raw: {
        device: device.name,
        unit_id: device.unitId,
        endpoint: this.client.endpoint,
        requests: results.map(rawResult),
      },
      convert: () => converted,
    });
  }

  /**
   * Decides whether a failed read is reported, and passes it to
   * `onFault` either way.
   */
  private reportFailure(block: ReadBlock, error: QubitError): boolean {
    const reported = this.repeats.admit(
      blockKey(block),
      error.code,
      this.now(),
    );
    if (!reported) {
      this.logger.debug(
        { request: describeBlock(block), code: error.code },
        "Read failed again; the repeat is counted, not reported",
      );
    }
    this.options.onFault?.({
      error,
      device: this.device.name,
      unitId: this.device.unitId,
      functionCode: block.functionCode,
      address: block.start,
      reported,
    });
    return reported;
  }

  /** Logs the faults of reads that succeeded again. */
  private clearRecovered(results: BlockResult[]): void {
    if (this.repeats.activeCount === 0) return;
    for (const result of results) {
      if ("error" in result) continue;
      const fault = this.repeats.clear(blockKey(result.block));
      if (!fault) continue;
      this.logger.info(
        {
          request: describeBlock(result.block),
          code: fault.code,
          failing_for_ms: this.now() - fault.since,
          suppressed: fault.suppressed,
        },
        "Read succeeds again; its fault is cleared",
      );
    }
  }

  private get stateNamespace(): string {
    return `modbus-splits:${this.options.connector}`;
  }
}

function rawResult(result: BlockResult): Record<string, unknown> {
  const { block } = result;
  const entry: Record<string, unknown> = {
    function: block.functionCode,
    start: block.start,
    quantity: block.quantity,
  };
  if ("registers" in result) entry.registers = result.registers;
  else if ("bits" in result) entry.bits = result.bits;
  else entry.error = `${result.error.code}: ${result.error.message}`;
  return entry;
}

function asQubitError(error: unknown): QubitError {
  if (error instanceof ModbusError) return error;
  return new ModbusConnectionError(
    "QUBIT_MODBUS_CONNECTION_LOST",
    error instanceof Error ? error.message : String(error),
    { cause: error },
  );
}
