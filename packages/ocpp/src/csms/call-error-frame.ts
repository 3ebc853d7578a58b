import type { OcppVersion } from "../versions.js";

/** The fields of an error that a CALLERROR frame carries. */
interface RpcErrorLike {
  rpcErrorCode?: unknown;
  rpcErrorMessage?: unknown;
  message?: unknown;
  details?: unknown;
}

/**
 * Builds the text of a CALLERROR frame `[4, id, code, description,
 * details]` from an error thrown while handling a CALL: an ocpp-rpc RPC
 * error (what `OcppCallError.toRpcError` returns) or any other error,
 * which becomes `GenericError`. On 1.6 connections `FormatViolation` is
 * sent as 1.6's `FormationViolation` and the misspelled
 * `OccurenceConstraintViolation` as `OccurrenceConstraintViolation`, the
 * same rewrite ocpp-rpc 2.2.1 applies to the CALLERRORs it sends.
 */
export function callErrorFrame(
  messageId: string,
  error: unknown,
  version: OcppVersion,
): string {
  const fields = (error ?? {}) as RpcErrorLike;
  let code =
    typeof fields.rpcErrorCode === "string" && fields.rpcErrorCode !== ""
      ? fields.rpcErrorCode
      : "GenericError";
  if (version === "1.6") {
    if (code === "FormatViolation") code = "FormationViolation";
    else if (code === "OccurenceConstraintViolation")
      code = "OccurrenceConstraintViolation";
  }
  const description =
    typeof fields.message === "string" && fields.message !== ""
      ? fields.message
      : typeof fields.rpcErrorMessage === "string"
        ? fields.rpcErrorMessage
        : "";
  const details =
    fields.details !== null && typeof fields.details === "object"
      ? fields.details
      : {};
  return JSON.stringify([4, messageId, code, description, details]);
}
