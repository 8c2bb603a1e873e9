"""A process's own registered services never leave its own view (issue 17, item 1).

A process registers "Victim" ``_adv._tcp`` and runs a resolving browse of
``_adv._tcp``. Another lab host, from port 5353, then multicasts a forged
goodbye (RFC 6762 §10.1: PTR, SRV, TXT and A of Victim, all with TTL 0), or
floods 10,000 fake instances of the same type. The process's browse must
never report Victim removed, ``resolve`` must keep answering at once, and a
new browse must list it at once: our own records are known without the
network (docs/dnssd.md, "a local browse sees local services").
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Any

import pytest

from lanwise.dns import PTR, SRV, TXT, A, Flag, Message, Name, Record, build_message
from lanwise.dnssd import Service, ServiceAdded, ServiceRemoved, open_responder
from tests.harness import Host, Lab

pytestmark = pytest.mark.lab

TYPE = Name("_adv._tcp.local")
VICTIM = Name("Victim._adv._tcp.local")
VICTIM_HOST = Name("victim.local")
WATCH_SECONDS = 4.0  # past the one second a goodbye takes (§10.1) and the flood's end


def _attacker_socket(host: Host) -> socket.socket:
    with host.entered():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        index = socket.if_nametoindex("eth0")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    mreqn = socket.inet_aton("224.0.0.251") + bytes(4) + struct.pack("=i", index)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
    sock.bind(("0.0.0.0", 5353))  # §6: a response counts only from port 5353
    return sock


def _response(*answers: Record) -> bytes:
    return build_message(Message(flags=int(Flag.QR | Flag.AA), answers=answers))


def _forged_goodbye(victim_address: IPv4Address) -> Callable[[socket.socket], None]:
    def send(sock: socket.socket) -> None:
        data = _response(
            Record.of(TYPE, PTR(VICTIM), 0),
            Record.of(VICTIM, SRV(0, 0, 9000, VICTIM_HOST), 0, cache_flush=True),
            Record.of(VICTIM, TXT((b"k=v",)), 0, cache_flush=True),
            Record.of(VICTIM_HOST, A(victim_address), 0, cache_flush=True),
        )
        sock.sendto(data, ("224.0.0.251", 5353))

    return send


def _fake_flood(count: int) -> Callable[[socket.socket], None]:
    """``count`` fake instances of the browsed type (PTR, SRV, TXT), eight per packet."""

    def send(sock: socket.socket) -> None:
        fake_host = Name("fake.local")
        batch: list[Record] = []
        for i in range(count):
            name = Name.from_labels((f"fake{i}", "_adv", "_tcp", "local"))
            batch += [
                Record.of(TYPE, PTR(name), 4500),
                Record.of(name, SRV(0, 0, 1, fake_host), 120, cache_flush=True),
                Record.of(name, TXT((b"x=1",)), 4500, cache_flush=True),
            ]
            if len(batch) == 24:
                sock.sendto(_response(*batch), ("224.0.0.251", 5353))
                batch = []
                if i % 400 == 399:
                    time.sleep(0.02)  # paced a little, so the victim's socket keeps up
        if batch:
            sock.sendto(_response(*batch), ("224.0.0.251", 5353))

    return send


async def _victim(sock: socket.socket, attack: Callable[[socket.socket], None]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    result: dict[str, Any] = {"removed": []}
    async with open_responder(host_name="victim", families=(4,)) as responder:
        await responder.register(Service("Victim", "_adv._tcp", 9000, {"k": "v"}))
        async with responder.browse("_adv._tcp", resolve=True) as browser:

            async def victim_added() -> None:
                async for event in browser:
                    if isinstance(event, ServiceAdded) and event.name == "Victim":
                        return

            await asyncio.wait_for(victim_added(), 10.0)
            await loop.run_in_executor(None, attack, sock)
            attacked = loop.time()
            while (left := attacked + WATCH_SECONDS - loop.time()) > 0:
                try:
                    event = await asyncio.wait_for(browser.__anext__(), left)
                except TimeoutError:
                    break
                if isinstance(event, ServiceRemoved) and event.name == "Victim":
                    result["removed"].append(round(loop.time() - attacked, 3))
        started = loop.time()
        info = await responder.resolve("Victim", "_adv._tcp", timeout=2.0)
        result["resolved_in"] = loop.time() - started
        result["port"] = info.port
        # A new browse lists our own service at once, from the cache.
        started = loop.time()
        async with responder.browse("_adv._tcp") as fresh:

            async def listed() -> None:
                async for event in fresh:
                    if isinstance(event, ServiceAdded) and event.name == "Victim":
                        return

            await asyncio.wait_for(listed(), 2.0)
        result["listed_in"] = loop.time() - started
    return result


def _run(lab: Lab, make_attack: Callable[[IPv4Address], Callable[[socket.socket], None]]) -> Any:
    victim, attacker = lab.host("victim"), lab.host("attacker")
    sock = _attacker_socket(attacker)
    try:
        return victim.wait(_victim(sock, make_attack(victim.ipv4())), timeout=60)
    finally:
        sock.close()


def test_a_forged_goodbye_never_hides_our_own_service(lab: Lab) -> None:
    result = _run(lab, _forged_goodbye)
    print(f"forged goodbye: {result}")
    assert result["removed"] == []  # 0 s: it never left the own view
    assert result["port"] == 9000
    assert result["resolved_in"] < 0.5
    assert result["listed_in"] < 0.5


def test_a_flood_of_10000_fake_instances_never_hides_our_own_service(lab: Lab) -> None:
    result = _run(lab, lambda _: _fake_flood(10_000))
    print(f"10,000 fake instances: {result}")
    assert result["removed"] == []
    assert result["port"] == 9000
    assert result["resolved_in"] < 0.5
    assert result["listed_in"] < 2.0  # behind up to 10,000 fake ones
