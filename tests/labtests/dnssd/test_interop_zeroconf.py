"""DNS-SD against python-zeroconf on lab hosts, both directions (RFC 6763 §4-§6)."""

from __future__ import annotations

import threading
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import pytest

from lanwise.dnssd import Service
from lanwise.dnssd import sync as dnssd_sync
from tests.lab import Lab
from tests.labtests.dnssd.peers import Published, zeroconf_publish, zeroconf_resolve

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
