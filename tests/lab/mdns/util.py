"""Helpers shared by the mDNS lab tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lanwise.mdns.transport import MdnsTransport, open_mdns
from tests.harness import Host

T = TypeVar("T")


def wait_ipv6_ready(*hosts: Host, timeout: float = 10.0) -> None:
    """Wait until every interface of ``hosts`` has a usable IPv6 link-local address.

    The kernel configures the link-local address (and the fe80::/64 and
    multicast routes with it) a moment after a link comes up; until then
    IPv6 multicast out of that interface goes nowhere.
    """
    deadline = time.monotonic() + timeout
    for host in hosts:
        for attachment in host.attachments:
            while True:
                shown = host.run(
                    "ip", "-6", "-o", "addr", "show", "dev", attachment.ifname, "scope", "link"
                ).stdout
                if shown.strip() and "tentative" not in shown:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{host.name}: no IPv6 link-local on {attachment.ifname}")
                time.sleep(0.05)


class Node:
    """A lanwise mDNS transport running on a lab host's event loop for a ``with`` block.

    ``node.call(fn)`` runs ``await fn(mdns)`` on the host's loop and returns
    its result; ``node.mdns`` is only to be touched from that loop.
    """

    def __init__(self, host: Host, **options: Any) -> None:
        self.host = host
        self.options = options
        self._mdns: MdnsTransport | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._future: concurrent.futures.Future[None] | None = None

    @property
    def mdns(self) -> MdnsTransport:
        assert self._mdns is not None, "the node is not running"
        return self._mdns

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with open_mdns(**self.options) as mdns:
                self._mdns = mdns
                self._ready.set()
                await self._stop.wait()
        finally:
            self._ready.set()

    def start(self) -> Node:
        self._future = self.host.submit(self._main())
        self._ready.wait(10)
        if self._mdns is None:
            self._future.result(5)  # raises what open_mdns raised
            raise RuntimeError(f"{self.host.name}: the mDNS node did not start")
        return self

    def call(self, fn: Callable[[MdnsTransport], Awaitable[T]], timeout: float = 30.0) -> T:
        """Run ``await fn(mdns)`` on the host's loop and return its result."""

        async def run() -> T:
            return await fn(self.mdns)

        return self.host.wait(run(), timeout)

    def stop(self) -> None:
        """Leave ``open_mdns`` (goodbyes, sockets closed) and wait for it."""
        if self._future is None:
            return
        stop = self._stop
        if stop is not None:
            self.host.loop.call_soon_threadsafe(stop.set)
        self._future.result(10)
        self._future = None

    def __enter__(self) -> Node:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
