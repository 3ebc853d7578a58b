import { createServer, type Server, type Socket } from "node:net";

/** Returns the register at a 0-based address, or `undefined` when absent. */
export type RegisterSource = (
  functionCode: 3 | 4,
  address: number,
) => number | undefined;

/** A running simulator and how to stop it. */
export interface SimulatorHandle {
  port: number;
  /** Requests served so far. */
  readonly requests: number;
  stop(): Promise<void>;
}

const ILLEGAL_FUNCTION = 0x01;
const ILLEGAL_DATA_ADDRESS = 0x02;
const ILLEGAL_DATA_VALUE = 0x03;

/**
 * Starts a lean Modbus TCP server. It serves function codes 3 and 4
 * synchronously from `source`, returns exception 02 when a requested
 * register is absent and exception 01 for other functions. Written for
 * `qubit demo`, so it responds without deferring each request.
 */
export async function startSimulator(
  source: RegisterSource,
  host = "127.0.0.1",
): Promise<SimulatorHandle> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const length = pending.readUInt16BE(4);
        if (pending.length < 6 + length) break;
        const frame = pending.subarray(0, 6 + length);
        pending = pending.subarray(6 + length);
        requests += 1;
        socket.write(answer(frame, source));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    get requests() {
      return requests;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(frame: Buffer, source: RegisterSource): Buffer {
  const functionCode = frame[7]!;
  if (functionCode !== 3 && functionCode !== 4) {
    return exception(frame, ILLEGAL_FUNCTION);
  }
  const start = frame.readUInt16BE(8);
  const quantity = frame.readUInt16BE(10);
  if (quantity < 1 || quantity > 125)
    return exception(frame, ILLEGAL_DATA_VALUE);
  const reply = Buffer.alloc(9 + quantity * 2);
  frame.copy(reply, 0, 0, 4);
  reply.writeUInt16BE(3 + quantity * 2, 4);
  reply[6] = frame[6]!;
  reply[7] = functionCode;
  reply[8] = quantity * 2;
  for (let index = 0; index < quantity; index += 1) {
    const word = source(functionCode, start + index);
    if (word === undefined) return exception(frame, ILLEGAL_DATA_ADDRESS);
    reply.writeUInt16BE(word & 0xffff, 9 + index * 2);
  }
  return reply;
}

function exception(frame: Buffer, code: number): Buffer {
  const reply = Buffer.alloc(9);
  frame.copy(reply, 0, 0, 4);
  reply.writeUInt16BE(3, 4);
  reply[6] = frame[6]!;
  reply[7] = frame[7]! | 0x80;
  reply[8] = code;
  return reply;
}
