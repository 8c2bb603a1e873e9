"""Real DNS servers in lab hosts: BIND 9 (``named -g``) and Knot DNS (``knotd``).

Each server runs inside a lab namespace, from config files in the lab's work
directory (never the machine's /etc/bind or /etc/knot), with a generated TSIG
key and dynamic zones that the key may update. A BIND instance can also be a
recursive resolver forwarding the lab zones to an authoritative server, so
browsing through a resolver is tested too. :func:`write_resolv_conf` gives one
namespace its own resolv.conf (``/etc/netns/NAME/resolv.conf``, which
``ip netns exec`` bind-mounts over /etc/resolv.conf for that command only).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from tests.harness.netns import Host

__all__ = [
    "DnsServer",
    "Zone",
    "dns_servers_unusable_reason",
    "generate_key",
    "resolv_conf",
    "start_bind",
    "start_bind_resolver",
    "start_knot",
    "zone_records",
]

KEY_NAME = "lab-key"


def dns_servers_unusable_reason(kind: str) -> str | None:
    """Why ``kind`` ("bind" or "knot") cannot run here, or None."""
    needed = {"bind": ["named", "tsig-keygen", "dig", "nsupdate"], "knot": ["knotd", "dig"]}[kind]
    missing = [tool for tool in needed if shutil.which(tool) is None]
    return f"missing {', '.join(missing)} (Debian bind9 / knot)" if missing else None


@dataclass(frozen=True)
class Zone:
    """A zone to serve: its name and extra records (``owner TTL TYPE data`` lines)."""

    name: str
    records: tuple[str, ...] = ()


def reverse_zone(network: IPv4Network) -> str:
    """``1.99.10.in-addr.arpa`` for 10.99.1.0/24 (the zone carrying §11 names)."""
    octets = str(network.network_address).split(".")[: network.prefixlen // 8]
    return ".".join(reversed(octets)) + ".in-addr.arpa"


def generate_key(directory: Path, name: str = KEY_NAME) -> Path:
    """A fresh HMAC-SHA256 key in BIND key-file format (``tsig-keygen``), written to a file."""
    done = subprocess.run(
        ["tsig-keygen", "-a", "hmac-sha256", name], capture_output=True, text=True, check=True
    )
    path = directory / f"{name}.key"
    path.write_text(done.stdout)
    return path


def _key_secret(key_file: Path) -> str:
    match = re.search(r'secret\s+"([^"]+)"', key_file.read_text())
    assert match, key_file
    return match[1]


def _zone_text(zone: Zone, ns_address: IPv4Address) -> str:
    lines = [
        f"$ORIGIN {zone.name}.",
        "$TTL 60",
        # serial, refresh, retry, expire, negative TTL (1 s: tests see changes fast)
        f"@ IN SOA ns.{zone.name}. admin.{zone.name}. 1 3600 600 86400 1",
        f"@ IN NS ns.{zone.name}.",
        f"ns IN A {ns_address}",
        *zone.records,
        "",
    ]
    return "\n".join(lines)


@dataclass(eq=False)
class DnsServer:
    """A running DNS server: where it listens, its key file, its zones and its process."""

    kind: str
    host: Host
    address: IPv4Address
    directory: Path
    key_file: Path | None
    zones: tuple[Zone, ...]
    process: subprocess.Popen[bytes]
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def dig(self, *args: str, host: Host | None = None) -> str:
        """``dig @server +short …`` from ``host`` (default: the server's own)."""
        done = (host or self.host).run(
            "dig", f"@{self.address}", "+time=2", "+tries=2", *args, check=False
        )
        return done.stdout

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def zone_records(server: DnsServer, zone: str, *, host: Host | None = None) -> set[str]:
    """Every record of ``zone`` by AXFR, the SOA left out (its serial moves on each update)."""
    out = server.dig("AXFR", zone, "+nocmd", "+nocomments", "+nostats", host=host)
    records: set[str] = set()
    for line in out.splitlines():
        words = line.split()
        if not words or line.startswith(";") or words[3:4] == ["SOA"]:
            continue
        records.add(" ".join(words))
    return records


def _wait_serving(server: DnsServer, zone: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        if "SOA" in server.dig("+norec", "SOA", zone):
            return
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.kind} did not start serving {zone}:\n{server.log}")


def start_bind(
    host: Host,
    zones: Sequence[Zone],
    *,
    directory: Path | None = None,
    key_file: Path | None = None,
    address: IPv4Address | None = None,
    recursion: bool = False,
) -> DnsServer:
    """BIND 9 serving ``zones`` as dynamic primaries that ``key_file``'s key may update.

    With ``recursion`` it also resolves for any client, following delegations out
    of its own zones (the router of the Discovery Proxy lab: authoritative parent
    and resolver in one). QNAME minimisation is off there, so the delegated server
    sees the clients' questions as asked.
    """
    address = address or host.ipv4()
    directory = directory or host.lab.workdir / f"bind-{host.name}"
    directory.mkdir(parents=True, exist_ok=True)
    key_file = key_file or generate_key(directory)
    zone_clauses = []
    for zone in zones:
        zone_file = directory / f"{zone.name}.zone"
        zone_file.write_text(_zone_text(zone, address))
        zone_clauses.append(
            f'zone "{zone.name}" {{ type primary; file "{zone_file}"; '
            f'allow-update {{ key "{KEY_NAME}"; }}; allow-transfer {{ any; }}; }};'
        )
    conf = directory / "named.conf"
    conf.write_text(
        "\n".join(
            [
                "options {",
                f'  directory "{directory}";',
                f'  pid-file "{directory}/named.pid";',
                f'  session-keyfile "{directory}/session.key";',
                f'  managed-keys-directory "{directory}";',
                f"  listen-on port 53 {{ {address}; }};",
                "  listen-on-v6 { none; };",
                *(
                    [
                        "  recursion yes;",
                        "  allow-recursion { any; };",
                        "  qname-minimization off;",
                        "  max-ncache-ttl 1;",
                    ]
                    if recursion
                    else ["  recursion no;"]
                ),
                "  dnssec-validation no;",
                # BIND >= 9.18.28 refuses more than 100 records per RRset by default:
                # one PTR RRset holds every instance of a type (docs/widearea.md).
                "  max-records-per-type 0;",
                "  allow-query { any; };",
                "  notify no;",
                "};",
                "controls { };",
                f'include "{key_file}";',
                *zone_clauses,
                "",
            ]
        )
    )
    return _launch_bind(host, address, directory, key_file=key_file, zones=tuple(zones), conf=conf)


def _launch_bind(
    host: Host,
    address: IPv4Address,
    directory: Path,
    *,
    key_file: Path | None,
    zones: tuple[Zone, ...],
    conf: Path,
) -> DnsServer:
    log_path = directory / "named.log"
    with log_path.open("wb") as log:
        # -g: foreground, log to stderr; -n 1: one worker (the machine is shared).
        process = host.popen(
            "named", "-g", "-n", "1", "-4", "-c", str(conf), stdout=log, stderr=subprocess.STDOUT
        )
    server = DnsServer("bind", host, address, directory, key_file, zones, process, log_path)
    _wait_serving(server, zones[0].name)
    return server


def start_bind_resolver(
    host: Host,
    forward: DnsServer,
    *,
    address: IPv4Address | None = None,
    directory: Path | None = None,
) -> DnsServer:
    """A recursive BIND that forwards the authoritative server's zones to it."""
    address = address or host.ipv4()
    directory = directory or host.lab.workdir / f"resolver-{host.name}"
    directory.mkdir(parents=True, exist_ok=True)
    clauses = [
        f'zone "{zone.name}" {{ type forward; forward only; '
        f"forwarders {{ {forward.address}; }}; }};"
        for zone in forward.zones
    ]
    conf = directory / "named.conf"
    conf.write_text(
        "\n".join(
            [
                "options {",
                f'  directory "{directory}";',
                f'  pid-file "{directory}/named.pid";',
                f'  session-keyfile "{directory}/session.key";',
                f'  managed-keys-directory "{directory}";',
                f"  listen-on port 53 {{ {address}; }};",
                "  listen-on-v6 { none; };",
                "  recursion yes;",
                "  allow-recursion { any; };",
                "  allow-query { any; };",
                "  dnssec-validation no;",
                # BIND >= 9.18.28 refuses more than 100 records per RRset by default:
                # one PTR RRset holds every instance of a type (docs/widearea.md).
                "  max-records-per-type 0;",
                "  max-ncache-ttl 1;",
                "};",
                "controls { };",
                *clauses,
                "",
            ]
        )
    )
    log_path = directory / "named.log"
    with log_path.open("wb") as log:
        process = host.popen(
            "named", "-g", "-n", "1", "-4", "-c", str(conf), stdout=log, stderr=subprocess.STDOUT
        )
    server = DnsServer("resolver", host, address, directory, None, forward.zones, process, log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if "SOA" in server.dig("SOA", forward.zones[0].name):
            return server
        if process.poll() is not None:
            break
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"resolver did not start:\n{server.log}")


def start_knot(
    host: Host,
    zones: Sequence[Zone],
    *,
    directory: Path | None = None,
    key_file: Path | None = None,
    address: IPv4Address | None = None,
) -> DnsServer:
    """Knot DNS serving ``zones``, dynamically updatable with the key of ``key_file``."""
    address = address or host.ipv4()
    directory = directory or host.lab.workdir / f"knot-{host.name}"
    directory.mkdir(parents=True, exist_ok=True)
    key_file = key_file or generate_key(directory)
    secret = _key_secret(key_file)
    (directory / "db").mkdir(exist_ok=True)
    for zone in zones:
        (directory / f"{zone.name}.zone").write_text(_zone_text(zone, address))
    zone_lines = []
    for zone in zones:
        zone_lines += [f"  - domain: {zone.name}", "    acl: [update, transfer]"]
    conf = directory / "knot.conf"
    conf.write_text(
        "\n".join(
            [
                "server:",
                f'    rundir: "{directory}"',
                f"    listen: {address}@53",
                "log:",
                "  - target: stderr",
                "    any: info",
                "database:",
                f'    storage: "{directory}/db"',
                "key:",
                f"  - id: {KEY_NAME}",
                "    algorithm: hmac-sha256",
                f"    secret: {secret}",
                "acl:",
                "  - id: update",
                f"    key: {KEY_NAME}",
                "    action: update",
                "  - id: transfer",
                "    action: transfer",
                "template:",
                "  - id: default",
                f'    storage: "{directory}"',
                '    file: "%s.zone"',
                "    zonefile-sync: -1",
                "    journal-content: changes",
                "zone:",
                *zone_lines,
                "",
            ]
        )
    )
    log_path = directory / "knotd.log"
    with log_path.open("wb") as log:
        process = host.popen("knotd", "-c", str(conf), stdout=log, stderr=subprocess.STDOUT)
    server = DnsServer("knot", host, address, directory, key_file, tuple(zones), process, log_path)
    _wait_serving(server, zones[0].name)
    return server


@contextlib.contextmanager
def resolv_conf(host: Host, text: str) -> Iterator[Path]:
    """Give ``host`` its own resolv.conf for commands run with ``ip netns exec``.

    Also returns the file's path, for code running in the host through setns
    (the host's event loop), which does not see the mount: pass it explicitly.
    """
    directory = Path("/etc/netns") / host.netns
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "resolv.conf"
    path.write_text(text)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        with contextlib.suppress(OSError):
            directory.rmdir()
