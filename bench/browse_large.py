"""Browsing a large service type: lanwise against python-zeroconf, measured in one run.

Needs root (it builds a lab of network namespaces, see tests/harness).

N services (N = 10,000 and 20,000) of one type are published by lanwise on a
lab host and stay up. On another host, from a cold start (a fresh Python
process: no cache, the stack not yet open), each library browses the type
(PTR only, as ``lanwise browse`` and python-zeroconf's ``ServiceBrowser`` do,
both over IPv4) until it has seen all N, then keeps browsing for HOLD
seconds. Reported per library: the seconds until all N were seen, the
process's RSS at the end, and the false removals (every service stays live,
so any removal is false; there must be none). Each browser runs once per N,
lanwise first. A browser that has not seen all N within TIMEOUT (60 s) is
reported with how many it saw (``…_seen``) and a time of ``nan``.

Also printed, measured in this process: the memory the lanwise cache takes
per cached instance (its PTR, SRV and TXT, as they arrive), by tracemalloc.

Four browsers per N (bench/paths.py): lanwise compiled and pure
(``LANWISE_NO_EXTENSIONS=1``), python-zeroconf's wheel (compiled with Cython)
and a pure-Python copy of the same version; the output names each build. The
publisher is lanwise on this process's path.

Run: sudo .venv/bin/python -m bench.browse_large [--quick]   (--quick: N = 2,000)
``…_vs_zeroconf_ratio`` compares the time each took to see the first k
instances, k (``…_common``) being the count both reached (N when both saw all).
The last line is ``RESULT browse_10000_s=… browse_10000_rss_mib=…
browse_10000_false_removals=… browse_10000_seen=… browse_10000_common=…
browse_10000_vs_zeroconf_ratio=… browse_10000_vs_pure_zeroconf_common=…
browse_10000_vs_pure_zeroconf_ratio=…``, the same prefixed ``pure_`` for the pure
lanwise path (no prefix: the compiled one), ``browse_10000_zeroconf_rss_mib=…
browse_10000_zeroconf_false_removals=… browse_10000_zeroconf_seen=…`` and the
same with ``pure_zeroconf``; all that again for 20000; then
``cache_bytes_per_instance=…`` (ratios: lanwise time / python-zeroconf time).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path[:0] = [str(REPO / "src"), str(REPO)]

from bench import paths  # noqa: E402
from tests.harness import Lab, lab_unusable_reason  # noqa: E402
from zeroconf import ServiceStateChange, Zeroconf  # noqa: E402
from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf  # noqa: E402

from lanwise.dns import PTR, SRV, TXT, Name, Record  # noqa: E402
from lanwise.dnssd import Service, ServiceAdded, ServiceRemoved, open_responder  # noqa: E402
from lanwise.mdns.cache import RecordCache  # noqa: E402

SERVICE_TYPE = "_bulk._tcp"
HOLD = 10.0  # seconds of browsing after all N were seen, for removals to show
TIMEOUT = 60.0  # a browser that has not seen all N by then is reported with how many it saw


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _until(all_seen: asyncio.Event, start: float) -> float:
    """Seconds from ``start`` until all were seen; NaN if not within TIMEOUT."""
    try:
        await asyncio.wait_for(all_seen.wait(), TIMEOUT)
    except TimeoutError:
        return float("nan")
    return time.monotonic() - start


# -- what runs on the lab hosts (fresh processes; module-level so Host.call can pickle) ---
def lanwise_browse(n: int) -> dict[str, Any]:
    """From cold: seconds until n instances seen, RSS (KiB) after HOLD more, removals."""

    async def main() -> dict[str, Any]:
        start = time.monotonic()
        seen: set[str] = set()
        firsts: list[float] = []  # when each instance was first seen, from the start
        removed = 0
        all_seen = asyncio.Event()
        async with (
            open_responder(querier_only=True, families=(4,)) as responder,
            responder.browse(SERVICE_TYPE) as browser,
        ):

            async def collect() -> None:
                nonlocal removed
                async for event in browser:
                    if isinstance(event, ServiceAdded):
                        if event.name not in seen:
                            seen.add(event.name)
                            firsts.append(time.monotonic() - start)
                        if len(seen) >= n:
                            all_seen.set()
                    elif isinstance(event, ServiceRemoved):
                        removed += 1

            task = asyncio.ensure_future(collect())
            seconds = await _until(all_seen, start)
            await asyncio.sleep(HOLD)
            task.cancel()
            rss = _rss_kib()
        return {
            "seconds": seconds,
            "seen": len(seen),
            "rss_kib": rss,
            "removed": removed,
            "firsts": firsts,
        }

    return asyncio.run(main())


def zeroconf_browse(n: int) -> dict[str, Any]:
    """The same with python-zeroconf's AsyncServiceBrowser."""

    async def main() -> dict[str, Any]:
        start = time.monotonic()
        aiozc = AsyncZeroconf()
        seen: set[str] = set()
        firsts: list[float] = []  # when each instance was first seen, from the start
        removed = 0
        all_seen = asyncio.Event()

        def handler(
            zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
        ) -> None:
            nonlocal removed
            if state_change is ServiceStateChange.Added:
                if name not in seen:
                    seen.add(name)
                    firsts.append(time.monotonic() - start)
                if len(seen) >= n:
                    all_seen.set()
            elif state_change is ServiceStateChange.Removed:
                removed += 1

        browser = AsyncServiceBrowser(
            aiozc.zeroconf, [f"{SERVICE_TYPE}.local."], handlers=[handler]
        )
        try:
            seconds = await _until(all_seen, start)
            await asyncio.sleep(HOLD)
            rss = _rss_kib()
        finally:
            await browser.async_cancel()
            await aiozc.async_close()
        return {
            "seconds": seconds,
            "seen": len(seen),
            "rss_kib": rss,
            "removed": removed,
            "firsts": firsts,
        }

    return asyncio.run(main())


def _publish(n: int, ready: threading.Event, stop: threading.Event) -> Any:
    async def main() -> None:
        async with open_responder(host_name="bulk-publisher", families=(4,)) as responder:
            services = [
                Service(f"svc {i}", SERVICE_TYPE, 10000 + i % 50000, txt={"i": str(i)})
                for i in range(n)
            ]
            await asyncio.gather(*(responder.register(s) for s in services))
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    return main()


def measure(lab: Lab, n: int, sides: list[tuple[str, paths.Build]]) -> dict[str, dict[str, Any]]:
    publisher = lab.host(f"pub-{n}")
    ready, stop = threading.Event(), threading.Event()
    running = publisher.submit(_publish(n, ready, stop))
    try:
        if not ready.wait(600):
            raise RuntimeError("the publisher did not establish its services")
        time.sleep(3.0)  # announcements done (RFC 6762 §8.3)
        results = {}
        for which, build in sides:
            host = lab.host(f"browse-{which[0]}{build[0]}-{n}")
            func = paths.lab_call("bench.browse_large", which, build, f"{which}_browse")
            side = f"{which} {build}"
            results[side] = got = host.call(func, n, timeout=TIMEOUT + HOLD + 60)
            print(
                f"browse N={n:6} {side:17}: {int(got['seen'])} seen, all in "
                f"{got['seconds']:.2f} s, RSS {got['rss_kib'] / 1024:.1f} MiB, "
                f"false removals {int(got['removed'])}",
                flush=True,
            )
            time.sleep(1.1)  # RFC 6762 §6.2: each record at most once a second
    finally:
        stop.set()
        running.result(120)
    return results


def cache_bytes_per_instance(n: int = 20_000) -> float:
    """tracemalloc: memory per cached instance, its PTR, SRV and TXT records included.

    The records are built here as parsing would build them (names, rdata, records)
    and handed to a cache whose every record is asked for; then only the cache
    holds them.
    """
    stype = Name("_bulk._tcp.local")
    host = Name("bulk-publisher.local")
    cache = RecordCache(random.Random(1), interest=lambda *_: True)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        name = Name.from_labels((f"svc {i}", "_bulk", "_tcp", "local"))
        batch = [
            Record.of(stype, PTR(name), 4500),
            Record.of(name, SRV(0, 0, 10000 + i, host), 120, cache_flush=True),
            Record.of(name, TXT((f"i={i}".encode(),)), 4500, cache_flush=True),
        ]
        cache.add_response(batch, 1, i * 1e-5)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 2,000 only")
    args = parser.parse_args(argv)
    reason = lab_unusable_reason()
    if reason is not None:
        print(f"bench/browse_large.py: {reason}", file=sys.stderr)
        return 2
    per_instance = cache_bytes_per_instance()
    print(f"lanwise cache: {per_instance:.0f} bytes per cached instance (PTR, SRV, TXT)")
    sizes = (2_000,) if args.quick else (10_000, 20_000)
    builds, both = paths.lab_builds()
    print("\n".join(builds), flush=True)
    sides = [s for s in paths.LAB_SIDES if both or s != ("lanwise", "compiled")]
    out = []
    # Keys (bench/paths.py): no prefix = compiled lanwise, ``pure_`` = pure lanwise;
    # ``zeroconf`` the compiled python-zeroconf, ``pure_zeroconf`` the pure one.
    lanwise_sides = [("", "lanwise compiled"), ("pure_", "lanwise pure")][0 if both else 1 :]
    zeroconf_sides = [("zeroconf", "zeroconf compiled"), ("pure_zeroconf", "zeroconf pure")]
    with Lab() as lab:
        lab.lan()
        for n in sizes:
            results = measure(lab, n, sides)
            for prefix, side in lanwise_sides:
                ours = results[side]
                out += [
                    f"{prefix}browse_{n}_s={ours['seconds']:.3f}",
                    f"{prefix}browse_{n}_rss_mib={ours['rss_kib'] / 1024:.1f}",
                    f"{prefix}browse_{n}_false_removals={int(ours['removed'])}",
                    f"{prefix}browse_{n}_seen={int(ours['seen'])}",
                ]
                for peer, peer_side in zeroconf_sides:
                    theirs = results[peer_side]
                    # Compared at the count both reached (all N if both saw all): time to see k.
                    k = min(len(ours["firsts"]), len(theirs["firsts"]))
                    ratio = ours["firsts"][k - 1] / theirs["firsts"][k - 1] if k else float("nan")
                    if k:
                        print(
                            f"browse N={n:6}: both saw {k}: {side} in "
                            f"{ours['firsts'][k - 1]:.2f} s, {peer_side} in "
                            f"{theirs['firsts'][k - 1]:.2f} s"
                        )
                    vs = "" if peer == "zeroconf" else "_vs_pure_zeroconf"
                    out += [
                        f"{prefix}browse_{n}{vs}_common={k}",
                        f"{prefix}browse_{n}_vs_{peer}_ratio={ratio:.3f}",
                    ]
            for peer, peer_side in zeroconf_sides:
                theirs = results[peer_side]
                out += [
                    f"browse_{n}_{peer}_rss_mib={theirs['rss_kib'] / 1024:.1f}",
                    f"browse_{n}_{peer}_false_removals={int(theirs['removed'])}",
                    f"browse_{n}_{peer}_seen={int(theirs['seen'])}",
                ]
    out.append(f"cache_bytes_per_instance={per_instance:.0f}")
    print("RESULT " + " ".join(out))
    return 0


if __name__ == "__main__":
    # Host.call pickles functions by module: make them importable as bench.browse_large.
    import bench.browse_large as _self

    for _name in ("lanwise_browse", "zeroconf_browse"):
        globals()[_name] = getattr(_self, _name)
    sys.exit(main())
