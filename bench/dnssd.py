"""DNS-SD benchmark in the lab: lanwise against python-zeroconf, measured in one run.

Needs root (it builds a lab of network namespaces, see tests/lab).

1. Register N services on one host (N = 100, 1000): seconds from the first
   register call until probing is done for all N ("probed"), and until the
   first announcement of the last of them is seen on the wire by a listener
   on another host ("announced"). RFC 6762 §8.1/§8.3 put the floor at
   0.75-1.0 s (a 0-250 ms wait, three probes 250 ms apart, then announce).
2. Discover: N services are published by one lanwise host; on another host,
   from a cold start (a fresh process: no cache, the stack not yet open),
   the seconds until all N are browsed and resolved (SRV, TXT, an address).
   Median of several runs.

Each implementation runs in a fresh Python process on its own lab host, so
neither sees the other's cache or packets echoed back.

Run: sudo .venv/bin/python -m bench.dnssd [--quick]
The last line is ``RESULT register_1000_s=… register_100_vs_zeroconf_ratio=…
discover_100_vs_zeroconf_ratio=… discover_1000_vs_zeroconf_ratio=…`` (ratios:
lanwise time / python-zeroconf time; below 1 means lanwise is faster).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path[:0] = [str(REPO / "src"), str(REPO)]

from tests.lab import Host, Lab, lab_unusable_reason  # noqa: E402
from zeroconf import ServiceStateChange, Zeroconf  # noqa: E402
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf  # noqa: E402

from lanwise.dns import SRV, parse_message  # noqa: E402
from lanwise.dnssd import Service, ServiceAdded, open_responder  # noqa: E402

SERVICE_TYPE = "_bench._tcp"
MDNS_GROUP = "224.0.0.251"
MDNS_PORT = 5353
DISCOVER_RUNS = 5


# -- what runs on the lab hosts (fresh processes; module-level so Host.call can pickle) ---
def lanwise_register(n: int, hold: float) -> dict[str, float]:
    """Register n services; monotonic times of the start and of probing done for all."""

    async def main() -> dict[str, float]:
        async with open_responder(host_name="bench-lanwise") as responder:
            start = time.monotonic()
            services = [
                Service(f"Service {i}", SERVICE_TYPE, 10000 + i, txt={"i": str(i)})
                for i in range(n)
            ]
            await asyncio.gather(*(responder.register(s) for s in services))
            probed = time.monotonic()
            await asyncio.sleep(hold)
            return {"start": start, "probed": probed}

    return asyncio.run(main())


def zeroconf_register(n: int, address: str, hold: float) -> dict[str, float]:
    """The same with python-zeroconf's asyncio API, all registrations in parallel."""

    async def main() -> dict[str, float]:
        aiozc = AsyncZeroconf()
        try:
            start = time.monotonic()
            infos = [
                AsyncServiceInfo(
                    f"{SERVICE_TYPE}.local.",
                    f"Service {i}.{SERVICE_TYPE}.local.",
                    port=10000 + i,
                    properties={"i": str(i)},
                    server="bench-zeroconf.local.",
                    addresses=[socket.inet_aton(address)],
                )
                for i in range(n)
            ]
            announcing = await asyncio.gather(
                *(aiozc.async_register_service(info) for info in infos)
            )
            probed = time.monotonic()
            await asyncio.gather(*announcing)
            await asyncio.sleep(hold)
            return {"start": start, "probed": probed}
        finally:
            await aiozc.async_close()

    return asyncio.run(main())


def lanwise_discover(n: int, timeout: float) -> float:
    """Seconds from a cold start until n instances are browsed and resolved."""

    async def main() -> float:
        start = time.monotonic()
        async with (
            open_responder(host_name="bench-browser") as responder,
            responder.browse(SERVICE_TYPE, resolve=True) as browser,
        ):
            seen: set[str] = set()

            async def collect() -> None:
                async for event in browser:
                    if isinstance(event, ServiceAdded):
                        seen.add(event.name)
                        if len(seen) >= n:
                            return

            await asyncio.wait_for(collect(), timeout)
            return time.monotonic() - start

    return asyncio.run(main())


def zeroconf_discover(n: int, timeout: float) -> float:
    """The same with python-zeroconf: AsyncServiceBrowser, then the cache or a request."""

    async def main() -> float:
        start = time.monotonic()
        aiozc = AsyncZeroconf()
        resolved: set[str] = set()
        done = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        def complete(name: str) -> None:
            resolved.add(name)
            if len(resolved) >= n:
                done.set()

        async def request(info: AsyncServiceInfo) -> None:
            if await info.async_request(aiozc.zeroconf, 3000):
                complete(info.name)

        def handler(
            zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
        ) -> None:
            if state_change is not ServiceStateChange.Added:
                return
            info = AsyncServiceInfo(service_type, name)
            if info.load_from_cache(zeroconf) and info.parsed_addresses():
                complete(name)
            else:
                task = asyncio.ensure_future(request(info))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

        browser = AsyncServiceBrowser(
            aiozc.zeroconf, [f"{SERVICE_TYPE}.local."], handlers=[handler]
        )
        try:
            await asyncio.wait_for(done.wait(), timeout)
            return time.monotonic() - start
        finally:
            await browser.async_cancel()
            await aiozc.async_close()

    return asyncio.run(main())


# -- a listener on another host: when each instance's first announcement is seen ---------
class Sniffer:
    """Records the first time each SRV owner appears in an mDNS response (any section)."""

    def __init__(self, host: Host) -> None:
        with host.entered():
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("", MDNS_PORT))
        mreq = struct.pack("4s4s", socket.inet_aton(MDNS_GROUP), socket.inet_aton(str(host.ipv4())))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        sock.settimeout(0.2)
        self._sock = sock
        self.first_seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(9000)
            except TimeoutError:
                continue
            seen = time.monotonic()
            with contextlib.suppress(Exception):
                message = parse_message(data)
                if not message.is_response:
                    continue
                for record in (*message.answers, *message.additionals):
                    if isinstance(record.rdata, SRV) and record.ttl > 0:
                        self.first_seen.setdefault(str(record.name).lower(), seen)

    def last_of(self, n: int) -> float | None:
        names = [f"service {i}.{SERVICE_TYPE}.local" for i in range(n)]
        times = [self.first_seen.get(name) for name in names]
        if any(t is None for t in times):
            return None
        return max(t for t in times if t is not None)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


# -- the runs -------------------------------------------------------------------------------
def measure_register(lab: Lab, which: str, n: int) -> tuple[float, float]:
    """(probed, announced) seconds for ``which`` ("lanwise" or "zeroconf") registering n."""
    publisher = lab.host(f"reg-{which}-{n}")
    listener = lab.host(f"lis-{which}-{n}")
    sniffer = Sniffer(listener)
    try:
        hold = 0.5
        if which == "lanwise":
            times = publisher.call(lanwise_register, n, hold, timeout=120)
        else:
            times = publisher.call(zeroconf_register, n, str(publisher.ipv4()), hold, timeout=300)
        time.sleep(0.2)
        last = sniffer.last_of(n)
    finally:
        sniffer.close()
    probed = times["probed"] - times["start"]
    announced = (last - times["start"]) if last is not None else float("nan")
    return probed, announced


def _publish(n: int, ready: threading.Event, stop: threading.Event) -> Any:
    async def main() -> None:
        async with open_responder(host_name="bench-publisher") as responder:
            services = [
                Service(f"Service {i}", SERVICE_TYPE, 10000 + i, txt={"i": str(i)})
                for i in range(n)
            ]
            await asyncio.gather(*(responder.register(s) for s in services))
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    return main()


def measure_discover(lab: Lab, n: int) -> tuple[float, float]:
    """(lanwise, zeroconf) median seconds to browse and resolve n services from cold."""
    publisher = lab.host(f"pub-{n}")
    ready, stop = threading.Event(), threading.Event()
    running = publisher.submit(_publish(n, ready, stop))
    if not ready.wait(60):
        raise RuntimeError("the publisher did not establish its services")
    # Let the announcements finish (RFC 6762 §8.3), so the §6.2 once-per-second
    # limit on multicasting a record does not delay the first answers of a run.
    time.sleep(3.0)
    try:
        ours: list[float] = []
        theirs: list[float] = []
        for run in range(DISCOVER_RUNS):
            order = [("lanwise", ours), ("zeroconf", theirs)]
            for which, into in order if run % 2 == 0 else order[::-1]:
                host = lab.host(f"d{n}-{which}-{run}")
                func = lanwise_discover if which == "lanwise" else zeroconf_discover
                into.append(host.call(func, n, 30.0, timeout=90))
                time.sleep(1.1)  # §6.2: the publisher may multicast each record once a second
    finally:
        stop.set()
        running.result(30)
    print(f"  runs N={n}: lanwise {[round(t, 3) for t in ours]}")
    print(f"  runs N={n}: zeroconf {[round(t, 3) for t in theirs]}")
    return statistics.median(ours), statistics.median(theirs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 only")
    args = parser.parse_args(argv)
    reason = lab_unusable_reason()
    if reason is not None:
        print(f"bench/dnssd.py: {reason}", file=sys.stderr)
        return 2
    sizes = (100,) if args.quick else (100, 1000)
    results: dict[str, float] = {}
    with Lab() as lab:
        lab.lan()
        for n in sizes:
            for which in ("lanwise", "zeroconf"):
                probed, announced = measure_register(lab, which, n)
                print(f"register {which:8} N={n:5}: probed {probed:.3f} s, ", end="")
                print(f"announced {announced:.3f} s")
                results[f"register_{n}_{which}_probed"] = probed
                results[f"register_{n}_{which}_announced"] = announced
        for n in sizes:
            ours, theirs = measure_discover(lab, n)
            print(f"discover N={n:5}: lanwise {ours:.3f} s, zeroconf {theirs:.3f} s ", end="")
            print(f"(median of {DISCOVER_RUNS})")
            results[f"discover_{n}_lanwise"] = ours
            results[f"discover_{n}_zeroconf"] = theirs
    out = []
    if 1000 in sizes:
        out.append(f"register_1000_s={results['register_1000_lanwise_announced']:.3f}")
    ratio = results["register_100_lanwise_announced"] / results["register_100_zeroconf_announced"]
    out.append(f"register_100_vs_zeroconf_ratio={ratio:.3f}")
    for n in sizes:
        ratio = results[f"discover_{n}_lanwise"] / results[f"discover_{n}_zeroconf"]
        out.append(f"discover_{n}_vs_zeroconf_ratio={ratio:.3f}")
    print("RESULT " + " ".join(out))
    return 0


if __name__ == "__main__":
    # Host.call pickles functions by module: make them importable as bench.dnssd.
    import bench.dnssd as _self

    for _name in ("lanwise_register", "zeroconf_register", "lanwise_discover", "zeroconf_discover"):
        globals()[_name] = getattr(_self, _name)
    sys.exit(main())
