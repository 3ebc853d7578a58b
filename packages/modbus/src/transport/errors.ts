import type { QubitError, SourceLocation } from "@qubit/core";
import {
  formatExceptionCode,
  ModbusConnectionError,
  ModbusExceptionError,
  ModbusFrameError,
  ModbusTimeoutError,
} from "../errors.js";

/** The request a library error belongs to. */
export interface RequestInfo {
  endpoint: string;
  unitId: number;
  functionCode: number;
  start: number;
  quantity: number;
}

interface LibraryError {
  name?: string;
  message?: string;
  errno?: string;
  modbusCode?: number;
}

/**
 * Maps an error of modbus-serial 8 to a typed error with the device, unit
 * id and address. In that library, exception responses carry
 * `modbusCode` and timeouts are `TransactionTimedOutError`. Length, CRC,
 * unit or function mismatches are plain `Error`s whose message starts
 * with "Data length error", "CRC error" or "Unexpected data error".
 */
export function mapLibraryError(
  error: unknown,
  request: RequestInfo,
): QubitError {
  const failure = (error ?? {}) as LibraryError;
  const location: SourceLocation = {
    protocol: "modbus",
    address: `${request.endpoint}/${request.unitId}`,
    unit_id: request.unitId,
    function: request.functionCode,
    register: request.start,
    quantity: request.quantity,
  };
  const described = `FC${String(request.functionCode).padStart(2, "0")} start ${request.start} quantity ${request.quantity} to unit ${request.unitId} at ${request.endpoint}`;
  if (typeof failure.modbusCode === "number") {
    const exception = new ModbusExceptionError(
      failure.modbusCode,
      `exception ${formatExceptionCode(failure.modbusCode)} in response to ${described}`,
      { location, cause: error, value: failure.modbusCode },
    );
    return exception;
  }
  const message = failure.message ?? String(error);
  if (
    failure.name === "TransactionTimedOutError" ||
    failure.errno === "ETIMEDOUT"
  ) {
    return new ModbusTimeoutError(
      "QUBIT_MODBUS_TIMEOUT",
      `no response to ${described} within the timeout`,
      {
        location,
        cause: error,
        fix: "check the unit id, wiring and that the device is on; raise timeout if it is slow",
      },
    );
  }
  if (/^(CRC error|Data length error|Unexpected data error)/.test(message)) {
    return new ModbusFrameError(
      "QUBIT_MODBUS_FRAME_INVALID",
      `invalid response to ${described}: ${message}`,
      {
        location,
        cause: error,
        fix: "check for noise on the line, a second master, or two devices with one unit id",
      },
    );
  }
  return new ModbusConnectionError(
    "QUBIT_MODBUS_CONNECTION_LOST",
    `${described} failed: ${message}`,
    {
      location,
      cause: error,
      fix: "check that the device or gateway is reachable; the connector reconnects with backoff",
    },
  );
}
