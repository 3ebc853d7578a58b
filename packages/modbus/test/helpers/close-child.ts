// Runs in a child process: opens a ModbusClient to a peer that never
// responds, reads once, closes, and prints the outcome as one JSON line.
// The process must then exit by itself, which proves that close() left
// no socket or timer behind.
import { ModbusClient } from "../../src/transport/client.js";

const [port, protocol] = process.argv.slice(2) as [
  string,
  "tcp" | "rtu_over_tcp",
];
const client = new ModbusClient({
  protocol,
  host: "127.0.0.1",
  port: Number(port),
  baudrate: 9600,
  parity: "none",
  stopbits: 1,
  bytesize: 8,
  timeoutMs: 300,
  retries: 0,
  retryDelayMs: 10,
  reconnectMaxDelayMs: 1000,
  maxConcurrent: 1,
});
await client.open();
let readCode = "none";
try {
  await client.readRegisters(1, 3, 0, 1);
} catch (error) {
  readCode = (error as { code?: string }).code ?? String(error);
}
const started = performance.now();
await client.close();
const closeMs = performance.now() - started;
process.stdout.write(`${JSON.stringify({ readCode, closeMs })}\n`);
