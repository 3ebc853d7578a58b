import type { Logger } from "@qubit/core";
import type { CentralSystemConfig, ProxyConfig } from "../config.js";

/** A way in that a server's config leaves open, and the key that closes it. */
export interface OpenDoor {
  /** Short description of the open door. */
  door: string;
  /** The config key that closes it. */
  key: string;
  /** How to set that key. */
  fix: string;
}

type ExposureConfig = Pick<
  CentralSystemConfig | ProxyConfig,
  "host" | "security_profile" | "tls" | "unknown_charge_points"
>;

/** Returns whether a listen address accepts connections from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\./.test(bare);
}

/**
 * Lists the open doors of a central system or proxy that other machines
 * can reach. A server on a loopback address has none: only processes of
 * this machine (such as a TLS-terminating reverse proxy) reach it.
 */
export function openDoors(config: ExposureConfig): OpenDoor[] {
  if (isLoopbackHost(config.host)) return [];
  const doors: OpenDoor[] = [];
  if (config.security_profile === 0) {
    doors.push({
      door: "no authentication: anyone who reaches the port can connect as any charge point",
      key: "security_profile",
      fix: "set security_profile to 1, 2 or 3 and list the charge points with a password_hash or a client certificate",
    });
    if (config.unknown_charge_points === "accept") {
      doors.push({
        door: "charge points missing from charge_points are accepted",
        key: "unknown_charge_points",
        fix: 'set unknown_charge_points to "reject" (or "pending")',
      });
    }
  }
  if (config.security_profile < 2 && config.tls === undefined) {
    doors.push({
      door: "no TLS: passwords and meter values travel in clear text",
      key: "tls",
      fix: "set security_profile to 2 or 3 with tls.cert_file and tls.key_file, or terminate TLS in a reverse proxy and listen on 127.0.0.1",
    });
  }
  return doors;
}

/**
 * Logs one warning at start when the server is reachable from other
 * machines and has open doors, naming each door and the key that closes
 * it.
 */
export function warnOpenDoors(
  logger: Logger,
  config: ExposureConfig,
  port: number | undefined,
  role: string,
): void {
  const doors = openDoors(config);
  if (doors.length === 0) return;
  const list = doors.map((door) => `${door.door} (${door.fix})`).join("; ");
  logger.warn(
    {
      code: "QUBIT_OCPP_SERVER_EXPOSED",
      host: config.host,
      port,
      open_doors: doors,
    },
    `OCPP ${role} on ${config.host}:${String(port)} is reachable from other machines with ${doors.length} open door(s): ${list}; set host to 127.0.0.1 to accept local connections only`,
  );
}
