"""avahi-daemon on lab hosts: a real mDNS/DNS-SD peer for interop tests.

Usage::

    avahi = start_avahi(host, host_name="peer")          # waits until it is up
    with avahi.publish_service("Printer", "_ipp._tcp", 631, [b"rp=queue"]) as pub:
        pub.wait_established()
        ...
    entries = avahi.browse("_http._tcp")                 # avahi-browse -r -t -p
    addresses = avahi.resolve_host_name("lanwise.local", family=4)

Each :func:`start_avahi` gives the host

- a private D-Bus system bus (:mod:`tests.harness.dbus`), since avahi's client API
  and tools talk over the system bus and the machine's own must not be used;
- an ``avahi-daemon.conf`` in the test's directory: only the lab interfaces
  (``allow-interfaces``), wide-area DNS off (no unicast DNS leaves the lab),
  no workstation or HINFO records (quiet captures), other mDNS stacks allowed
  on port 5353 (so lanwise can run beside it on the same host);
- ``avahi-daemon --no-drop-root --no-chroot --no-rlimits`` in the foreground,
  logging to ``avahi.log`` in that directory, with a private
  ``/run/avahi-daemon`` (avahi keeps its pid file and socket there, and every
  lab host shares the machine's /run: without this a second daemon would see
  the first one's pid file and refuse to start).

The daemon is ready when its log says "Server startup complete": by then it
has probed and announced its host name. Everything started here is a process
of :meth:`Host.popen`, so the lab kills it when it closes even if a test
forgets.

avahi's parsable output escapes names: ``\\.`` for a dot inside a label,
``\\\\`` for a backslash and ``\\DDD`` (decimal) for other bytes such as spaces
(``My\\032Printer``). :func:`unescape` turns those back into the real text;
results returned here are already unescaped.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.harness.dbus import SystemBus, start_system_bus
from tests.harness.netns import Host

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_STARTUP = re.compile(r"Server startup complete\. Host name is (?P<name>\S+)\.\s")
_ESTABLISHED = re.compile(r"Established under name '(?P<name>.*)'")


def unescape(text: str) -> str:
    """Undo avahi's label escaping (``\\.``, ``\\\\``, ``\\DDD``) in one field."""
    out = bytearray()
    i = 0
    raw = text.encode()
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):  # backslash
            digits = raw[i + 1 : i + 4]
            if len(digits) == 3 and digits.isdigit():
                out.append(int(digits))
                i += 4
                continue
            out.append(raw[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return out.decode(errors="surrogateescape")


def _txt_strings(text: str) -> tuple[bytes, ...]:
    """The TXT strings of avahi-browse's ``"a=1" "b"`` rendering."""
    strings: list[bytes] = []
    i = 0
    while i < len(text):
        if text[i] != '"':
            i += 1
            continue
        i += 1
        current = bytearray()
        while i < len(text) and text[i] != '"':
            if text[i] == "\\" and i + 1 < len(text):
                digits = text[i + 1 : i + 4]
                if len(digits) == 3 and digits.isdigit():
                    current.append(int(digits))
                    i += 4
                    continue
                current += text[i + 1].encode()
                i += 2
                continue
            current += text[i].encode()
            i += 1
        strings.append(bytes(current))
        i += 1
    return tuple(strings)


@dataclass(frozen=True, slots=True)
class BrowseEntry:
    """One line of ``avahi-browse -p``: a service seen (``+``), gone (``-``) or resolved (``=``).

    ``interface`` is the interface name as avahi prints it, ``protocol`` is
    ``"IPv4"`` or ``"IPv6"`` (the transport it was seen on, not the address
    family of ``address``). Resolved entries also carry ``host_name``,
    ``address`` (an IPv6 link-local address carries the interface as its
    scope), ``port`` and the ``txt`` strings.
    """

    event: str
    interface: str
    protocol: str
    name: str
    service_type: str
    domain: str
    host_name: str | None = None
    address: IPAddress | None = None
    port: int | None = None
    txt: tuple[bytes, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.event == "="

    @classmethod
    def parse(cls, line: str) -> BrowseEntry | None:
        """Parse one parsable-format line; None for lines of another shape."""
        fields = line.rstrip("\n").split(";", 9)
        if len(fields) < 6 or fields[0] not in "+-=" or not fields[0]:
            return None
        event, interface, protocol, name, service_type, domain = fields[:6]
        if event != "=" or len(fields) < 9:
            return cls(event, interface, protocol, unescape(name), service_type, domain)
        address: IPAddress = ipaddress.ip_address(fields[7])
        if isinstance(address, ipaddress.IPv6Address) and address.is_link_local:
            address = ipaddress.IPv6Address(f"{address}%{interface}")
        return cls(
            event,
            interface,
            protocol,
            unescape(name),
            service_type,
            domain,
            host_name=unescape(fields[6]),
            address=address,
            port=int(fields[8]),
            txt=_txt_strings(fields[9]) if len(fields) > 9 else (),
        )


@dataclass(eq=False)
class Publication:
    """A background ``avahi-publish`` process; the record set lives while it runs.

    Use as a context manager or call :meth:`stop`. Stopping it makes avahi
    withdraw the records (goodbye packets with TTL 0).
    """

    avahi: Avahi
    process: subprocess.Popen[Any]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_established(self, timeout: float = 15.0) -> str:
        """Wait until avahi has probed and announced; return the name it got.

        The name may differ from the one asked for when avahi had to rename
        after a conflict (avahi-publish logs the new name). Raises
        RuntimeError if the process exits or times out first.
        """
        deadline = time.monotonic() + timeout
        while True:
            match = _ESTABLISHED.search(self.output())
            if match:
                return unescape(match["name"])
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"avahi-publish exited {self.process.returncode}:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"avahi-publish not established:\n{self.output()}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Terminate avahi-publish; avahi-daemon then withdraws its records."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> Publication:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(eq=False)
class Avahi:
    """A running avahi-daemon on a lab host, with helpers around avahi-utils."""

    host: Host
    directory: Path
    bus: SystemBus
    process: subprocess.Popen[Any]
    host_name: str
    """The host name avahi ended up with, without ``.local`` (after any rename)."""
    debug: bool = False
    _publications: list[Publication] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return self.directory / "avahi.log"

    def log(self) -> str:
        """Everything avahi-daemon has logged so far."""
        return self.log_path.read_text(errors="replace")

    def env(self) -> dict[str, str]:
        """Environment for avahi client tools: the host's private system bus."""
        return self.bus.env()

    def run(self, *argv: str, timeout: float = 30.0, check: bool = True) -> str:
        """Run an avahi-utils command (or any D-Bus client) on the host; return stdout."""
        done = self.host.run(*argv, env=self.env(), timeout=timeout, check=check)
        return done.stdout

    # -- browsing and resolving --------------------------------------------------
    def browse(
        self,
        service_type: str | None = None,
        *,
        resolve: bool = True,
        ignore_local: bool = False,
        timeout: float = 30.0,
    ) -> list[BrowseEntry]:
        """``avahi-browse -t -p [-r] TYPE`` (or ``-a`` when no type): what is there now.

        ``-t`` ends the browse once avahi considers its list "more or less
        complete" (its cache is settled and a query round has passed), so this
        takes about a second. With ``resolve`` the result includes ``=``
        entries with host, address, port and TXT.
        """
        argv = ["avahi-browse", "-t", "-p", "-k"]
        if resolve:
            argv.append("-r")
        if ignore_local:
            argv.append("-l")
        argv.append(service_type if service_type else "-a")
        out = self.run(*argv, timeout=timeout)
        entries = (BrowseEntry.parse(line) for line in out.splitlines())
        return [entry for entry in entries if entry is not None]

    def resolved(self, service_type: str, name: str, **kw: Any) -> list[BrowseEntry]:
        """The resolved (``=``) entries of one service instance."""
        return [e for e in self.browse(service_type, **kw) if e.resolved and e.name == name]

    def resolve_host_name(
        self, name: str, *, family: int = 4, timeout: float = 15.0
    ) -> list[IPAddress]:
        """``avahi-resolve -n NAME -4|-6``: the addresses avahi found (empty if none).

        avahi-resolve reports one address per name (the first it gets).
        """
        out = self.run("avahi-resolve", "-n", name, f"-{family}", timeout=timeout, check=False)
        found: list[IPAddress] = []
        for line in out.splitlines():
            words = line.split()
            if len(words) >= 2:
                found.append(ipaddress.ip_address(words[1].split("%")[0]))
        return found

    def resolve_address(self, address: IPAddress | str, *, timeout: float = 15.0) -> str | None:
        """``avahi-resolve -a ADDRESS``: the host name for an address (reverse PTR) or None."""
        out = self.run("avahi-resolve", "-a", str(address), timeout=timeout, check=False)
        for line in out.splitlines():
            words = line.split()
            if len(words) >= 2:
                return words[1]
        return None

    # -- publishing ----------------------------------------------------------------
    def publish_service(
        self,
        name: str,
        service_type: str,
        port: int,
        txt: Iterable[bytes | str] = (),
        *,
        subtypes: Sequence[str] = (),
        host: str | None = None,
        domain: str | None = None,
    ) -> Publication:
        """Start ``avahi-publish -s NAME TYPE PORT [TXT...]`` in the background.

        ``subtypes`` are full subtype names (``_printer._sub._http._tcp``);
        ``host`` is the target host name for the SRV (default: avahi's own).
        Call :meth:`Publication.wait_established` to wait for probing to end.
        """
        argv = ["avahi-publish", "-s"]
        for subtype in subtypes:
            argv.append(f"--subtype={subtype}")
        if host is not None:
            argv.append(f"--host={host}")
        if domain is not None:
            argv.append(f"--domain={domain}")
        argv += [name, service_type, str(port)]
        argv += [t.decode(errors="surrogateescape") if isinstance(t, bytes) else t for t in txt]
        return self._publish(argv)

    def publish_address(self, host_name: str, address: IPAddress | str) -> Publication:
        """Start ``avahi-publish -a HOST_NAME ADDRESS`` (an extra A/AAAA record) in the background.

        The reverse PTR is left out (``-R``) so only the address record is claimed.
        """
        return self._publish(["avahi-publish", "-a", "-R", host_name, str(address)])

    def _publish(self, argv: list[str]) -> Publication:
        index = len(self._publications) + 1
        log_path = self.directory / f"publish-{index}.log"
        with log_path.open("wb") as log:
            process = self.host.popen(*argv, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        publication = Publication(self, process, log_path)
        self._publications.append(publication)
        return publication

    # -- lifetime --------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop_daemon(self) -> None:
        """Stop avahi-daemon only (it sends goodbyes); its bus stays up for a restart."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def start_daemon(self, timeout: float = 20.0) -> None:
        """Start avahi-daemon again on the same bus and config; return once it runs."""
        self.process, self.host_name = _start_daemon(
            self.host, self.directory, self.bus, debug=self.debug, timeout=timeout
        )

    def restart_daemon(self, timeout: float = 20.0) -> None:
        """Stop avahi-daemon and start it again, as a service manager restarts it."""
        self.stop_daemon()
        self.start_daemon(timeout)

    def stop(self) -> None:
        """Stop publishers, then avahi-daemon (it sends goodbyes), then its bus."""
        for publication in self._publications:
            publication.stop()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.bus.stop()


def _config_text(sections: Mapping[str, Mapping[str, str]]) -> str:
    lines: list[str] = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key}={value}" for key, value in options.items()]
        lines.append("")
    return "\n".join(lines)


def start_avahi(
    host: Host,
    *,
    host_name: str | None = None,
    interfaces: Sequence[str] | None = None,
    use_ipv4: bool = True,
    use_ipv6: bool = True,
    directory: Path | None = None,
    options: Mapping[str, Mapping[str, str]] | None = None,
    debug: bool = False,
    timeout: float = 20.0,
    wide_area_domains: Sequence[str] = (),
) -> Avahi:
    """Start avahi-daemon (and a private D-Bus) on ``host``; return once it is up.

    ``host_name`` defaults to the lab host's name; ``interfaces`` to all of the
    host's lab interfaces (``eth0``, ...). ``options`` adds or overrides
    avahi-daemon.conf settings per section, e.g.
    ``{"server": {"check-response-ttl": "yes"}}``. ``debug`` passes
    ``--debug`` (verbose log). ``directory`` defaults to
    ``LAB_WORKDIR/avahi-HOST``. Raises RuntimeError, with avahi's log, if the
    daemon exits or does not finish starting within ``timeout`` seconds.
    ``wide_area_domains`` turns wide-area DNS-SD on and browses those unicast
    domains (through the host's resolv.conf servers).
    """
    directory = directory or host.lab.workdir / f"avahi-{host.name}"
    directory.mkdir(parents=True, exist_ok=True)
    run_dir = directory / "run"
    run_dir.mkdir(exist_ok=True)
    interfaces = (
        list(interfaces) if interfaces is not None else [a.ifname for a in host.attachments]
    )
    sections: dict[str, dict[str, str]] = {
        "server": {
            "host-name": host_name or host.name,
            "use-ipv4": "yes" if use_ipv4 else "no",
            "use-ipv6": "yes" if use_ipv6 else "no",
            "allow-interfaces": ",".join(interfaces),
            "enable-dbus": "yes",
            "disallow-other-stacks": "no",
        },
        "wide-area": {"enable-wide-area": "no"},
        "publish": {"publish-workstation": "no", "publish-hinfo": "no"},
        "reflector": {},
        "rlimits": {},
    }
    if wide_area_domains:
        sections["wide-area"]["enable-wide-area"] = "yes"
        sections["server"]["browse-domains"] = ",".join(wide_area_domains)
    for section, values in (options or {}).items():
        sections.setdefault(section, {}).update(values)
    config = directory / "avahi-daemon.conf"
    config.write_text(_config_text(sections))

    bus = start_system_bus(host, directory, timeout=timeout)
    try:
        process, name = _start_daemon(host, directory, bus, debug=debug, timeout=timeout)
    except RuntimeError:
        bus.stop()
        raise
    return Avahi(host, directory, bus, process, name, debug=debug)


def _start_daemon(
    host: Host, directory: Path, bus: SystemBus, *, debug: bool, timeout: float
) -> tuple[subprocess.Popen[Any], str]:
    """Start avahi-daemon with ``directory``'s config on ``bus``; wait until it runs."""
    run_dir = directory / "run"
    config = directory / "avahi-daemon.conf"
    flags = "--no-drop-root --no-chroot --no-rlimits --no-proc-title"
    if debug:
        flags += " --debug"
    # `ip netns exec` already runs us in a private mount namespace, so this
    # bind mount is seen by this avahi-daemon only.
    script = (
        'mkdir -p /run/avahi-daemon && mount --bind "$1" /run/avahi-daemon && '
        f'exec avahi-daemon {flags} -f "$2"'
    )
    log_path = directory / "avahi.log"
    with log_path.open("ab") as log:
        start = log.tell()
        process = host.popen(
            "sh",
            "-c",
            script,
            "avahi-daemon",
            str(run_dir),
            str(config),
            env=bus.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while True:
        text = log_path.read_bytes()[start:].decode(errors="replace")
        match = _STARTUP.search(text)
        if match:
            return process, match["name"].removesuffix(".local")
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            raise RuntimeError(f"{host.name}: avahi-daemon did not start:\n{text}")
        time.sleep(0.05)
