"""What the DNS-SD lab tests run on lab hosts: lanwise publishers on a host's loop,
and python-zeroconf calls (module-level functions, so ``Host.call`` can run them)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any

import ifaddr
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from lanwise.dnssd import Registration, Responder, Service, open_responder
from tests.harness import Host


class Published:
    """A lanwise responder on a lab host's loop, holding registrations until stopped."""

    def __init__(self, host: Host, *services: Service, host_name: str | None = None) -> None:
        self.host = host
        self._ready: Future[tuple[Responder, list[Registration]]] = Future()
        self._stop = threading.Event()
        self._done = host.submit(self._serve(services, host_name))
        self.responder, self.registrations = self._ready.result(30)
        self.wait_everywhere()

    def wait_everywhere(self, timeout: float = 10.0) -> None:
        """Wait until every registration is announced on every interface served.

        ``register`` returns once a name is won on one interface; a host on
        two LANs may still be probing on the other.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            served = set(self.host.wait(self._served()))
            if len(served) == len(self.host.attachments) and all(
                served <= {i for i, state in r.interfaces.items() if state.startswith("announc")}
                for r in self.registrations
            ):
                return
            time.sleep(0.05)
        raise TimeoutError("registrations not announced on every interface")

    async def _served(self) -> list[int]:
        return list(self.responder.interfaces)

    async def _serve(self, services: tuple[Service, ...], host_name: str | None) -> None:
        try:
            async with open_responder(host_name=host_name or self.host.name) as responder:
                registrations = [await responder.register(s, timeout=20) for s in services]
                self._ready.set_result((responder, registrations))
                while not self._stop.is_set():
                    await asyncio.sleep(0.02)
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def run(self, make: Callable[[Responder], Coroutine[Any, Any, Any]]) -> Any:
        """Run ``make(responder)`` on the host's loop and wait for it."""
        return self.host.wait(make(self.responder), timeout=30)

    def stop(self) -> None:
        """Leave the responder: every registration sends its goodbyes."""
        self._stop.set()
        self._done.result(15)


# -- python-zeroconf on a lab host (runs in a fresh process through Host.call) ----------------
def zeroconf_resolve(instance: str, service_type: str, timeout_ms: int = 5000) -> dict[str, Any]:
    """python-zeroconf resolves ``instance`` of ``service_type``: server, port, TXT, addresses."""
    zc = Zeroconf(ip_version=IPVersion.All)
    try:
        info = zc.get_service_info(
            f"{service_type}.local.", f"{instance}.{service_type}.local.", timeout=timeout_ms
        )
        if info is None:
            return {}
        return {
            "server": info.server,
            "port": info.port,
            "txt": dict(info.properties),
            "addresses": sorted(info.parsed_scoped_addresses(IPVersion.All)),
        }
    finally:
        zc.close()


def zeroconf_publish(
    instance: str, service_type: str, port: int, txt: dict[str, str], seconds: float
) -> str:
    """python-zeroconf publishes for ``seconds``; returns the name it registered under."""
    zc = Zeroconf(ip_version=IPVersion.All)
    try:
        info = ServiceInfo(
            f"{service_type}.local.",
            f"{instance}.{service_type}.local.",
            port=port,
            properties=txt,
            server="zc-peer.local.",
            parsed_addresses=_own_addresses(),
        )
        zc.register_service(info, allow_name_change=True)
        time.sleep(seconds)
        zc.unregister_service(info)
        return info.name
    finally:
        zc.close()


def _own_addresses() -> list[str]:
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        if adapter.nice_name == "lo":
            continue
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                found.append(ip.ip)
            elif not ip.ip[0].startswith("fe80"):
                found.append(ip.ip[0])
    return found
