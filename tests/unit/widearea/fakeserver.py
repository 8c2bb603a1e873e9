"""A scripted DNS server on loopback (UDP and TCP on one port) for client tests."""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import Callable

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.PTR
import dns.rrset
import dns.tsig

from lanwise.widearea.client import ServerAddress

Script = Callable[[dns.message.Message, bool], list[bytes]]
KEY = dns.tsig.Key("lab-key.", b"s" * 32, dns.tsig.HMAC_SHA256)
OTHER_KEY = dns.tsig.Key("lab-key.", b"x" * 32, dns.tsig.HMAC_SHA256)


EVIL = b"evil\x1b[31m"
TYPE = dns.name.from_text("_http._tcp.example.test.")
INSTANCE = dns.name.Name((EVIL,)).concatenate(TYPE)
HOST = dns.name.Name((b"b\x1bx",)).concatenate(dns.name.from_text("example.test."))


def instance_zone(query: dns.message.Message, tcp: bool) -> list[bytes]:
    """One instance with an escape sequence in its name, host and TXT, in example.test."""
    question = query.question[0]
    reply = dns.message.make_response(query)
    rdtype, name = question.rdtype, question.name
    if name == TYPE and rdtype == dns.rdatatype.PTR:
        ptr = dns.rdtypes.ANY.PTR.PTR(dns.rdataclass.IN, dns.rdatatype.PTR, INSTANCE)  # type: ignore[no-untyped-call]
        reply.answer.append(dns.rrset.from_rdata(TYPE, 60, ptr))
    elif name == INSTANCE and rdtype == dns.rdatatype.SRV:
        reply.answer.append(dns.rrset.from_text(INSTANCE, 60, "IN", "SRV", f"0 0 8080 {HOST}"))
    elif name == INSTANCE and rdtype == dns.rdatatype.TXT:
        reply.answer.append(
            dns.rrset.from_text(INSTANCE, 60, "IN", "TXT", '"k=\\027]0;PWNED\\007"')
        )
    elif name == HOST and rdtype == dns.rdatatype.A:
        reply.answer.append(dns.rrset.from_text(HOST, 60, "IN", "A", "10.0.0.5"))
    return [reply.to_wire()]


def answer(query: dns.message.Message, address: str = "10.0.0.1") -> dns.message.Message:
    reply = dns.message.make_response(query)
    reply.answer.append(dns.rrset.from_text(query.question[0].name, 60, "IN", "A", address))
    return reply


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, script: Script) -> None:
        self.script = script
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data, keyring=KEY)
        assert self.transport is not None
        for wire in self.script(query, False):
            self.transport.sendto(wire, addr)


async def serve(script: Script) -> tuple[ServerAddress, Callable[[], None]]:
    loop = asyncio.get_running_loop()

    async def on_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queries = []
        try:
            while True:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                queries.append(dns.message.from_wire(await reader.readexactly(size), keyring=KEY))
                if reader.at_eof() or not reader._buffer:  # type: ignore[attr-defined]
                    break
        except asyncio.IncompleteReadError:
            pass
        random.shuffle(queries)  # answers may come in any order (RFC 7766 §7)
        for query in queries:
            for wire in script(query, True):
                writer.write(struct.pack("!H", len(wire)) + wire)
        await writer.drain()
        writer.close()

    tcp = await asyncio.start_server(on_tcp, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    udp, _ = await loop.create_datagram_endpoint(
        lambda: _Udp(script), local_addr=("127.0.0.1", port)
    )

    def close() -> None:
        udp.close()
        tcp.close()

    return ServerAddress("127.0.0.1", port), close
