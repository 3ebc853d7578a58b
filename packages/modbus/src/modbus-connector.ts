import {
  BaseConnector,
  type BasicMessage,
  ConfigError,
  type ConnectorContext,
  type ConnectorHealth,
  type QubitError,
} from "@qubit/core";
import type { ModbusConfig } from "./config.js";
import { type CompiledDevice, compileDevices } from "./map/compile.js";
import { CounterTracker } from "./poll/counters.js";
import { DevicePoller, type PollFault } from "./poll/device-poller.js";
import { discoverSunSpec } from "./sunspec/discover.js";
import { ModbusClient, type TransportOptions } from "./transport/client.js";
import { type WriteValue, writePoint } from "./write.js";

/** One planned read, as `plan()` lists it. */
export interface PlannedRequest {
  device: string;
  unit_id: number;
  interval_ms: number;
  function: number;
  start: number;
  quantity: number;
  points: string[];
}

/**
 * The latest fault in `health().last_error`: the core fields plus where
 * it happened. `address` is the 0-based register or bit address of the
 * failed request on the wire; device fields are absent for a connection
 * fault.
 */
export interface ModbusLastError {
  code: string;
  message: string;
  at: string;
  endpoint: string;
  device?: string;
  unit_id?: number;
  function?: number;
  address?: number;
}

/**
 * Polls the devices of one Modbus connection (TCP, RTU over a serial
 * line, or RTU through a TCP gateway) and delivers one `poll` message per
 * device and polling group. Each device and group has its own timer, so a
 * slow or dead device does not shift the others' schedule. On a serial
 * line the client sends one request at a time.
 */
export class ModbusConnector extends BaseConnector<BasicMessage> {
  readonly protocol = "modbus";
  readonly config: ModbusConfig;
  readonly client: ModbusClient;
  readonly pollers: DevicePoller[];
  private readonly counters: CounterTracker;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly scheduled = new Map<DevicePoller, Set<number>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private running = false;
  private lastFault: ModbusLastError | undefined;

  constructor(config: ModbusConfig, context: ConnectorContext = {}) {
    super("modbus", context);
    this.config = config;
    const { devices, issues } = compileDevices(config, this.name);
    const errors = issues.filter((issue) => issue.severity !== "warning");
    if (errors.length > 0) throw new ConfigError(errors, this.name);
    for (const warning of issues.filter((i) => i.severity === "warning")) {
      this.logger.warn(
        { path: warning.path, fix: warning.fix },
        warning.message,
      );
    }
    this.client = new ModbusClient({
      ...transportOptions(config, this.logger),
      now: this.now,
    });
    this.counters = new CounterTracker(
      this.state,
      `modbus-counters:${this.name}`,
    );
    this.pollers = devices.map(
      (device) =>
        new DevicePoller(device, this.client, {
          connector: this.name,
          logger: this.logger,
          counters: this.counters,
          state: this.state,
          maxProbeDelayMs: config.reconnect_max_delay_ms ?? 30_000,
          repeatIntervalMs:
            config.fault_repeat_interval === undefined
              ? undefined
              : config.fault_repeat_interval * 1000,
          now: this.now,
          onFault: (fault) => this.onPollFault(fault),
        }),
    );
  }

  /** The compiled devices of this connection. */
  get devices(): CompiledDevice[] {
    return this.pollers.map((poller) => poller.device);
  }

  /** Lists the reads of every device and group, after any fallbacks. */
  plan(): PlannedRequest[] {
    return this.pollers.flatMap((poller) =>
      poller.groups.flatMap((group) =>
        group.blocks.map((block) => ({
          device: poller.device.name,
          unit_id: poller.device.unitId,
          interval_ms: group.intervalMs,
          function: block.functionCode,
          start: block.start,
          quantity: block.quantity,
          points: block.points.map((point) => point.name),
        })),
      ),
    );
  }

  /**
   * Polls every group of the named devices (all by default) now and
   * resolves when the readings are delivered. Useful with a long
   * `polling_interval` to drive polls from a test clock or a script.
   */
  async poll(deviceNames?: string[]): Promise<BasicMessage[]> {
    const selected = this.pollers.filter(
      (poller) => !deviceNames || deviceNames.includes(poller.device.name),
    );
    const messages: BasicMessage[] = [];
    for (const poller of selected) {
      await this.ensureDiscovered(poller);
      const timestamp = this.now();
      for (const group of poller.groups) {
        const message = await poller.poll(group, timestamp);
        messages.push(message);
        await this.deliver(message);
      }
    }
    return messages;
  }

  /**
   * Writes a value to a writable point of a device (function 5 or 15 for
   * coils, 6 or 16 for holding registers), encoded with the point's type,
   * byte order and scaling.
   */
  async write(device: string, point: string, value: WriteValue): Promise<void> {
    const poller = this.pollers.find((entry) => entry.device.name === device);
    await writePoint(this.client, poller?.device, device, point, value);
  }

  protected async start(): Promise<void> {
    this.running = true;
    try {
      await this.client.open();
    } catch (error) {
      this.recordConnectionFault(error, "QUBIT_MODBUS_CONNECTION_FAILED");
      this.setStatus("degraded");
      this.logger.warn(
        { err: (error as Error).message },
        "Modbus connection failed at start; polls retry with backoff",
      );
    }
    for (const poller of this.pollers) this.scheduleGroups(poller);
  }

  protected async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.scheduled.clear();
    await Promise.allSettled([...this.inFlight]);
    await this.client.close();
  }

  /** Returns the health, with the device and address of the latest fault. */
  override health(): ConnectorHealth {
    const health = super.health();
    if (this.lastFault) health.last_error = { ...this.lastFault };
    return health;
  }

  protected override healthDetails(): Record<string, unknown> {
    const devices = this.pollers.map((poller) => poller.health());
    return {
      endpoint: this.client.endpoint,
      transport: this.client.options.protocol,
      connected: this.client.connected,
      requests: { ...this.client.stats },
      faults_suppressed: devices.reduce(
        (sum, device) => sum + device.suppressed_faults,
        0,
      ),
      devices,
    };
  }

  /**
   * Records a failed read: the errors metric, the `fault` event and
   * `last_error`, and the suppressed-repeats metric for a repeat.
   */
  private onPollFault(fault: PollFault): void {
    const { error } = fault;
    this.recordFault(error, error.code);
    this.lastFault = {
      code: error.code,
      message: error.message,
      at: new Date(this.now()).toISOString(),
      endpoint: this.client.endpoint,
      device: fault.device,
      unit_id: fault.unitId,
      function: fault.functionCode,
      address: fault.address,
    };
    if (!fault.reported) {
      this.metrics.incrementCounter("modbus_faults_suppressed", 1, {
        device: fault.device,
        code: error.code,
      });
    }
  }

  /** Records a fault of the connection or of a device without a read. */
  private recordConnectionFault(
    error: unknown,
    fallbackCode: string,
    device?: { name: string; unitId: number },
  ): QubitError {
    const fault = this.recordFault(error, fallbackCode);
    this.lastFault = {
      code: fault.code,
      message: fault.message,
      at: new Date(this.now()).toISOString(),
      endpoint: this.client.endpoint,
    };
    if (device) {
      this.lastFault.device = device.name;
      this.lastFault.unit_id = device.unitId;
    }
    return fault;
  }

  /**
   * Starts a timer for each polling interval of a device that has none
   * yet. A device waiting for SunSpec discovery gets its own interval.
   */
  private scheduleGroups(poller: DevicePoller): void {
    const intervals = new Set(poller.groups.map((group) => group.intervalMs));
    if (poller.device.sunspec && !poller.device.sunspecDiscovered) {
      intervals.add(poller.device.intervalMs);
    }
    const scheduled = this.scheduled.get(poller) ?? new Set<number>();
    this.scheduled.set(poller, scheduled);
    for (const interval of intervals) {
      if (scheduled.has(interval)) continue;
      scheduled.add(interval);
      this.schedule(poller, interval);
    }
  }

  private schedule(poller: DevicePoller, intervalMs: number): void {
    let due = performance.now();
    const tick = async () => {
      if (!this.running) return;
      const work = this.runScheduled(poller, intervalMs);
      this.inFlight.add(work);
      await work;
      this.inFlight.delete(work);
      if (!this.running) return;
      due += intervalMs;
      const now = performance.now();
      if (due < now) {
        const missed = Math.ceil((now - due) / intervalMs);
        due += missed * intervalMs;
        this.metrics.incrementCounter("modbus_polls_skipped", missed);
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void tick();
      }, due - now);
      this.timers.add(timer);
    };
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void tick();
    }, 0);
    this.timers.add(timer);
  }

  private async runScheduled(
    poller: DevicePoller,
    intervalMs: number,
  ): Promise<void> {
    try {
      if (this.sinkSaturated) await this.whenSinkWritable();
      await this.ensureDiscovered(poller);
      const group = poller.groups.find((g) => g.intervalMs === intervalMs);
      if (!group) return;
      const started = performance.now();
      const message = await poller.poll(group, this.now());
      this.metrics.recordHistogram(
        "modbus_poll_seconds",
        (performance.now() - started) / 1000,
      );
      this.deliver(message).catch((error: unknown) =>
        this.logger.error({ err: error }, "Poll readings were not accepted"),
      );
      this.updateStatus();
    } catch (error) {
      const fault = this.recordConnectionFault(
        error,
        "QUBIT_MODBUS_CONNECTION_LOST",
        poller.device,
      );
      this.logger.error(
        { device: poller.device.name, code: fault.code, err: fault.message },
        "Poll failed",
      );
    }
  }

  private async ensureDiscovered(poller: DevicePoller): Promise<void> {
    const { device } = poller;
    if (!device.sunspec || device.sunspecDiscovered) return;
    try {
      const result = await discoverSunSpec(this.client, device);
      device.points.push(...result.points);
      device.sunspecDiscovered = true;
      poller.replan();
      for (const model of result.models) {
        this.emit("discovered", {
          kind: "sunspec_model",
          id: `${device.name}/${model.id}`,
          details: { ...model },
        });
      }
      for (const skipped of result.skipped) {
        this.logger.warn(
          { device: device.name, ...skipped },
          "SunSpec model skipped",
        );
        if (skipped.known) continue;
        poller.addDiagnostic({
          code: "QUBIT_MODBUS_SUNSPEC_MODEL_UNKNOWN",
          message: `${device.name} (unit ${device.unitId}) has SunSpec model ${skipped.id} at holding register ${skipped.address} (0-based), which has no definition here; its ${skipped.length} registers are not read, the other models are`,
          location: {
            protocol: "modbus",
            address: `${this.client.endpoint}/${device.unitId}`,
            device: device.name,
            unit_id: device.unitId,
            function: 3,
            register: skipped.address,
          },
          value: skipped.id,
          fix: "none needed unless you need this model's values; map its registers under registers",
        });
      }
      if (this.running) this.scheduleGroups(poller);
    } catch (error) {
      this.recordConnectionFault(
        error,
        "QUBIT_MODBUS_SUNSPEC_NOT_FOUND",
        device,
      );
      this.logger.warn(
        { device: device.name, err: (error as Error).message },
        "SunSpec discovery failed; trying again at the next poll",
      );
    }
  }

  private updateStatus(): void {
    if (this.status !== "running" && this.status !== "degraded") return;
    const down = this.pollers.some((poller) => poller.unreachable);
    this.setStatus(down ? "degraded" : "running");
  }
}

/** Builds the client options of a connection config. */
export function transportOptions(
  config: ModbusConfig,
  logger?: TransportOptions["logger"],
): TransportOptions {
  const protocol = config.protocol ?? "tcp";
  const letters: Record<string, TransportOptions["parity"]> = {
    N: "none",
    E: "even",
    O: "odd",
  };
  const parity = letters[config.parity ?? "none"];
  const options: TransportOptions = {
    protocol,
    host: config.host,
    port: config.port ?? (protocol === "rtu" ? "/dev/ttyUSB0" : 502),
    baudrate: config.baudrate ?? 9600,
    parity: parity ?? ((config.parity ?? "none") as TransportOptions["parity"]),
    stopbits: config.stopbits ?? 1,
    bytesize: (config.bytesize ?? 8) as TransportOptions["bytesize"],
    timeoutMs: Math.round((config.timeout ?? 1) * 1000),
    retries: config.retries ?? 1,
    retryDelayMs: config.retry_delay_ms ?? 100,
    reconnectMaxDelayMs: config.reconnect_max_delay_ms ?? 30_000,
    interFrameDelayMs: config.inter_frame_delay_ms,
    maxConcurrent: config.max_concurrent_requests ?? 1,
    logRepeatIntervalMs: (config.fault_repeat_interval ?? 600) * 1000,
  };
  if (logger) options.logger = logger;
  return options;
}
