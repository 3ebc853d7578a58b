import { createServer, type Server, type Socket } from "node:net";

/**
 * A Modbus TCP responder whose responses a test controls, for faults that
 * no real device does on request: late, short or malformed responses.
 * `answer` gets the request (transaction id, unit, function, start,
 * quantity) and returns the response PDU bytes and a delay, or
 * `undefined` to stay silent.
 */
export interface RequestFrame {
  transactionId: number;
  unitId: number;
  functionCode: number;
  start: number;
  quantity: number;
}

export type Answer = { pdu: number[]; delayMs?: number } | undefined;

export async function startBrokenDevice(
  answer: (request: RequestFrame, index: number) => Answer,
): Promise<{ port: number; requests: RequestFrame[]; stop(): Promise<void> }> {
  const requests: RequestFrame[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 12) {
        const length = buffer.readUInt16BE(4);
        if (buffer.length < 6 + length) return;
        const frame = buffer.subarray(0, 6 + length);
        buffer = buffer.subarray(6 + length);
        const request: RequestFrame = {
          transactionId: frame.readUInt16BE(0),
          unitId: frame[6]!,
          functionCode: frame[7]!,
          start: frame.readUInt16BE(8),
          quantity: frame.readUInt16BE(10),
        };
        requests.push(request);
        const reply = answer(request, requests.length - 1);
        if (!reply) continue;
        const header = Buffer.alloc(7);
        header.writeUInt16BE(request.transactionId, 0);
        header.writeUInt16BE(0, 2);
        header.writeUInt16BE(reply.pdu.length + 1, 4);
        header[6] = request.unitId;
        const bytes = Buffer.concat([header, Buffer.from(reply.pdu)]);
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!socket.destroyed) socket.write(bytes);
        }, reply.delayMs ?? 0);
        timers.add(timer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    requests,
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Builds the PDU of a read-registers response carrying these words. */
export function registersPdu(functionCode: number, words: number[]): number[] {
  const bytes = [functionCode, words.length * 2];
  for (const word of words) bytes.push(word >> 8, word & 0xff);
  return bytes;
}

/** Modbus RTU CRC-16 (polynomial 0xA001, initial 0xFFFF), low byte first. */
export function crc16(bytes: number[]): [number, number] {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
    }
  }
  return [crc & 0xff, crc >> 8];
}
