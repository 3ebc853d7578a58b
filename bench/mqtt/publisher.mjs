// Publisher of the MQTT benchmark: pre-encodes every PUBLISH packet and
// writes them to one TCP socket, so that it costs far less CPU than the
// subscribers it feeds. At QoS 1 it keeps at most WINDOW messages
// unacknowledged and waits for every PUBACK.
// Usage: node publisher.mjs PORT QOS COUNT TOPICS
import { connect } from "node:net";

const [port, qos, count, topicCount] = process.argv.slice(2).map(Number);
const WINDOW = 10_000;
const BASE_TS = 1_733_300_000_000;

function remainingLength(length) {
  const bytes = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function packet(type, body) {
  return Buffer.concat([
    Buffer.from([type]),
    remainingLength(body.length),
    body,
  ]);
}

function utf8Field(text) {
  const bytes = Buffer.from(text, "utf8");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function connectPacket() {
  const variable = Buffer.concat([
    utf8Field("MQTT"),
    Buffer.from([4, 0x02, 0, 60]),
    utf8Field(`bench-pub-${process.pid}`),
  ]);
  return packet(0x10, variable);
}

function publishPacket(index) {
  const topic = `bench/org_1/sit_1/ast_${(index % topicCount) + 1}/dev_1/power`;
  const payload = Buffer.from(
    `{"ts":${BASE_TS + index},"value":12.34,"unit":"kW"}`,
  );
  const parts = [utf8Field(topic)];
  if (qos > 0) {
    const id = Buffer.alloc(2);
    id.writeUInt16BE((index % 65_535) + 1);
    parts.push(id);
  }
  parts.push(payload);
  return packet(0x30 | (qos << 1), Buffer.concat(parts));
}

const packets = [];
for (let index = 0; index < count; index += 1)
  packets.push(publishPacket(index));

const socket = connect(port, "127.0.0.1");
socket.setNoDelay(true);
let acked = 0;
let sent = 0;
let buffered = Buffer.alloc(0);
let connected = false;

function pump() {
  while (sent < count) {
    if (qos > 0 && sent - acked >= WINDOW) return;
    const chunk = [];
    const end = Math.min(count, sent + 500, qos > 0 ? acked + WINDOW : count);
    for (; sent < end; sent += 1) chunk.push(packets[sent]);
    if (!socket.write(Buffer.concat(chunk))) {
      socket.once("drain", pump);
      return;
    }
  }
  if (qos === 0) finish();
}

function finish() {
  socket.end(Buffer.from([0xe0, 0x00]), () => process.exit(0));
}

socket.on("data", (data) => {
  buffered = Buffer.concat([buffered, data]);
  while (buffered.length >= 2) {
    const type = buffered[0] >> 4;
    const length = buffered[1];
    if (buffered.length < 2 + length) break;
    buffered = buffered.subarray(2 + length);
    if (type === 2 && !connected) {
      connected = true;
      pump();
    } else if (type === 4) {
      acked += 1;
      if (acked === count) finish();
      else if (sent < count && sent - acked < WINDOW / 2) pump();
    }
  }
});
socket.write(connectPacket());
