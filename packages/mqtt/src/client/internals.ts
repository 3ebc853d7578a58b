import type { MqttClient } from "mqtt";

/**
 * The MQTT.js 5.x behaviour the connector relies on for acknowledgements
 * that wait for the output, kept in this one file. MQTT.js processes one
 * incoming packet at a time and sends the PUBACK from the callback of
 * `handleMessage`, so waiting there for the output would allow one
 * message per output write. Instead the connector lets the packet loop go
 * on (an error passed to that callback skips the PUBACK and continues
 * with the next packet) and writes the PUBACK itself once the readings
 * are accepted.
 */

/** Returns whether the client has a writable stream for late PUBACKs. */
export function supportsLateAcks(client: MqttClient): boolean {
  return typeof client.stream?.write === "function";
}

/**
 * Writes a PUBACK for a QoS 1 message: 0x40, remaining length 2 and the
 * packet id. MQTT 5 allows the same 4 bytes for a success without
 * properties (section 3.4.2.1). The packet goes straight to the socket.
 * NOTE: sent through MQTT.js's internal `_sendPacket` from a promise
 * callback, the PUBACKs stayed in the socket's write buffer during a
 * flood of messages. In the benchmark (MQTT.js 5.16) the buffer grew by
 * every PUBACK while the kernel send queue was empty. The cause was not
 * found, and the direct write does not show it.
 */
export function sendPuback(client: MqttClient, messageId: number): void {
  const stream = client.stream;
  if (!stream?.writable) return;
  stream.write(
    Buffer.from([0x40, 0x02, (messageId >> 8) & 0xff, messageId & 0xff]),
  );
}

/**
 * The error passed to MQTT.js's `handleMessage` callback to continue with
 * the next packet without sending a PUBACK now. MQTT.js passes it to its
 * packet loop, which ignores it.
 */
export const DEFER_ACK = Object.freeze(
  Object.assign(
    new Error("acknowledgement deferred until the output accepts"),
    {
      code: "QUBIT_MQTT_ACK_DEFERRED",
    },
  ),
);

/**
 * Writes the PUBACKs of several QoS 1 messages, in order, in one write:
 * the 4 bytes of each, as {@link sendPuback} writes them.
 */
export function sendPubacks(
  client: MqttClient,
  messageIds: readonly number[],
): void {
  const stream = client.stream;
  if (!stream?.writable) return;
  const packets = Buffer.allocUnsafe(messageIds.length * 4);
  for (let index = 0; index < messageIds.length; index += 1) {
    const messageId = messageIds[index]!;
    packets[index * 4] = 0x40;
    packets[index * 4 + 1] = 0x02;
    packets[index * 4 + 2] = (messageId >> 8) & 0xff;
    packets[index * 4 + 3] = messageId & 0xff;
  }
  stream.write(packets);
}
