"""Responders under test, on lab hosts, each with a ``restart()`` the suite can call."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import sys
import threading
from typing import Any

from lanwise.conformance import Config, Report, run_conformance
from lanwise.mdns.registration import ServiceRecords
from lanwise.mdns.transport import open_mdns
from tests.lab import Host
from tests.lab.avahi import Avahi, start_avahi

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


class AvahiTarget:
    """avahi-daemon publishing one service; ``restart`` restarts the daemon (it probes
    its host name again) and publishes the service anew."""

    def __init__(self, host: Host, host_name: str = "avahi-dut") -> None:
        self.host = host
        self.host_name = host_name
        self.avahi: Avahi | None = None

    def start(self) -> None:
        self.avahi = start_avahi(self.host, host_name=self.host_name)
        self.avahi.publish_service(
            INSTANCE, SERVICE_TYPE, 8080, ["path=/"],
            subtypes=[f"_printer._sub.{SERVICE_TYPE}"],
        )

    def stop(self) -> None:
        if self.avahi is not None:
            self.avahi.stop()
            self.avahi = None

    def restart(self) -> None:
        self.stop()
        self.start()


class ZeroconfTarget:
    """A python-zeroconf process publishing one service; ``restart`` = SIGTERM
    (it unregisters: goodbyes) and start again."""

    def __init__(self, host: Host, host_name: str = "zc-dut") -> None:
        self.host = host
        self.host_name = host_name
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = self.host.popen(
            sys.executable, "-m", "tests.labtests.conformance.zeroconf_target",
            INSTANCE, SERVICE_TYPE, "8080", self.host_name,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()  # "registered"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
