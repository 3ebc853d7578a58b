import { readFileSync } from "node:fs";
import { decode as decodeMsgpack } from "@msgpack/msgpack";
import protobuf from "protobufjs";

/** Decodes payloads of one Protobuf message type. */
export interface ProtobufDecoder {
  readonly messageType: string;
  decode(payload: Uint8Array): Record<string, unknown>;
}

/**
 * Loads a .proto file and looks up a message type. Throws an `Error`
 * naming the file or type when either is missing or invalid.
 */
export function loadProtobufDecoder(
  protoFile: string,
  messageType: string,
): ProtobufDecoder {
  // Reading the file first gives a clear "not found" error with the path.
  readFileSync(protoFile);
  const root = protobuf.loadSync(protoFile);
  const type = root.lookupType(messageType);
  return {
    messageType,
    decode(payload: Uint8Array): Record<string, unknown> {
      const message = type.decode(payload);
      return type.toObject(message, {
        longs: Number,
        enums: String,
        bytes: String,
        defaults: false,
        arrays: true,
      });
    },
  };
}

/** Decodes a MessagePack payload; timestamps become `Date` objects. */
export function readMsgpack(payload: Uint8Array): unknown {
  return decodeMsgpack(payload);
}
