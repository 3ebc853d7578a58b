"""A pymodbus device for the integration tests.

Reads a JSON spec (argv[1]) with the transport and the register images of
each unit, serves them, and takes JSON commands on stdin, one a line:
{"cmd": "set", "unit": 1, "table": "hr", "address": 200, "values": [1, 2]},
{"cmd": "log"} (prints the requests seen so far), {"cmd": "clear"},
{"cmd": "stop"}. Every answer is one JSON line on stdout.

Only the addresses listed in the spec exist (sparse blocks), so a read that
touches any other address gets exception 02, as on a real device. Written
for Debian's python3-pymodbus 3.0.0rc1, whose contexts need zero_mode=True
to serve PDU addresses unchanged.
"""

import asyncio
import json
import sys

from pymodbus.datastore import (
    ModbusServerContext,
    ModbusSlaveContext,
    ModbusSparseDataBlock,
)
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

TABLES = {"co": 1, "di": 2, "hr": 3, "ir": 4}
REQUESTS = []


class RecordingContext(ModbusSlaveContext):
    """A slave context that records each request it validates."""

    def __init__(self, unit, **kwargs):
        super().__init__(**kwargs)
        self.unit = unit

    def validate(self, fc_as_hex, address, count=1):
        REQUESTS.append(
            {"unit": self.unit, "fc": fc_as_hex, "address": address, "count": count}
        )
        return super().validate(fc_as_hex, address, count)


def block(image):
    values = {}
    for address, value in (image or {}).items():
        values[int(address)] = value
    return ModbusSparseDataBlock(values)


def build_context(spec):
    slaves = {}
    for unit, tables in spec["units"].items():
        blocks = {name: block(tables.get(name)) for name in TABLES}
        slaves[int(unit)] = RecordingContext(int(unit), zero_mode=True, **blocks)
    return ModbusServerContext(slaves=slaves, single=False)


def reply(payload):
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def serve_commands(context, server):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        name = command["cmd"]
        if name == "set":
            slave = context[int(command["unit"])]
            slave.setValues(
                TABLES[command["table"]], int(command["address"]), command["values"]
            )
            reply({"ok": True})
        elif name == "log":
            reply({"requests": REQUESTS})
        elif name == "clear":
            REQUESTS.clear()
            reply({"ok": True})
        elif name == "stop":
            break
    await server.shutdown()


async def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    context = build_context(spec)
    transport = spec.get("transport", "tcp")
    if transport == "tcp":
        server = ModbusTcpServer(
            context,
            ModbusSocketFramer,
            address=("127.0.0.1", spec.get("port", 0)),
            allow_reuse_address=True,
        )
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        port = server.server.sockets[0].getsockname()[1]
        reply({"ready": True, "port": port})
    else:
        server = ModbusSerialServer(
            context,
            ModbusRtuFramer,
            port=spec["serial_port"],
            baudrate=spec.get("baudrate", 19200),
            parity=spec.get("parity", "N"),
            stopbits=spec.get("stopbits", 1),
            bytesize=spec.get("bytesize", 8),
        )
        await server.start()
        task = asyncio.create_task(server.serve_forever())
        reply({"ready": True, "serial_port": spec["serial_port"]})
    await serve_commands(context, server)
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
