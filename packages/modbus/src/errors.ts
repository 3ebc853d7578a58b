import { QubitError, type QubitErrorOptions } from "@qubit/core";

/** Error and diagnostic codes of `@qubit/modbus`, with what each one means. */
export const ModbusErrorCodes = {
  QUBIT_MODBUS_ADDRESS_INVALID:
    "A register address is not valid in the addressing convention it uses.",
  QUBIT_MODBUS_MAP_INVALID:
    "A register map point is inconsistent: type, table, length or scaling.",
  QUBIT_MODBUS_PROFILE_UNKNOWN: "A device names a profile that does not exist.",
  QUBIT_MODBUS_UNIT_UNKNOWN:
    "A point's `unit` is not in the core unit table, so it is not converted.",
  QUBIT_MODBUS_SCALE_LOOKS_LIKE_MULTIPLIER:
    "A `scale` below 1 divides, so 0.1 makes values 10 times larger.",
  QUBIT_MODBUS_NO_POINTS:
    "A connector or device has no registers, profile or SunSpec to read.",
  QUBIT_MODBUS_CONNECTION_FAILED:
    "The TCP connection or serial port could not be opened.",
  QUBIT_MODBUS_CONNECTION_LOST: "The TCP connection or serial port closed.",
  QUBIT_MODBUS_TIMEOUT: "A device sent no response within the timeout.",
  QUBIT_MODBUS_FRAME_INVALID:
    "A response had a wrong length, CRC, unit id or function code.",
  QUBIT_MODBUS_EXCEPTION_ILLEGAL_FUNCTION:
    "Exception 01: the device does not support the function code.",
  QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS:
    "Exception 02: the device has no register at an address of the request.",
  QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE:
    "Exception 03: a value in the request is not allowed.",
  QUBIT_MODBUS_EXCEPTION_SERVER_DEVICE_FAILURE:
    "Exception 04: the device failed while handling the request.",
  QUBIT_MODBUS_EXCEPTION_ACKNOWLEDGE:
    "Exception 05: the device accepted a long-running request.",
  QUBIT_MODBUS_EXCEPTION_SERVER_DEVICE_BUSY:
    "Exception 06: the device is busy; the request can be sent again later.",
  QUBIT_MODBUS_EXCEPTION_MEMORY_PARITY_ERROR:
    "Exception 08: the device found a parity error in its memory.",
  QUBIT_MODBUS_EXCEPTION_GATEWAY_PATH_UNAVAILABLE:
    "Exception 0A: the gateway has no path to the target device.",
  QUBIT_MODBUS_EXCEPTION_GATEWAY_TARGET_FAILED:
    "Exception 0B: the target device behind the gateway did not respond.",
  QUBIT_MODBUS_EXCEPTION_UNKNOWN:
    "The device sent an undefined exception code.",
  QUBIT_MODBUS_VALUE_INVALID:
    "A decoded value is not a usable number (infinite float, bad scale factor).",
  QUBIT_MODBUS_PRECISION_LOST:
    "A 64-bit integer is larger than 2^53 and was rounded to a double.",
  QUBIT_MODBUS_COUNTER_DECREASED:
    "A cumulative counter is lower than at the previous poll.",
  QUBIT_MODBUS_COUNTER_ROLLOVER:
    "A cumulative counter wrapped around its maximum raw value.",
  QUBIT_MODBUS_COUNTER_JUMP:
    "A cumulative counter rose faster than its configured max_rate.",
  QUBIT_MODBUS_DEVICE_UNREACHABLE:
    "A device stopped answering; its readings carry communication_error.",
  QUBIT_MODBUS_SUNSPEC_NOT_FOUND:
    "No SunSpec marker was found at 40000, 50000 or 0.",
  QUBIT_MODBUS_SUNSPEC_MODEL_UNKNOWN:
    "A SunSpec model in the device's chain has no definition here.",
  QUBIT_MODBUS_WRITE_INVALID:
    "A write names a read-only point or a value the point cannot encode.",
  QUBIT_MODBUS_REGISTERS_FILE_INVALID:
    "A register image for `qubit convert modbus` is not valid.",
  QUBIT_MODBUS_WORDS_MISSING:
    "A register image lacks a register that the map reads.",
} as const;

/** A code of {@link ModbusErrorCodes}. */
export type ModbusErrorCode = keyof typeof ModbusErrorCodes;

/** Base class of the errors `@qubit/modbus` throws or reports. */
export class ModbusError extends QubitError {
  constructor(
    code: ModbusErrorCode,
    message: string,
    options: QubitErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** A request that got no response within the timeout. */
export class ModbusTimeoutError extends ModbusError {}

/** A response with a wrong length, CRC, unit id or function code. */
export class ModbusFrameError extends ModbusError {}

/** A connection that cannot be opened or that closed. */
export class ModbusConnectionError extends ModbusError {}

/** An invalid write request. */
export class ModbusWriteError extends ModbusError {}

/** One Modbus exception code as the protocol specification names it. */
export interface ExceptionDefinition {
  /** The exception code of the response, 1 to 11. */
  exceptionCode: number;
  /** The specification's name, for example `ILLEGAL DATA ADDRESS`. */
  name: string;
  code: ModbusErrorCode;
  fix: string;
}

/**
 * The exception codes as the Modbus application protocol specification
 * names them, keyed by code.
 */
export const MODBUS_EXCEPTIONS: ReadonlyMap<number, ExceptionDefinition> =
  new Map(
    (
      [
        [
          1,
          "ILLEGAL FUNCTION",
          "QUBIT_MODBUS_EXCEPTION_ILLEGAL_FUNCTION",
          "check the point's table: this device may not serve that function code",
        ],
        [
          2,
          "ILLEGAL DATA ADDRESS",
          "QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS",
          "check the address and its addressing convention against the device's register map",
        ],
        [
          3,
          "ILLEGAL DATA VALUE",
          "QUBIT_MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE",
          "check the quantity of the request or the value written",
        ],
        [
          4,
          "SERVER DEVICE FAILURE",
          "QUBIT_MODBUS_EXCEPTION_SERVER_DEVICE_FAILURE",
          "check the device; the request is sent again at the next poll",
        ],
        [
          5,
          "ACKNOWLEDGE",
          "QUBIT_MODBUS_EXCEPTION_ACKNOWLEDGE",
          "the device is processing; the request is sent again at the next poll",
        ],
        [
          6,
          "SERVER DEVICE BUSY",
          "QUBIT_MODBUS_EXCEPTION_SERVER_DEVICE_BUSY",
          "the request is sent again after a delay; raise polling_interval if this repeats",
        ],
        [
          8,
          "MEMORY PARITY ERROR",
          "QUBIT_MODBUS_EXCEPTION_MEMORY_PARITY_ERROR",
          "check the device; its memory reported a parity error",
        ],
        [
          10,
          "GATEWAY PATH UNAVAILABLE",
          "QUBIT_MODBUS_EXCEPTION_GATEWAY_PATH_UNAVAILABLE",
          "check the gateway's routing for this unit id",
        ],
        [
          11,
          "GATEWAY TARGET DEVICE FAILED TO RESPOND",
          "QUBIT_MODBUS_EXCEPTION_GATEWAY_TARGET_FAILED",
          "check that the device behind the gateway is powered and wired, and its unit id",
        ],
      ] as const
    ).map(([exceptionCode, name, code, fix]) => [
      exceptionCode,
      { exceptionCode, name, code, fix },
    ]),
  );

/** An exception response from a device, keyed by its exception code. */
export class ModbusExceptionError extends ModbusError {
  /** The exception code of the response (2 for ILLEGAL DATA ADDRESS). */
  readonly exceptionCode: number;
  /** The specification's name of the exception. */
  readonly exceptionName: string;

  constructor(
    exceptionCode: number,
    message: string,
    options: QubitErrorOptions = {},
  ) {
    const definition = MODBUS_EXCEPTIONS.get(exceptionCode);
    super(definition?.code ?? "QUBIT_MODBUS_EXCEPTION_UNKNOWN", message, {
      fix: definition?.fix ?? "check the device's documentation for this code",
      ...options,
    });
    this.exceptionCode = exceptionCode;
    this.exceptionName = definition?.name ?? "UNKNOWN EXCEPTION";
  }
}

/** Formats an exception code as the specification writes it: `02`, `0A`. */
export function formatExceptionCode(code: number): string {
  return code.toString(16).toUpperCase().padStart(2, "0");
}
