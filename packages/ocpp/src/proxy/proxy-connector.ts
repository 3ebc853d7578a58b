import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import {
  BaseConnector,
  type BoundGauge,
  type ConnectorContext,
  MemoryStateStore,
} from "@qubit/core";
import { WebSocketServer } from "ws";
import type { ProxyConfig } from "../config.js";
import { CONNECTED_GAUGE } from "../csms/counters.js";
import { warnOpenDoors } from "../csms/exposure.js";
import {
  clientCertificateName,
  createListener,
  listen,
  screenUpgrades,
} from "../csms/listener.js";
import { ChargePointRegistry } from "../csms/registry.js";
import type { OcppMessage } from "../message.js";
import { OcppProcessor } from "../processor/processor.js";
import {
  type OcppVersion,
  parseVersion,
  SUBPROTOCOLS,
  versionOfSubprotocol,
} from "../versions.js";
import { ProxySession } from "./proxy-session.js";

/**
 * The proxy (tap) role: charge points connect to us, and for each we open
 * a WebSocket to the operator's CSMS as that charge point, with the same
 * subprotocol and credentials. Frames go both ways unchanged; what passes
 * is turned into readings and sessions. While the upstream is down, the
 * charge point gets permissive answers (with `offline_answers: accept`)
 * and its frames are replayed upstream in order when it returns.
 */
export class ProxyConnector extends BaseConnector<OcppMessage> {
  readonly protocol = "ocpp";
  readonly config: ProxyConfig;
  readonly processor: OcppProcessor;
  private readonly chargePoints: ChargePointRegistry;
  private readonly versions: OcppVersion[];
  private readonly sessions = new Map<string, ProxySession>();
  private readonly connectedGauge: BoundGauge;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private boundPort: number | undefined;

  constructor(config: ProxyConfig, context: ConnectorContext = {}) {
    super("ocpp-proxy", context);
    this.config = config;
    this.versions = config.versions.map(
      (text) => parseVersion(text) as OcppVersion,
    );
    this.chargePoints = new ChargePointRegistry(
      config.charge_points,
      config.unknown_charge_points,
    );
    this.connectedGauge = this.registry
      .gauge(CONNECTED_GAUGE, "Charge points connected now")
      .with({ connector: this.name });
    this.connectedGauge.set(0);
    this.processor = new OcppProcessor({
      connectorName: this.name,
      state: this.state ?? new MemoryStateStore(),
      logger: this.logger,
      now: this.now,
      stationOptions: (identity) => {
        const unit = this.chargePoints.entry(identity)?.energy_unit;
        return unit === undefined ? undefined : { energy_unit: unit };
      },
    });
  }

  /** The port the proxy listens on, once started. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Charge points connected to the proxy now. */
  connectedChargePoints(): string[] {
    return [...this.sessions.keys()];
  }

  protected async start(): Promise<void> {
    const server = createListener(this.config);
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.config.max_message_bytes * 16,
      handleProtocols: (offered) => {
        const version = this.versions.find((candidate) =>
          offered.has(SUBPROTOCOLS[candidate]),
        );
        return version ? SUBPROTOCOLS[version] : false;
      },
    });
    screenUpgrades(
      server,
      this.config.path,
      this.logger,
      (request, socket, head, identity) => {
        void this.upgrade(wss, request, socket, head, identity);
      },
      () => undefined,
    );
    this.server = server;
    this.wss = wss;
    this.boundPort = await listen(server, this.config.host, this.config.port);
    this.logger.info(
      { port: this.boundPort, upstream: this.config.upstream.websocket_url },
      "OCPP proxy listening",
    );
    warnOpenDoors(this.logger, this.config, this.boundPort, "proxy");
  }

  protected async stop(): Promise<void> {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
    this.connectedGauge.set(0);
    this.wss?.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  protected override healthDetails(): Record<string, unknown> {
    return {
      port: this.boundPort,
      connected_charge_points: this.sessions.size,
      upstream_connected: [...this.sessions.values()].filter(
        (session) => session.upstreamOpen,
      ).length,
    };
  }

  private async upgrade(
    wss: WebSocketServer,
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    identity: string,
  ): Promise<void> {
    const refuse = (status: number, reason: string) => {
      this.logger.warn(
        { charge_point: identity, reason },
        "Proxy refused a charge point",
      );
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Bad Request"}\r\nConnection: close\r\n\r\n`,
      );
    };
    const offered = String(request.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim());
    const version = this.versions.find((candidate) =>
      offered.includes(SUBPROTOCOLS[candidate]),
    );
    if (!version) return refuse(400, "no supported subprotocol offered");
    if (
      this.config.security_profile === 3 &&
      clientCertificateName(request) !== identity
    ) {
      return refuse(
        401,
        "client certificate does not match the charge point id",
      );
    }
    const password = passwordOf(request.headers.authorization, identity);
    const required =
      this.config.security_profile === 1 || this.config.security_profile === 2;
    const outcome = await this.chargePoints.authenticate(
      identity,
      password,
      required,
    );
    if (!outcome.ok) return refuse(outcome.status, outcome.reason);
    wss.handleUpgrade(request, socket, head, (charger) => {
      const negotiated = versionOfSubprotocol(charger.protocol) ?? version;
      const upstreamPassword =
        this.chargePoints.entry(identity)?.upstream_password;
      this.sessions.get(identity)?.close();
      const session = new ProxySession({
        identity,
        version: negotiated,
        charger,
        upstreamUrl: `${this.config.upstream.websocket_url.replace(/\/$/, "")}/${encodeURIComponent(identity)}`,
        authorization:
          upstreamPassword !== undefined
            ? `Basic ${Buffer.from(`${identity}:${upstreamPassword}`).toString("base64")}`
            : request.headers.authorization,
        caFile: this.config.upstream.ca_file,
        reconnectMaxDelayMs: this.config.upstream.reconnect_max_delay_ms,
        offlineAnswers: this.config.offline_answers,
        queueMax: this.config.offline_queue_max,
        processor: this.processor,
        logger: this.logger,
        now: this.now,
        deliver: (message) => this.deliver(message),
      });
      this.sessions.set(identity, session);
      this.connectedGauge.set(this.sessions.size);
      charger.on("close", () => {
        if (this.sessions.get(identity) === session)
          this.sessions.delete(identity);
        this.connectedGauge.set(this.sessions.size);
        session.close();
      });
    });
  }
}

/** Returns the basic-auth password sent for a charge point id, if any. */
function passwordOf(
  header: string | undefined,
  identity: string,
): Buffer | undefined {
  const match = /^\s*basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64");
  const prefix = Buffer.from(`${identity}:`);
  return decoded.subarray(0, prefix.length).equals(prefix)
    ? decoded.subarray(prefix.length)
    : undefined;
}
