"""A python-zeroconf responder for the conformance suite: ``python -m`` this module
on a lab host; it registers one service and unregisters it (goodbyes) on SIGTERM."""

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
    return [a for a in found if not a.startswith("fe80")]


def main(instance: str, service_type: str, port: str, server: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    zc = Zeroconf(ip_version=IPVersion.All)
    info = ServiceInfo(
        f"{service_type}.local.",
        f"{instance}.{service_type}.local.",
        port=int(port),
        properties={"path": "/"},
        server=f"{server}.local.",
        parsed_addresses=_addresses(),
    )
    try:
        zc.register_service(info, allow_name_change=True)
        print("registered", flush=True)
        stop.wait()
        zc.unregister_service(info)
    finally:
        zc.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
