import { OcppError } from "../errors.js";

/** A failed connection attempt of the charge point client. */
export interface ConnectFailure {
  /**
   * `QUBIT_OCPP_AUTH_FAILED` (HTTP 401 or 403),
   * `QUBIT_OCPP_CONNECT_REJECTED` (another HTTP status) or
   * `QUBIT_OCPP_CONNECT_FAILED` (no HTTP response: connection refused,
   * timeout, TLS failure).
   */
  error: OcppError;
  /** The HTTP status of a rejected WebSocket upgrade. */
  status?: number;
  /** Failed attempts since the last connection. */
  attempts: number;
  retryInMs: number;
}

/**
 * Turns an error of ocpp-rpc's `connect()` into an {@link OcppError}.
 * ocpp-rpc 2.2.1 rejects a failed upgrade with `UnexpectedHttpResponse`,
 * whose `code` is the HTTP status and `message` its status text.
 */
export function describeConnectFailure(
  error: unknown,
  url: string,
  identity: string,
): { error: OcppError; status?: number } {
  const status = (error as { code?: unknown } | undefined)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (typeof status === "number" && status >= 400 && status < 600) {
    const answer = `HTTP ${status}${text ? ` ${text}` : ""}`;
    if (status === 401 || status === 403) {
      return {
        status,
        error: new OcppError(
          "QUBIT_OCPP_AUTH_FAILED",
          `the CSMS at ${url} rejected the credentials of charge point ${identity} (${answer})`,
          {
            value: status,
            fix: "check the basic-auth password (the username must be the charge point id) or the client certificate",
          },
        ),
      };
    }
    return {
      status,
      error: new OcppError(
        "QUBIT_OCPP_CONNECT_REJECTED",
        `the CSMS at ${url} rejected the connection of charge point ${identity} (${answer})`,
        {
          value: status,
          fix:
            status === 404
              ? `check websocket_url and that the CSMS knows the charge point id ${identity}`
              : "check websocket_url, the OCPP version and the CSMS's log",
        },
      ),
    };
  }
  return {
    error: new OcppError(
      "QUBIT_OCPP_CONNECT_FAILED",
      `cannot reach the CSMS at ${url}: ${text}`,
      { fix: "check websocket_url and that the CSMS is running and reachable" },
    ),
  };
}

/** Removes `user:password@` from a URL for logs and messages. */
export function withoutCredentials(url: string): string {
  return url.replace(/^(wss?:\/\/)[^/@]*@/i, "$1");
}
