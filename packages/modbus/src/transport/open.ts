import ModbusRTU from "modbus-serial";
import type { TransportOptions } from "./client.js";

type Library = InstanceType<typeof ModbusRTU>;

/**
 * Returns the silence an RTU master keeps before each request: 3.5
 * character times (start bit, data bits, parity bit, stop bits), or the
 * fixed 1.75 ms that the Modbus serial line specification sets for rates
 * above 19200 bit/s.
 */
export function rtuFrameDelayMs(options: {
  baudrate: number;
  bytesize: number;
  parity: string;
  stopbits: number;
}): number {
  if (options.baudrate > 19_200) return 1.75;
  const bits =
    1 +
    options.bytesize +
    (options.parity === "none" ? 0 : 1) +
    options.stopbits;
  return (3.5 * bits * 1000) / options.baudrate;
}

/**
 * Opens a modbus-serial client for the transport: `connectTCP` for
 * Modbus TCP, `connectTelnet` for RTU frames through a TCP serial
 * gateway, `connectRTUBuffered` for a serial line. The library's own
 * timeout is set first, so it also bounds the TCP connect.
 */
export async function openLibraryClient(
  options: TransportOptions,
): Promise<Library & { removeAllListeners(event?: string): void }> {
  const library = new ModbusRTU();
  library.setTimeout(options.timeoutMs);
  if (options.protocol === "tcp") {
    await library.connectTCP(options.host ?? "127.0.0.1", {
      port: Number(options.port),
    });
  } else if (options.protocol === "rtu_over_tcp") {
    await library.connectTelnet(options.host ?? "127.0.0.1", {
      port: Number(options.port),
    });
    clearBufferOnWrite(library);
  } else {
    await library.connectRTUBuffered(String(options.port), {
      baudRate: options.baudrate,
      parity: options.parity,
      stopBits: options.stopbits,
      dataBits: options.bytesize,
    });
    clearBufferOnWrite(library);
  }
  return library as Library & { removeAllListeners(event?: string): void };
}

/**
 * On a serial line every byte before a request is stale: the tail of a
 * late or broken response. modbus-serial's RTU ports keep such bytes in
 * their buffer and may pair them with the next request, so the buffer is
 * emptied before each request is written.
 */
function clearBufferOnWrite(library: Library): void {
  // NOTE: `_port` and `_buffer` are private fields of modbus-serial 8.0.x
  // (RTUBufferedPort and TelnetPort); check them when upgrading.
  const port = (library as unknown as { _port?: PortInternals })._port;
  if (!port || typeof port.write !== "function") return;
  const write = port.write.bind(port);
  port.write = (data: Buffer) => {
    port._buffer = Buffer.alloc(0);
    write(data);
  };
}

interface PortInternals {
  write(data: Buffer): void;
  _buffer: Buffer;
}
