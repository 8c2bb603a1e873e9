"""DNS-SD against python-zeroconf on lab hosts, both directions (RFC 6763 §4-§6)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import pytest

from lanwise.dnssd import Service, ServiceAdded, open_responder
from lanwise.dnssd import sync as dnssd_sync
from tests.harness import Lab
from tests.lab.dnssd.peers import Published, zeroconf_publish, zeroconf_resolve

pytestmark = [pytest.mark.lab, pytest.mark.interop]


def test_zeroconf_resolves_a_lanwise_service(lab: Lab) -> None:
    a, b = lab.host("lw"), lab.host("zc")
    published = Published(a, Service("Game Host", "_mygame._udp", 27015, {"map": "dust", "v": 3}))
    try:
        found = b.call(zeroconf_resolve, "Game Host", "_mygame._udp")
    finally:
        published.stop()
    assert found["server"] == "lw.local."
    assert found["port"] == 27015
    assert found["txt"] == {b"map": b"dust", b"v": b"3"}
    addresses = {ip_address(x.split("%")[0]) for x in found["addresses"]}
    assert a.ipv4() in addresses
    assert any(isinstance(x, IPv6Address) for x in addresses)


def test_lanwise_resolves_a_zeroconf_service(lab: Lab) -> None:
    a, b = lab.host("lw"), lab.host("zc")
    names: list[str] = []
    peer = threading.Thread(
        target=lambda: names.append(
            b.call(zeroconf_publish, "ZC Sensor", "_sensor._tcp", 9000, {"unit": "C"}, 6.0)
        )
    )
    peer.start()
    try:
        info = a.call(_resolve_when_seen, "ZC Sensor", "_sensor._tcp")
    finally:
        peer.join(30)
    assert names == ["ZC Sensor._sensor._tcp.local."]
    assert info["host"] == "zc-peer.local" and info["port"] == 9000
    assert info["txt"] == {"unit": b"C"}
    assert b.ipv4() in info["v4"]


def _resolve_when_seen(name: str, stype: str) -> dict[str, Any]:
    with dnssd_sync.open_responder_sync() as responder:
        for _ in range(10):  # the peer may still be probing
            if any(e.name == name for e in responder.browse(stype, timeout=2)):
                break
        info = responder.resolve(name, stype, timeout=5)
    return {
        "host": info.host,
        "port": info.port,
        "txt": dict(info.txt),
        "v4": {x for found in info.addresses.values() for x in found if isinstance(x, IPv4Address)},
    }


_ZEROCONF_MANY = """
import asyncio, socket, sys
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

async def main(n, address):
    aiozc = AsyncZeroconf()
    infos = [
        AsyncServiceInfo("_many._tcp.local.", f"Unit {i}._many._tcp.local.", port=20000 + i,
                         properties={"i": str(i)}, server="zc-many.local.",
                         addresses=[socket.inet_aton(address)])
        for i in range(n)
    ]
    await asyncio.gather(*await asyncio.gather(*(aiozc.async_register_service(i) for i in infos)))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await aiozc.async_close()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""


def _browse_all(stype: str, count: int, timeout: float) -> int:
    async def main() -> int:
        seen: set[str] = set()
        async with (
            open_responder(querier_only=True) as responder,
            responder.browse(stype, resolve=True) as browser,
        ):

            async def collect() -> None:
                async for event in browser:
                    if isinstance(event, ServiceAdded) and event.info is not None:
                        seen.add(event.name)
                        if len(seen) >= count:
                            return

            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(collect(), timeout)
        return len(seen)

    return asyncio.run(main())


def test_lanwise_browses_and_resolves_a_large_zeroconf_publication_whole(lab: Lab) -> None:
    """Hundreds of instances arrive as a burst of unicast packets (RFC 6762 §5.4, §17)
    while the browser starts their SRV/TXT queries: none may slip past it."""
    a, b = lab.host("lw"), lab.host("zc")
    count = 1000
    publisher = b.popen(
        sys.executable,
        "-c",
        _ZEROCONF_MANY,
        str(count),
        str(b.ipv4()),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert publisher.stdout is not None
        assert publisher.stdout.readline().strip() == "ready"
        assert a.call(_browse_all, "_many._tcp", count, 10.0, timeout=60) == count
    finally:
        publisher.communicate(timeout=30)
