// Lean Modbus TCP device simulator for the benchmark: DEVICES listeners on
// consecutive free ports, each answering function 3 synchronously from
// 50 registers in 5 blocks of 10 (0-9, 100-109, ..., 400-409). Other
// addresses get exception 02. Reports its port list on stdout, then
// answers "count" on stdin with the requests served so far.
import { createServer } from "node:net";
import { createInterface } from "node:readline";

const devices = Number(process.argv[2] ?? 100);
const BLOCK_STARTS = [0, 100, 200, 300, 400];
const BLOCK_SIZE = 10;
let requests = 0;

function word(address) {
  const block = Math.floor(address / 100);
  const offset = address % 100;
  if (!BLOCK_STARTS.includes(block * 100) || offset >= BLOCK_SIZE)
    return undefined;
  return (block * 1000 + offset * 7) & 0xffff;
}

function answer(frame) {
  const start = frame.readUInt16BE(8);
  const quantity = frame.readUInt16BE(10);
  let failed = frame[7] !== 3 || quantity < 1 || quantity > 125;
  const reply = Buffer.allocUnsafe(failed ? 9 : 9 + quantity * 2);
  for (let i = 0; !failed && i < quantity; i += 1) {
    const value = word(start + i);
    if (value === undefined) failed = true;
    else reply.writeUInt16BE(value, 9 + i * 2);
  }
  if (failed) {
    const error = Buffer.allocUnsafe(9);
    frame.copy(error, 0, 0, 4);
    error.writeUInt16BE(3, 4);
    error[6] = frame[6];
    error[7] = frame[7] | 0x80;
    error[8] = 2;
    return error;
  }
  frame.copy(reply, 0, 0, 4);
  reply.writeUInt16BE(3 + quantity * 2, 4);
  reply[6] = frame[6];
  reply[7] = 3;
  reply[8] = quantity * 2;
  return reply;
}

function listen() {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let pending = Buffer.alloc(0);
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 12) {
        const length = pending.readUInt16BE(4);
        if (pending.length < 6 + length) break;
        const frame = pending.subarray(0, 6 + length);
        pending = pending.subarray(6 + length);
        requests += 1;
        socket.write(answer(frame));
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(server.address().port)),
  );
}

const ports = [];
for (let i = 0; i < devices; i += 1) ports.push(await listen());
process.stdout.write(`${JSON.stringify({ ports })}\n`);
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "count")
    process.stdout.write(`${JSON.stringify({ requests })}\n`);
  if (line === "exit") process.exit(0);
});
