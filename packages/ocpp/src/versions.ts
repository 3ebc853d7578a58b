/** OCPP versions this package speaks, as written in configs and APIs. */
export type OcppVersion = "1.6" | "2.0.1";

/** Every supported version, in the order a server prefers them. */
export const OCPP_VERSIONS: readonly OcppVersion[] = ["2.0.1", "1.6"];

/** WebSocket subprotocol of each version (OCPP-J). */
export const SUBPROTOCOLS: Readonly<Record<OcppVersion, string>> = {
  "1.6": "ocpp1.6",
  "2.0.1": "ocpp2.0.1",
};

/** Returns the version that a negotiated subprotocol stands for. */
export function versionOfSubprotocol(
  subprotocol: string | undefined,
): OcppVersion | undefined {
  if (subprotocol === "ocpp1.6") return "1.6";
  if (subprotocol === "ocpp2.0.1") return "2.0.1";
  return undefined;
}

/**
 * Parses a version as users write it: `1.6`, `1.6J`, `ocpp1.6`, `2.0.1`,
 * `ocpp2.0.1`. Returns `undefined` for anything else.
 */
export function parseVersion(text: string): OcppVersion | undefined {
  const compact = text.trim().toLowerCase().replace(/^ocpp/, "");
  if (compact === "1.6" || compact === "1.6j") return "1.6";
  if (compact === "2.0.1" || compact === "2.0.1j") return "2.0.1";
  return undefined;
}
