import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import {
  BaseConnector,
  type ConnectorContext,
  MemoryStateStore,
} from "@qubit/core";
import type { CentralSystemConfig } from "../config.js";
import { OcppError, type OcppErrorCode } from "../errors.js";
import type { OcppMessage } from "../message.js";
import { OcppProcessor } from "../processor/processor.js";
import type { IdTagEntry, StationOptions } from "../processor/types.js";
import { RPCServer } from "../rpc.js";
import type { StationRecord } from "../state/stations.js";
import type { TransactionRecord } from "../state/transactions.js";
import {
  type OcppVersion,
  parseVersion,
  SUBPROTOCOLS,
  versionOfSubprotocol,
} from "../versions.js";
import { CommandQueue } from "./command-queue.js";
import { CommandDispatcher, type SendOptions } from "./commands.js";
import {
  ChargePointConnection,
  type ConnectionHost,
  type RpcPeer,
} from "./connection.js";
import { CsmsCounters } from "./counters.js";
import { DuplicateCache } from "./duplicates.js";
import { warnOpenDoors } from "./exposure.js";
import {
  clientCertificateName,
  createListener,
  listen,
  screenUpgrades,
} from "./listener.js";
import { RateLimiter } from "./rate-limit.js";
import { ChargePointRegistry } from "./registry.js";
import { ChargePointOperations } from "./typed-operations.js";

/** Error code logged for each kind of refused connection. */
const REFUSAL_CODES: Record<string, OcppErrorCode> = {
  subprotocol: "QUBIT_OCPP_SUBPROTOCOL_UNSUPPORTED",
  certificate: "QUBIT_OCPP_AUTH_FAILED",
  auth: "QUBIT_OCPP_AUTH_FAILED",
  unknown: "QUBIT_OCPP_CHARGE_POINT_UNKNOWN",
};

interface RpcServerLike {
  auth(callback: (...args: never[]) => unknown): void;
  handleUpgrade: (
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
  ) => Promise<void>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  close(options: Record<string, unknown>): Promise<void>;
}

/**
 * OCPP central system (CSMS): charge points connect over WebSocket to
 * `<path>/<charge point id>` with ocpp1.6 or ocpp2.0.1. Every CALL is
 * checked against its schema, answered, and turned into readings;
 * transactions and sessions live in the injected state store. Commands
 * go out through {@link CentralSystemConnector.send} and the typed
 * helpers of {@link CentralSystemConnector.operations}.
 */
export class CentralSystemConnector extends BaseConnector<OcppMessage> {
  readonly protocol = "ocpp";
  readonly config: CentralSystemConfig;
  readonly processor: OcppProcessor;
  readonly chargePoints: ChargePointRegistry;
  /** Typed remote operations, smart charging and firmware commands. */
  readonly operations: ChargePointOperations;
  private readonly connections = new Map<string, ChargePointConnection>();
  private readonly host: ConnectionHost;
  private readonly queue: CommandQueue;
  private readonly dispatcher: CommandDispatcher;
  private readonly counters: CsmsCounters;
  private readonly versions: OcppVersion[];
  private server: Server | undefined;
  private rpc: RpcServerLike | undefined;
  private boundPort: number | undefined;

  constructor(config: CentralSystemConfig, context: ConnectorContext = {}) {
    super("ocpp", context);
    this.config = config;
    const state = this.state ?? new MemoryStateStore();
    this.versions = config.versions.map(
      (text) => parseVersion(text) as OcppVersion,
    );
    this.chargePoints = new ChargePointRegistry(
      config.charge_points,
      config.unknown_charge_points,
    );
    // Built once, because the processor looks them up for every meter value.
    const stationOptions = new Map<string, StationOptions>();
    for (const [identity, entry] of Object.entries(config.charge_points)) {
      if (entry.energy_unit !== undefined)
        stationOptions.set(identity, { energy_unit: entry.energy_unit });
    }
    const idTags: Record<string, IdTagEntry> = {};
    for (const [tag, entry] of Object.entries(config.id_tags)) {
      idTags[tag] =
        entry.expiry_date === undefined
          ? { status: entry.status }
          : { status: entry.status, expiry_date: entry.expiry_date };
    }
    this.processor = new OcppProcessor({
      connectorName: this.name,
      state,
      logger: this.logger,
      now: this.now,
      policy: {
        heartbeatIntervalS: config.heartbeat_interval_s,
        registration: (identity) => this.chargePoints.registration(identity),
        idTags,
        unknownIdTag:
          config.unknown_id_tags === "accept" ? "Accepted" : "Invalid",
        dataTransferStatus: config.data_transfer_status,
      },
      stationOptions: (identity) => stationOptions.get(identity),
    });
    this.processor.on("session", (session) =>
      this.logger.info(
        {
          charge_point: session.identity,
          transaction_id: session.transaction_id,
          energy_wh: session.energy_wh,
        },
        "Charging session ended",
      ),
    );
    this.queue = new CommandQueue(
      this.name,
      state,
      {
        maxPerChargePoint: config.command_queue.max_per_charge_point,
        expiryMs: config.command_queue.expiry_ms,
      },
      this.now,
    );
    this.dispatcher = new CommandDispatcher({
      connection: (identity) => this.connections.get(identity),
      versionOf: (identity) =>
        this.connections.get(identity)?.version ??
        this.processor.stations.find(identity)?.version,
      processor: this.processor,
      queue: this.queue,
      logger: this.logger,
      callTimeoutMs: config.call_timeout_ms,
      recordFault: (error) => this.recordFault(error, error.code),
    });
    this.operations = new ChargePointOperations(
      (identity) => this.dispatcher.send.bind(this.dispatcher, identity),
      (identity) =>
        this.connections.get(identity)?.version ??
        this.processor.stations.find(identity)?.version,
    );
    this.counters = new CsmsCounters(this.registry, this.name);
    this.host = {
      connectorName: this.name,
      processor: this.processor,
      logger: this.logger,
      now: this.now,
      maxMessageBytes: config.max_message_bytes,
      rateLimiter: new RateLimiter(
        config.rate_limit.calls_per_second,
        config.rate_limit.burst,
        this.now,
      ),
      duplicates: new DuplicateCache(),
      acknowledge: config.acknowledge,
      deliver: (message) => this.deliver(message),
      backPressure: () =>
        this.sinkSaturated ? this.whenSinkWritable() : undefined,
      count: (counter, label) => this.counters.count(counter, label),
    };
  }

  /** The port the server listens on, once started. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Charge point ids connected now. */
  connectedChargePoints(): string[] {
    return [...this.connections.keys()];
  }

  /** Returns what is known about a charge point: boot data, connectors, firmware. */
  chargePoint(
    identity: string,
  ): (StationRecord & { connected: boolean }) | undefined {
    const record = this.processor.stations.find(identity);
    return record
      ? { ...record, connected: this.connections.has(identity) }
      : undefined;
  }

  /** Returns every transaction, active and ended. */
  transactions(): TransactionRecord[] {
    return this.processor.transactions.all();
  }

  /** Sends any CALL to a charge point (queued while it is offline). */
  send(
    identity: string,
    action: string,
    payload: Record<string, unknown>,
    options?: SendOptions,
  ): Promise<Record<string, unknown>> {
    return this.dispatcher.send(identity, action, payload, options);
  }

  protected async start(): Promise<void> {
    const server = createListener(this.config);
    const rpc = new RPCServer({
      protocols: this.versions.map((version) => SUBPROTOCOLS[version]),
      strictMode: false,
      callTimeoutMs: this.config.call_timeout_ms,
      pingIntervalMs: this.config.ping_interval_ms,
      callConcurrency: 1,
      wssOptions: { maxPayload: this.config.max_message_bytes * 16 },
    } as never) as unknown as RpcServerLike;
    rpc.auth(((
      accept: (session?: unknown, protocol?: string) => void,
      reject: (code: number, message: string) => void,
      handshake: {
        identity: string;
        password?: Buffer;
        protocols: Set<string>;
        request: IncomingMessage;
      },
    ) => {
      void this.authenticate(accept, reject, handshake);
    }) as never);
    rpc.on("client", ((client: RpcPeer) => this.attachClient(client)) as never);
    rpc.on("error", ((error: Error) =>
      this.logger.error({ err: error }, "WebSocket server error")) as never);
    screenUpgrades(
      server,
      this.config.path,
      this.logger,
      (request, socket, head) => {
        rpc.handleUpgrade(request, socket, head).catch((error: unknown) => {
          this.logger.error({ err: error }, "WebSocket upgrade failed");
          socket.destroy();
        });
      },
      () => this.counters.count("refused", "path"),
    );
    this.server = server;
    this.rpc = rpc;
    this.boundPort = await listen(server, this.config.host, this.config.port);
    this.logger.info(
      {
        host: this.config.host,
        port: this.boundPort,
        path: this.config.path,
        versions: this.versions,
        security_profile: this.config.security_profile,
      },
      "OCPP central system listening",
    );
    warnOpenDoors(this.logger, this.config, this.boundPort, "central system");
  }

  protected async stop(): Promise<void> {
    this.dispatcher.close();
    await this.rpc
      ?.close({ code: 1001, reason: "Server shutting down", force: true })
      .catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
    this.connections.clear();
    this.counters.setConnected(0);
  }

  protected override healthDetails(): Record<string, unknown> {
    return {
      port: this.boundPort,
      connected_charge_points: this.connections.size,
      active_transactions: this.processor.transactions
        .all()
        .filter((t) => t.status === "active").length,
    };
  }

  private async authenticate(
    accept: (session?: unknown, protocol?: string) => void,
    reject: (code: number, message: string) => void,
    handshake: {
      identity: string;
      password?: Buffer;
      protocols: Set<string>;
      request: IncomingMessage;
    },
  ): Promise<void> {
    const identity = handshake.identity;
    const refuse = (code: number, reason: string, label: string) => {
      this.counters.count("refused", label);
      this.logger.warn(
        {
          code: REFUSAL_CODES[label],
          charge_point: identity,
          remote: handshake.request.socket.remoteAddress,
          reason,
        },
        "Charge point connection refused",
      );
      reject(code, reason);
    };
    const version = this.versions.find((candidate) =>
      handshake.protocols.has(SUBPROTOCOLS[candidate]),
    );
    if (!version) {
      refuse(
        400,
        `no supported subprotocol offered; this server accepts ${this.versions.map((v) => SUBPROTOCOLS[v]).join(", ")}`,
        "subprotocol",
      );
      return;
    }
    if (this.config.security_profile === 3) {
      const name = clientCertificateName(handshake.request);
      if (name !== identity) {
        refuse(
          401,
          `client certificate name ${JSON.stringify(name ?? "")} does not match charge point id`,
          "certificate",
        );
        return;
      }
    }
    const passwordRequired =
      this.config.security_profile === 1 || this.config.security_profile === 2;
    try {
      const outcome = await this.chargePoints.authenticate(
        identity,
        handshake.password,
        passwordRequired,
      );
      if (!outcome.ok) {
        refuse(
          outcome.status,
          outcome.reason,
          outcome.status === 404 ? "unknown" : "auth",
        );
        return;
      }
      accept({ registration: outcome.registration }, SUBPROTOCOLS[version]);
    } catch (error) {
      this.logger.error(
        { charge_point: identity, err: error },
        "Authentication failed with an error",
      );
      reject(500, "authentication error");
    }
  }

  private attachClient(client: RpcPeer): void {
    const version = versionOfSubprotocol(client.protocol);
    if (!version) {
      void client.close({ code: 1002, reason: "no OCPP subprotocol" });
      return;
    }
    const identity = client.identity;
    const previous = this.connections.get(identity);
    if (previous) {
      this.logger.warn(
        { charge_point: identity },
        "Charge point connected again; the older connection is closed",
      );
      void previous.peer
        .close({ code: 1000, reason: "replaced by a newer connection" })
        .catch(() => undefined);
    }
    const connection = new ChargePointConnection(this.host, client, version);
    this.connections.set(identity, connection);
    this.counters.count("connections");
    this.counters.setConnected(this.connections.size);
    if (!this.processor.stations.find(identity)) {
      this.emit("discovered", {
        kind: "charge_point",
        id: identity,
        details: { version },
      });
    }
    this.processor.stations.get(identity, version);
    this.logger.info(
      { charge_point: identity, version },
      "Charge point connected",
    );
    client.on("close", (event) => {
      if (this.connections.get(identity) === connection) {
        this.connections.delete(identity);
        this.counters.setConnected(this.connections.size);
      }
      connection.logClose(
        (event ?? {}) as { code?: unknown; reason?: unknown },
      );
    });
    setImmediate(() => {
      void this.dispatcher.flush(identity);
    });
  }
}

export { OcppError };
