/**
 * The record format of the disk buffer's segment files: an 8-byte header
 * (payload length and CRC-32 of the payload, both unsigned 32-bit
 * big-endian) followed by the payload, a JSON array of readings in UTF-8.
 * The checksum finds a record that a crash cut short or the disk damaged.
 */

/** Bytes of a record header. */
export const HEADER_BYTES = 8;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, the checksum of zip and PNG) of `data`. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < data.length; index += 1)
    crc = CRC_TABLE[(crc ^ data[index]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Encodes a payload as one record: header and payload. */
export function encodeRecord(payload: Buffer): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32BE(payload.length, 0);
  record.writeUInt32BE(crc32(payload), 4);
  payload.copy(record, HEADER_BYTES);
  return record;
}

/** Reads the header at the start of `header`: payload length and CRC. */
export function decodeHeader(header: Buffer): {
  length: number;
  crc: number;
} {
  return { length: header.readUInt32BE(0), crc: header.readUInt32BE(4) };
}
