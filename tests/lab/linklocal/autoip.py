"""Helpers for the link-local lab tests: a client on a host's loop, an ARP tap, addresses."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address
from typing import Any

from lanwise.linklocal import Event, LinkLocalClient, State, open_link_local
from lanwise.linklocal.arp import ETHERTYPE_ARP, ArpFormatError, ArpPacket
from tests.harness import Host


class Autoip:
    """``open_link_local`` running on a lab host's event loop until :meth:`stop`."""

    def __init__(self, host: Host, **options: Any) -> None:
        self.host = host
        self.events: list[Event] = []
        self._client: LinkLocalClient | None = None
        self._stop: asyncio.Event | None = None
        started = threading.Event()
        self._done = host.submit(self._run(host.ifindex(), options, started))
        while not started.wait(0.05):
            if self._done.done():
                self._done.result()  # raises what went wrong
        assert self._client is not None

    async def _run(self, index: int, options: dict[str, Any], started: threading.Event) -> None:
        self._stop = asyncio.Event()
        async with open_link_local(index, **options) as client:
            self._client = client
            collector = asyncio.create_task(self._collect(client))
            started.set()
            await self._stop.wait()
        await collector

    async def _collect(self, client: LinkLocalClient) -> None:
        async for event in client:
            self.events.append(event)

    @property
    def client(self) -> LinkLocalClient:
        assert self._client is not None
        return self._client

    def call(self, coro: Any, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.host.loop)
        try:
            return future.result(timeout + 5)
        except (TimeoutError, concurrent.futures.TimeoutError):
            raise AssertionError(
                f"{self.host.name}: timed out in state {self.client.state}; events {self.events}"
            ) from None

    def wait_bound(self, timeout: float = 20.0) -> IPv4Address:
        address: IPv4Address = self.call(self.client.wait_bound(), timeout)
        return address

    def wait_state(self, *states: State, timeout: float = 20.0) -> State:
        state: State = self.call(self.client.wait_state(*states), timeout)
        return state

    def stop(self) -> None:
        stop = self._stop
        if stop is not None and not self._done.done():
            self.host.loop.call_soon_threadsafe(stop.set)
        self._done.result(15)


def link_local_addresses(host: Host) -> list[IPv4Address]:
    """The 169.254/16 addresses configured on the host's eth0 (from ``ip``)."""
    out = host.run("ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout
    found = []
    for line in out.splitlines():
        words = line.split()
        address = IPv4Address(words[words.index("inet") + 1].split("/")[0])
        if address.is_link_local:
            found.append(address)
    return found


def wait_for_address(host: Host, timeout: float, *, other_than: object = None) -> IPv4Address:
    """Poll until the host's eth0 carries a link-local address (e.g. set by avahi-autoipd)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [a for a in link_local_addresses(host) if a != other_than]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"{host.name}: no link-local address after {timeout} s")


# SO_TIMESTAMPNS (asm-generic/socket.h; Python 3.11 lacks the name). The control
# message it adds, SCM_TIMESTAMPNS, has the same number and holds a struct timespec.
_SO_TIMESTAMPNS = 35
_TIMESPEC = struct.Struct("@ll")

Seen = list[tuple[float, ArpPacket]]


class ArpTap:
    """Every ARP frame seen on a host's eth0 (its own outgoing ones included), timestamped.

    Times are the kernel's arrival stamps (wall clock, comparable with
    ``time.time()``), so a test thread that reads late under load does not
    distort the intervals it measures.
    """

    def __init__(self, host: Host) -> None:
        with host.entered():
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            self._sock.bind(("eth0", ETHERTYPE_ARP))
        self._sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self._sock.settimeout(0.1)
        self.hardware_address: bytes = self._sock.getsockname()[4]

    def read(self, duration: float, until: Callable[[Seen], bool] | None = None) -> Seen:
        """Frames arriving within ``duration`` seconds, with their arrival times;
        stops early once ``until(frames so far)`` holds."""
        got: Seen = []
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            try:
                frame, ancdata, _flags, _address = self._sock.recvmsg(
                    2048, socket.CMSG_SPACE(_TIMESPEC.size)
                )
            except TimeoutError:
                continue
            stamp = time.time()
            for level, kind, data in ancdata:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                    seconds, nanoseconds = _TIMESPEC.unpack_from(data)
                    stamp = seconds + nanoseconds / 1e9
            with contextlib.suppress(ArpFormatError):
                got.append((stamp, ArpPacket.from_frame(frame)))
            if until is not None and until(got):
                break
        return got

    def send(self, packet: ArpPacket) -> None:
        self._sock.send(packet.to_frame())

    def close(self) -> None:
        self._sock.close()


@contextlib.contextmanager
def arp_tap(host: Host) -> Iterator[ArpTap]:
    tap = ArpTap(host)
    try:
        yield tap
    finally:
        tap.close()
