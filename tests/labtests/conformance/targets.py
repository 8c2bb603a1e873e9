"""Responders under test, on lab hosts, each with a ``restart()`` the suite can call."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any

from lanwise.conformance import Config, Report, run_conformance
from lanwise.mdns.registration import ServiceRecords
from lanwise.mdns.transport import open_mdns
from tests.lab import Host

SERVICE_TYPE = "_conftest._tcp"
INSTANCE = "Conformance Target"
SERVICE = f"{INSTANCE}.{SERVICE_TYPE}.local"


class LanwiseTarget:
    """A lanwise responder publishing one service; ``restart`` = stop (goodbyes) and start."""

    def __init__(self, host: Host, host_name: str = "dut") -> None:
        self.host = host
        self.host_name = host_name
        self._stop: asyncio.Event | None = None
        self._future: concurrent.futures.Future[None] | None = None

    async def _serve(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        try:
            async with open_mdns(host_name=self.host_name) as mdns:
                mdns.register_nowait(
                    ServiceRecords(INSTANCE, SERVICE_TYPE, 8080, txt=(b"path=/",),
                                   subtypes=("_printer",))
                )
                ready.set()
                await self._stop.wait()
        finally:
            ready.set()

    def start(self) -> None:
        ready = threading.Event()
        self._future = self.host.submit(self._serve(ready))
        ready.wait(10)

    def stop(self) -> None:
        if self._future is None:
            return
        stop = self._stop
        assert stop is not None
        self.host.loop.call_soon_threadsafe(stop.set)
        self._future.result(10)
        self._future = None

    def restart(self) -> None:
        self.stop()
        self.start()


def run_suite(tester: Host, target: str, **options: Any) -> Report:
    """Run the suite from ``tester``'s namespace (sockets and netlink there)."""
    config = Config(target=target, interface="eth0", service=options.pop("service", SERVICE),
                    **options)
    with tester.entered():
        return run_conformance(config)
