import { readFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Logger } from "@qubit/core";
import type { CentralSystemConfig, ProxyConfig } from "../config.js";
import { OcppError } from "../errors.js";
import { identityFromPath } from "../identity.js";

/** The listening settings the central system and the proxy share. */
export type ListenConfig = Pick<
  CentralSystemConfig | ProxyConfig,
  "host" | "port" | "path" | "security_profile" | "tls"
>;

/**
 * Creates the HTTP or HTTPS server that chargers connect to. Security
 * profiles 2 and 3 need `tls`; profile 3 also requires a client
 * certificate signed by `tls.ca_file`.
 */
export function createListener(config: ListenConfig): Server {
  const profile = config.security_profile;
  if (profile >= 2 && !config.tls) {
    throw new OcppError(
      "QUBIT_OCPP_AUTH_FAILED",
      `security_profile ${profile} needs TLS, but tls is not set`,
      {
        fix: "set tls.cert_file and tls.key_file (and tls.ca_file for profile 3)",
      },
    );
  }
  if (!config.tls) return createHttpServer(notFound);
  if (profile === 3 && !config.tls.ca_file) {
    throw new OcppError(
      "QUBIT_OCPP_AUTH_FAILED",
      "security_profile 3 needs tls.ca_file to check client certificates",
      {
        fix: "set tls.ca_file to the CA that signs the charge points' certificates",
      },
    );
  }
  const options: Parameters<typeof createHttpsServer>[0] = {
    cert: readFileSync(config.tls.cert_file),
    key: readFileSync(config.tls.key_file),
    minVersion: "TLSv1.2",
  };
  if (config.tls.ca_file) options.ca = readFileSync(config.tls.ca_file);
  if (profile === 3) {
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return createHttpsServer(options, notFound);
}

function notFound(
  _request: IncomingMessage,
  response: import("node:http").ServerResponse,
): void {
  response.writeHead(404, { "content-type": "text/plain" });
  response.end(
    "OCPP endpoint: connect with a WebSocket to <path>/<charge point id>\n",
  );
}

/**
 * Screens upgrade requests before ocpp-rpc sees them: the charge point id
 * is taken from the path, URL-decoded once and checked, and a bad one is
 * answered with HTTP 400 (a path outside ours with 404). ocpp-rpc 2.2.1
 * decodes the id outside its error handling, so a malformed escape that
 * reached it would become an unhandled rejection.
 */
export function screenUpgrades(
  server: Server,
  basePath: string,
  logger: Logger,
  next: (
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    identity: string,
  ) => void,
  onRejected: (reason: string) => void,
): void {
  server.on(
    "upgrade",
    (request: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      const result = identityFromPath(request.url ?? "/", basePath);
      if (!result.ok) {
        onRejected(result.reason);
        logger.warn(
          {
            code: "QUBIT_OCPP_IDENTITY_INVALID",
            url: (request.url ?? "").slice(0, 200),
            remote: request.socket.remoteAddress,
            reason: result.reason,
          },
          "WebSocket upgrade refused: bad charge point path",
        );
        const text = result.status === 400 ? "Bad Request" : "Not Found";
        socket.end(
          `HTTP/1.1 ${result.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(result.reason)}\r\n\r\n${result.reason}`,
        );
        return;
      }
      next(request, socket, head, result.identity);
    },
  );
}

/** Returns the common name of a TLS client certificate, if any. */
export function clientCertificateName(
  request: IncomingMessage,
): string | undefined {
  const socket = request.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== "function") return undefined;
  const certificate = socket.getPeerCertificate();
  const name = certificate?.subject?.CN;
  return Array.isArray(name) ? name[0] : name;
}

/** Starts listening; returns the bound port. */
export async function listen(
  server: Server,
  host: string,
  port: number,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
