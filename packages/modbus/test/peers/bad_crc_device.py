"""An RTU device on a pseudo-terminal that corrupts the CRC of its first answer.

Usage: bad_crc_device.py PTY. Each read-registers request gets the one
word 0x1234; the first response has its CRC bytes flipped, as line noise
would leave it. A stand-in for a broken device, which no real peer does
on request.
"""

import os
import sys
import termios
import tty


def crc16(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def main():
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    termios.tcflush(fd, termios.TCIOFLUSH)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    answered = 0
    buffer = b""
    while True:
        buffer += os.read(fd, 256)
        if len(buffer) < 8:
            continue
        request, buffer = buffer[:8], buffer[8:]
        frame = bytes([request[0], request[1], 2, 0x12, 0x34])
        crc = crc16(frame)
        if answered == 0:
            crc = bytes([crc[0] ^ 0xFF, crc[1]])
        answered += 1
        os.write(fd, frame + crc)


if __name__ == "__main__":
    main()
