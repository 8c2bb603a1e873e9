"""A LAN of test hosts on one machine: network namespaces, veth pairs, bridges.

Every LAN is a bridge inside a "switch" namespace of its own, so nothing of the
lab touches the machine's real interfaces; every host is a namespace with one
interface per LAN it is on (``eth0``, ``eth1``, … in the order given). Namespace
names carry the process id and a counter, so two runs never collide, and
:meth:`Lab.close` removes everything, including processes the tests started.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import ipaddress
import itertools
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_CLONE_NEWNET = 0x40000000
_REPO = Path(__file__).resolve().parents[2]
_counter = itertools.count(1)
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def lab_unusable_reason() -> str | None:
    """Why the lab cannot run here, or None when it can."""
    if sys.platform != "linux":
        return "the lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, veth pairs, bridges)"
    if shutil.which("ip") is None:
        return "the lab needs iproute2's `ip` command"
    probe = f"lw-probe-{os.getpid()}"
    made = subprocess.run(
        ["ip", "netns", "add", probe], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        return f"network namespaces are not usable: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return None


def _ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


@dataclass(eq=False)
class Lan:
    """One broadcast domain: a bridge in a namespace of its own."""

    lab: Lab
    number: int
    netns: str
    ipv4_network: ipaddress.IPv4Network
    ipv6_network: ipaddress.IPv6Network
    _ports: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def name(self) -> str:
        return f"lan{self.number}"


@dataclass(eq=False)
class Attachment:
    """A host's interface on one LAN."""

    lan: Lan
    ifname: str
    port: str
    ipv4: ipaddress.IPv4Interface
    ipv6: ipaddress.IPv6Interface


class Host:
    """A test host: a network namespace with an interface on each of its LANs."""

    def __init__(self, lab: Lab, name: str, netns: str) -> None:
        self.lab = lab
        self.name = name
        self.netns = netns
        self.attachments: list[Attachment] = []
        self._procs: list[subprocess.Popen[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- addresses ---------------------------------------------------------------
    def attachment(self, lan: Lan | None = None) -> Attachment:
        for att in self.attachments:
            if lan is None or att.lan is lan:
                return att
        raise KeyError(f"{self.name} is not on {lan.name if lan else 'any LAN'}")

    def ifname(self, lan: Lan | None = None) -> str:
        return self.attachment(lan).ifname

    def ifindex(self, lan: Lan | None = None) -> int:
        return int(self.run("cat", f"/sys/class/net/{self.ifname(lan)}/ifindex").stdout)

    def ipv4(self, lan: Lan | None = None) -> ipaddress.IPv4Address:
        return self.attachment(lan).ipv4.ip

    def ipv6(self, lan: Lan | None = None) -> ipaddress.IPv6Address:
        return self.attachment(lan).ipv6.ip

    def ipv6_link_local(self, lan: Lan | None = None) -> ipaddress.IPv6Address:
        out = self.run("ip", "-6", "-o", "addr", "show", "dev", self.ifname(lan), "scope", "link")
        for line in out.stdout.splitlines():
            words = line.split()
            return ipaddress.IPv6Interface(words[words.index("inet6") + 1]).ip
        raise LookupError(f"{self.name}: no IPv6 link-local address on {self.ifname(lan)}")

    # -- running things ----------------------------------------------------------
    def command(self, *argv: str) -> list[str]:
        """The argv that runs ``argv`` inside this host (``ip netns exec``)."""
        return ["ip", "netns", "exec", self.netns, *argv]

    def run(
        self, *argv: str, check: bool = True, timeout: float = 60.0, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run a command on this host and wait for it."""
        kw.setdefault("capture_output", True)
        kw.setdefault("env", self.lab.env())
        done = subprocess.run(self.command(*argv), text=True, timeout=timeout, check=False, **kw)
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{self.name}: {' '.join(argv)} exited {done.returncode}: "
                f"{(done.stderr or '').strip()}"
            )
        return done

    def popen(self, *argv: str, **kw: Any) -> subprocess.Popen[Any]:
        """Start a command on this host; it is killed when the lab closes."""
        kw.setdefault("env", self.lab.env())
        kw.setdefault("start_new_session", True)
        proc: subprocess.Popen[Any] = subprocess.Popen(self.command(*argv), **kw)
        self._procs.append(proc)
        return proc

    def lanwise(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        """Run the ``lanwise`` command line on this host."""
        return self.run(sys.executable, "-m", "lanwise", *args, **kw)

    def call(self, func: Callable[..., T], *args: Any, timeout: float = 60.0) -> T:
        """Call a picklable ``func(*args)`` in a fresh Python process on this host."""
        code = (
            "import pickle, sys\n"
            "f, a = pickle.load(sys.stdin.buffer)\n"
            "r = f(*a)\n"
            "sys.stdout.buffer.write(pickle.dumps(r))\n"
        )
        done = subprocess.run(
            self.command(sys.executable, "-c", code),
            input=pickle.dumps((func, args)),
            capture_output=True,
            timeout=timeout,
            env=self.lab.env(),
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: call failed:\n{done.stderr.decode(errors='replace')}")
        result: T = pickle.loads(done.stdout)
        return result

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Switch the calling thread into this host's namespace for the block.

        Sockets (netlink included) created inside the block belong to the host
        and keep working after it. Note that /sys still shows the machine's own
        view; run a command with :meth:`run` where sysfs matters.
        """
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.netns}", os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(own)
        finally:
            os.close(own)
            os.close(target)

    # -- an asyncio loop living in this host -------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """An event loop on a thread of its own inside this host's namespace."""
        if self._loop is None:
            ready = threading.Event()
            loop = asyncio.new_event_loop()

            def serve() -> None:
                target = os.open(f"/run/netns/{self.netns}", os.O_RDONLY)
                try:
                    _setns(target)
                finally:
                    os.close(target)
                asyncio.set_event_loop(loop)
                ready.set()
                loop.run_forever()
                loop.close()

            self._thread = threading.Thread(target=serve, name=f"lab-{self.name}", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run a coroutine on this host's loop; returns a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def wait(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run a coroutine on this host's loop and block until it returns."""
        return self.submit(coro).result(timeout)

    def gather(self, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """Run a coroutine on this host's loop, awaitable from another loop."""
        return asyncio.wrap_future(self.submit(coro))

    # -- link control ------------------------------------------------------------
    def link_down(self, lan: Lan | None = None) -> None:
        self.run("ip", "link", "set", self.ifname(lan), "down")

    def link_up(self, lan: Lan | None = None) -> None:
        self.run("ip", "link", "set", self.ifname(lan), "up")

    def close(self) -> None:
        if self._loop is not None:
            loop = self._loop

            async def cancel_all() -> None:
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(10)
            self._loop = None
        for proc in self._procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for proc in self._procs:
            try:
                proc.wait(max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self._procs.clear()


class Lab:
    """A set of LANs and hosts; use as a context manager or through the ``lab`` fixture."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.tag = f"lw{os.getpid()}x{next(_counter)}"
        self.workdir = workdir or Path(f"/tmp/{self.tag}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.lans: list[Lan] = []
        self.hosts: list[Host] = []
        self._namespaces: list[str] = []

    def env(self) -> dict[str, str]:
        """The environment for commands on lab hosts: lanwise importable from the repo."""
        env = dict(os.environ)
        paths = [str(_REPO / "src"), str(_REPO)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return env

    def _netns(self, suffix: str) -> str:
        name = f"{self.tag}-{suffix}"
        _ip("netns", "add", name)
        self._namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def lan(self) -> Lan:
        """A new LAN: its own bridge, multicast snooping off, IPv4 and IPv6 prefixes."""
        number = len(self.lans) + 1
        netns = self._netns(f"sw{number}")
        _sysctl(netns, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        _ip(
            "-n",
            netns,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
            "stp_state",
            "0",
        )
        _ip("-n", netns, "link", "set", "br0", "up")
        lan = Lan(
            lab=self,
            number=number,
            netns=netns,
            ipv4_network=ipaddress.IPv4Network(f"10.99.{number}.0/24"),
            ipv6_network=ipaddress.IPv6Network(f"fd99:0:0:{number}::/64"),
        )
        self.lans.append(lan)
        return lan

    def host(self, name: str, lans: Sequence[Lan] = (), *, dad: bool = False) -> Host:
        """A new host with one interface on each LAN (``eth0`` on the first, …).

        IPv6 duplicate address detection is off unless ``dad`` is true, so
        addresses are usable at once.
        """
        if not lans:
            lans = [self.lans[0] if self.lans else self.lan()]
        netns = self._netns(f"h{len(self.hosts) + 1}")
        if not dad:
            _sysctl(netns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        host = Host(self, name, netns)
        for i, lan in enumerate(lans):
            n = next(lan._ports)
            ifname, port = f"eth{i}", f"p{len(self.hosts) + 1}"
            _ip(
                "link",
                "add",
                "name",
                ifname,
                "netns",
                netns,
                "type",
                "veth",
                "peer",
                "name",
                port,
                "netns",
                lan.netns,
            )
            _ip("-n", lan.netns, "link", "set", port, "master", "br0", "up")
            v4 = ipaddress.IPv4Interface(f"{lan.ipv4_network.network_address + n}/24")
            v6 = ipaddress.IPv6Interface(f"{lan.ipv6_network.network_address + n}/64")
            _ip("-n", netns, "addr", "add", str(v4), "broadcast", "+", "dev", ifname)
            _ip("-n", netns, "addr", "add", str(v6), "dev", ifname)
            _ip("-n", netns, "link", "set", ifname, "up")
            host.attachments.append(Attachment(lan, ifname, port, v4, v6))
        self.hosts.append(host)
        return host

    def close(self) -> None:
        for host in self.hosts:
            with contextlib.suppress(Exception):
                host.close()
        for name in reversed(self._namespaces):
            pids = subprocess.run(
                ["ip", "netns", "pids", name], capture_output=True, text=True, check=False
            )
            for pid in pids.stdout.split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        self._namespaces.clear()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sysctl(netns: str, *settings: str) -> None:
    subprocess.run(
        ["ip", "netns", "exec", netns, "sysctl", "-q", "-w", *settings],
        capture_output=True,
        check=True,
    )
