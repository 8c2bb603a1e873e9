"""A two-LAN lab for wide-area DNS-SD: an authoritative server (BIND or Knot) and a
registering host on LAN 1, a router between the LANs running a recursive BIND, and a
browsing host on LAN 2 that shares no link with the registering host."""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tests.harness import Lab
from tests.harness.dnsserver import (
    DnsServer,
    Zone,
    reverse_zone,
    start_bind,
    start_bind_resolver,
    start_knot,
)
from tests.harness.netns import Host

T = TypeVar("T")
DOMAIN = "example.test"
# RFC 6763 §11: the lab zone names itself for browsing and registering.
ENUMERATION = tuple(
    f"{kind}._dns-sd._udp IN PTR {DOMAIN}." for kind in ("b", "db", "r", "dr", "lb")
)


@dataclass(eq=False)
class World:
    lab: Lab
    router: Host
    ns: Host
    pub: Host
    far: Host
    server: DnsServer
    resolver: DnsServer

    @property
    def key_file(self) -> Path:
        assert self.server.key_file is not None
        return self.server.key_file

    def on_pub(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return self.pub.wait(coro, timeout)

    def on_far(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return self.far.wait(coro, timeout)

    def close(self) -> None:
        for server in (self.resolver, self.server):
            server.stop()
        self.lab.close()


def _route(host: Host, network: str, via: str) -> None:
    host.run("ip", "route", "add", network, "via", via)


def build_world(workdir: Path, kind: str) -> World:
    """The lab, with ``kind`` ("bind" or "knot") as the authoritative server."""
    lab = Lab(workdir)
    try:
        lan1, lan2 = lab.lan(), lab.lan()
        router = lab.host("router", [lan1, lan2])
        ns = lab.host("ns", [lan1])
        pub = lab.host("pub", [lan1])
        far = lab.host("far", [lan2])
        router.run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        for host in (ns, pub):
            _route(host, str(lan2.ipv4_network), str(router.ipv4(lan1)))
            host.run(
                "ip", "-6", "route", "add", str(lan2.ipv6_network), "via", str(router.ipv6(lan1))
            )
        _route(far, str(lan1.ipv4_network), str(router.ipv4(lan2)))
        far.run("ip", "-6", "route", "add", str(lan1.ipv6_network), "via", str(router.ipv6(lan2)))
        lb = f"IN PTR {DOMAIN}."
        zones = [
            Zone(DOMAIN, ENUMERATION),
            Zone(reverse_zone(lan1.ipv4_network), (f"lb._dns-sd._udp.0 {lb}",)),
            Zone(reverse_zone(lan2.ipv4_network), (f"lb._dns-sd._udp.0 {lb}",)),
        ]
        start = start_bind if kind == "bind" else start_knot
        server = start(ns, zones)
        resolver = start_bind_resolver(router, server, address=router.ipv4(lan2))
        return World(lab, router, ns, pub, far, server, resolver)
    except BaseException:
        lab.close()
        raise
