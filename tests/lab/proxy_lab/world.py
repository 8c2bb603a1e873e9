"""The Discovery Proxy lab (RFC 8766): two LANs joined by a router that forwards unicast and
passes no multicast.

- LAN A: three publishers of ``_http._tcp`` (avahi-daemon, python-zeroconf, lanwise), each
  with a routable IPv4 and IPv6 address and also an IPv4 (169.254/16) and IPv6 (fe80::/64)
  link-local one, and the host that runs ``lanwise proxy --link eth0=lan-a.example.test``.
- The router: one BIND 9 that is authoritative for ``example.test`` (delegating
  ``lan-a.example.test`` to the proxy: NS ``dp.example.test`` with its A record) and
  recursive for LAN B's clients.
- LAN B: two client hosts whose resolv.conf names the router.

Built once per test module; the proxy is started by :meth:`World.start_proxy` so the
static parts can be checked (and the lab reused) without it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness import Lab, Lan
from tests.harness.avahi import Avahi, start_avahi
from tests.harness.dnsserver import DnsServer, Zone, resolv_conf, start_bind
from tests.harness.netns import Host

DOMAIN = "example.test"
LINK_DOMAIN = f"lan-a.{DOMAIN}"
SERVICE_TYPE = "_http._tcp"
# The instance names each publisher starts with (python-zeroconf and lanwise rename on a
# conflict, so the names are distinct across publishers).
AVAHI_NAME = "Avahi Web"
ZEROCONF_NAME = "Zeroconf Web"
LANWISE_NAME = "Lanwise Web"
PUSH_PORT = 853
NS_NAME = f"dp.{DOMAIN}"


@dataclass(eq=False)
class Proxy:
    """A running ``lanwise proxy`` process."""

    host: Host
    address: ipaddress.IPv4Address
    process: subprocess.Popen[bytes]
    log_path: Path
    push_port: int | None = None
    ca_file: Path | None = None

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_kib(self) -> int:
        """The proxy's resident set (VmRSS, KiB)."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
        assert match, text
        return int(match[1])

    def statistics(self) -> dict[str, Any]:
        """The last ``--stats`` line the proxy printed (one JSON object), or {}."""
        for line in reversed(self.log.splitlines()):
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    parsed: dict[str, Any] = json.loads(line)
                    return parsed
        return {}

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@dataclass(eq=False)
class World:
    lab: Lab
    lan_a: Lan
    lan_b: Lan
    router: Host
    proxy_host: Host
    avahi_host: Host
    zeroconf_host: Host
    lanwise_host: Host
    client: Host
    bystander: Host
    bind: DnsServer
    avahi: Avahi
    stack: ExitStack
    proxy: Proxy | None = None
    publishers: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    dug: list[str] = field(default_factory=list)
    """Every output of :meth:`dig` in this world: no answer may carry a link-local address."""

    @property
    def resolver(self) -> ipaddress.IPv4Address:
        """The router's address on LAN B: the clients' resolver."""
        return self.router.ipv4(self.lan_b)

    @property
    def proxy_address(self) -> ipaddress.IPv4Address:
        return self.proxy_host.ipv4(self.lan_a)

    @property
    def publisher_hosts(self) -> list[Host]:
        return [self.avahi_host, self.zeroconf_host, self.lanwise_host]

    def link_local_addresses(self) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        """Every link-local address of LAN A's hosts: none may appear in an answer."""
        found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
        for host in [*self.publisher_hosts, self.proxy_host, self.router]:
            out = host.run("ip", "-o", "addr", "show").stdout
            for line in out.splitlines():
                words = line.split()
                if "inet" in words or "inet6" in words:
                    kind = "inet" if "inet" in words else "inet6"
                    address = ipaddress.ip_interface(words[words.index(kind) + 1]).ip
                    if address.is_link_local:
                        found.add(address)
        return found

    def routable_addresses(self) -> set[str]:
        """The publishers' global addresses on LAN A (the ones answers may carry)."""
        return {
            str(a) for h in self.publisher_hosts for a in (h.ipv4(self.lan_a), h.ipv6(self.lan_a))
        }

    def dig(self, *args: str, host: Host | None = None, server: str | None = None) -> str:
        """``dig`` from a LAN B client (default ``client``) at the router's resolver."""
        where = server or str(self.resolver)
        done = (host or self.client).run(
            "dig", f"@{where}", "+time=2", "+tries=1", *args, check=False
        )
        self.dug.append(done.stdout)
        return done.stdout

    def start_proxy(self, *extra: str, push: bool = False, port: int = 53) -> Proxy:
        """``lanwise proxy --link eth0=lan-a.example.test`` on the proxy host.

        With ``push`` it also serves DNS Push over TLS on :data:`PUSH_PORT` with a
        self-signed certificate made here. Returns once it answers for its domain.
        """
        self.proxy = start_proxy(
            self.proxy_host, self.lan_a, self.client, *extra, push=push, port=port
        )
        return self.proxy

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        for proc in self.publishers.values():
            stop_process(proc)
        self.avahi.stop()
        self.bind.stop()
        self.stack.close()
        self.lab.close()


def start_proxy(
    host: Host, lan: Lan, probe: Host, *extra: str, push: bool = False, port: int = 53
) -> Proxy:
    """``lanwise proxy --link eth0=lan-a.example.test --listen ADDR[:PORT]`` on ``host``
    (its address on ``lan``); returns once it answers ``probe`` a question for its domain.
    With ``push``, DNS Push over TLS on :data:`PUSH_PORT` with a self-signed certificate."""
    address = host.ipv4(lan)
    listen = f"{address}:{port}" if port != 53 else str(address)
    argv = [sys.executable, "-m", "lanwise", "proxy", "--link", f"eth0={LINK_DOMAIN}"]
    # The name the parent delegates to (its A is the parent's glue): the zone's NS and
    # SOA name it too, so parent and child agree on the NS set.
    argv += ["--listen", listen, "--ns", NS_NAME, *extra]
    ca_file = None
    if push:
        # The SRV target is the NS name (no --push-host); the client checks that name
        # against the certificate.
        cert, key = self_signed_certificate(host.lab.workdir, NS_NAME)
        argv += ["--push-port", str(PUSH_PORT), "--tls-cert", str(cert), "--tls-key", str(key)]
        ca_file = cert
    log_path = host.lab.workdir / f"proxy-{len(list(host.lab.workdir.glob('proxy-*')))}.log"
    with log_path.open("wb") as log:
        process = host.popen(*argv, stdout=log, stderr=subprocess.STDOUT)
    proxy = Proxy(host, address, process, log_path, PUSH_PORT if push else None, ca_file)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lanwise proxy exited {process.returncode}:\n{proxy.log}")
        out = probe.run(
            "dig", f"@{address}", "-p", str(port), "+time=1", "+tries=1",
            "+norec", "SOA", LINK_DOMAIN, check=False,
        ).stdout  # fmt: skip
        if "status:" in out:
            return proxy
        time.sleep(0.2)
    proxy.stop()
    raise RuntimeError(f"lanwise proxy did not answer:\n{proxy.log}")


def stop_process(proc: subprocess.Popen[str]) -> None:
    """SIGTERM and wait (publishers then send their goodbyes)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def self_signed_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (openssl), as (cert, key) PEM files."""
    cert, key = directory / "push-cert.pem", directory / "push-key.pem"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext",
             f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
            capture_output=True, check=True,
        )  # fmt: skip
    return cert, key


def routes(host: Host, there: Lan, via: Host, here: Lan) -> None:
    host.run("ip", "route", "add", str(there.ipv4_network), "via", str(via.ipv4(here)))
    host.run("ip", "-6", "route", "add", str(there.ipv6_network), "via", str(via.ipv6(here)))


def lanwise_publish(
    host: Host, name: str, port: int, *txt: str, service_type: str = SERVICE_TYPE
) -> subprocess.Popen[str]:
    """``lanwise publish NAME TYPE PORT`` on ``host``; returns once established."""
    proc = host.popen(
        sys.executable, "-m", "lanwise", "publish", name, service_type, str(port), *txt,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("Established"):
        stop_process(proc)
        raise RuntimeError(f"lanwise publish: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc


def zeroconf_publish(
    host: Host, port: int, *names: str, service_type: str = SERVICE_TYPE, peer: str = "zeroconf"
) -> subprocess.Popen[str]:
    """python-zeroconf publishing ``names`` (every address of the host, 169.254/16 included);
    with ``peer="lanwise"``, lanwise's responder (which probes them all at once)."""
    module = (
        "tests.lab.dnssd.zeroconf_many"
        if peer == "zeroconf"
        else "tests.lab.proxy_lab.lanwise_many"
    )
    proc = host.popen(
        sys.executable, "-m", module, service_type, str(port), *names,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        stop_process(proc)
        error = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"zeroconf publisher: {line!r} {error}")
    return proc


def build_world(workdir: Path) -> World:
    """The lab with BIND and the three publishers up (no proxy yet)."""
    lab = Lab(workdir)
    stack = ExitStack()
    try:
        lan_a, lan_b = lab.lan(), lab.lan()
        router = lab.host("router", [lan_a, lan_b])
        proxy_host = lab.host("dp", [lan_a])
        avahi_host = lab.host("avpub", [lan_a])
        zeroconf_host = lab.host("zcpub", [lan_a])
        lanwise_host = lab.host("lwpub", [lan_a])
        client = lab.host("client", [lan_b])
        bystander = lab.host("bystander", [lan_b])
        # Forwarding is unicast only: no multicast routing daemon, and mDNS (TTL 255 on
        # 224.0.0.251 / ff02::fb) is link-scoped anyway.
        router.run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        for host in (proxy_host, avahi_host, zeroconf_host, lanwise_host):
            routes(host, lan_b, router, lan_a)
        for host in (client, bystander):
            routes(host, lan_a, router, lan_b)
        for n, host in enumerate((avahi_host, zeroconf_host, lanwise_host), start=1):
            # RFC 3927 addresses beside the routable ones: published, never proxied (§5.5.2).
            host.run("ip", "addr", "add", f"169.254.7.{n}/16", "dev", "eth0", "scope", "link")
        zone = Zone(
            DOMAIN,
            (
                f"lan-a IN NS {NS_NAME}.",
                f"dp IN A {proxy_host.ipv4(lan_a)}",
                # RFC 6763 §11: the delegated domain is the one to browse.
                f"b._dns-sd._udp IN PTR {LINK_DOMAIN}.",
                f"lb._dns-sd._udp IN PTR {LINK_DOMAIN}.",
            ),
        )
        bind = start_bind(router, [zone], address=router.ipv4(lan_b), recursion=True)
        for host in (client, bystander):
            stack.enter_context(resolv_conf(host, f"nameserver {router.ipv4(lan_b)}\n"))
        avahi = start_avahi(avahi_host, host_name="avpub")
        world = World(
            lab, lan_a, lan_b, router, proxy_host, avahi_host, zeroconf_host, lanwise_host,
            client, bystander, bind, avahi, stack,
        )  # fmt: skip
    except BaseException:
        stack.close()
        lab.close()
        raise
    try:
        publication = avahi.publish_service(AVAHI_NAME, SERVICE_TYPE, 8081, ["peer=avahi"])
        publication.wait_established()
        world.publishers["zeroconf"] = zeroconf_publish(zeroconf_host, 8082, ZEROCONF_NAME)
        world.publishers["lanwise"] = lanwise_publish(lanwise_host, LANWISE_NAME, 8083, "peer=lw")
        # Its second announcement (RFC 6762 §8.3) comes 1 s after "Established": over before
        # a proxy starts, so the proxy's cache starts empty (test_answers.py tests a partly
        # filled one on purpose).
        time.sleep(1.5)
        return world
    except BaseException:
        world.close()
        raise
