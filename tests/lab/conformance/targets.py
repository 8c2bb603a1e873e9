"""Responders under test, on lab hosts, each with a ``restart()`` the suite can call."""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from lanwise.conformance import Config, Report, run_conformance
from lanwise.mdns.registration import EngineRegistration, ServiceRecords
from lanwise.mdns.transport import MdnsTransport, open_mdns
from tests.harness import Host
from tests.harness.avahi import Avahi, Publication, start_avahi

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
        self._mdns: MdnsTransport | None = None
        self._registration: EngineRegistration | None = None

    async def _serve(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        try:
            async with open_mdns(host_name=self.host_name) as mdns:
                self._mdns = mdns
                self._registration = mdns.register_nowait(
                    ServiceRecords(
                        INSTANCE, SERVICE_TYPE, 8080, txt=(b"path=/",), subtypes=("_printer",)
                    )
                )
                ready.set()
                await self._stop.wait()
        finally:
            self._mdns = self._registration = None
            ready.set()

    def _on_loop(self, action: Callable[[MdnsTransport, EngineRegistration], None]) -> None:
        async def run() -> None:
            assert self._mdns is not None and self._registration is not None
            action(self._mdns, self._registration)

        self.host.wait(run(), timeout=10)

    def update(self) -> None:
        """Change the service's TXT (§8.4: announced again, no probe)."""
        self._on_loop(lambda mdns, reg: mdns.update(reg, txt=(b"path=/v2",)))

    def rename(self) -> None:
        """Rename the service instance (goodbye, probe, announce)."""
        self._on_loop(lambda mdns, reg: mdns.rename(reg, "Renamed Target"))

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


OFF_LINK = IPv4Address("192.0.2.5")


def prepare_off_link(tester: Host, target: Host) -> IPv4Address:
    """Give the tester an address off the link, and the target a route back to it,
    so that only the §11 source check keeps the target from answering (R13)."""
    tester.run("ip", "addr", "add", f"{OFF_LINK}/32", "dev", "eth0")
    target.run("ip", "route", "add", "192.0.2.0/24", "dev", "eth0")
    return OFF_LINK


def run_suite(tester: Host, target: str, **options: Any) -> Report:
    """Run the suite from ``tester``'s namespace (sockets and netlink there)."""
    config = Config(
        target=target, interface="eth0", service=options.pop("service", SERVICE), **options
    )
    with tester.entered():
        return run_conformance(config)


class AvahiTarget:
    """avahi-daemon publishing one service; ``restart`` restarts the daemon (it probes
    its host name again) and publishes the service anew."""

    def __init__(self, host: Host, host_name: str = "avahi-dut") -> None:
        self.host = host
        self.host_name = host_name
        self.avahi: Avahi | None = None
        self.publication: Publication | None = None
        self.log_path: Path | None = None

    def start(self) -> None:
        self.avahi = start_avahi(self.host, host_name=self.host_name)
        self.log_path = self.avahi.log_path
        self.publication = self.avahi.publish_service(
            INSTANCE,
            SERVICE_TYPE,
            8080,
            ["path=/"],
            subtypes=[f"_printer._sub.{SERVICE_TYPE}"],
        )

    def wait_established(self) -> None:
        """Wait until the service is probed and announced (a restart does not wait:
        the suite watches those probes)."""
        assert self.publication is not None
        self.publication.wait_established(timeout=30)

    def log(self) -> str:
        """avahi-daemon's log (kept after a stop), for a failure message."""
        return self.log_path.read_text(errors="replace") if self.log_path else ""

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
            sys.executable,
            "-m",
            "tests.lab.conformance.zeroconf_target",
            INSTANCE,
            SERVICE_TYPE,
            "8080",
            self.host_name,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()  # "registered"

    def update(self) -> None:
        """Change the service's TXT (SIGUSR1: ``update_service``)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
