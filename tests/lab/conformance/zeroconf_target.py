"""A python-zeroconf responder for the conformance suite: ``python -m`` this module
on a lab host; it registers one service, changes its TXT on SIGUSR1 and unregisters it
(goodbyes) on SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading

import ifaddr
from zeroconf import IPVersion, ServiceInfo, Zeroconf


def _addresses() -> list[str]:
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        if adapter.nice_name == "lo":
            continue
        for ip in adapter.ips:
            found.append(ip.ip if isinstance(ip.ip, str) else ip.ip[0])
    # Link-local IPv6 addresses only where the host has nothing else (an
    # IPv6-only link): python-zeroconf publishes them without a zone.
    return [a for a in found if not a.startswith("fe80")] or found


def main(instance: str, service_type: str, port: str, server: str) -> None:
    stop, update = threading.Event(), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: update.set())
    zc = Zeroconf(ip_version=IPVersion.All)

    def service(path: str) -> ServiceInfo:
        return ServiceInfo(
            f"{service_type}.local.",
            f"{instance}.{service_type}.local.",
            port=int(port),
            properties={"path": path},
            server=f"{server}.local.",
            parsed_addresses=_addresses(),
        )

    info = service("/")
    try:
        zc.register_service(info, allow_name_change=True)
        print("registered", flush=True)
        while not stop.wait(0.02):
            if update.is_set():
                update.clear()
                info = service("/v2")
                zc.update_service(info)
        zc.unregister_service(info)
    finally:
        zc.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
