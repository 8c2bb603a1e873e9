"""Benchmark: enumerating interfaces and addresses, lanwise vs ifaddr vs psutil.

Not a test. Each library produces the full list of interfaces with their
addresses; psutil needs two calls for what lanwise returns in one
(``net_if_addrs`` for addresses, ``net_if_stats`` for up/MTU/flags).
Prints per-call times and, as the last line, the ratios (below 1: lanwise faster):

    RESULT enumerate_vs_ifaddr_ratio=… enumerate_vs_psutil_ratio=…

Run: .venv/bin/python bench/interfaces.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import ifaddr
import psutil

from lanwise.interfaces import list_interfaces


def _psutil() -> object:
    return psutil.net_if_addrs(), psutil.net_if_stats()


def _time(func: Callable[[], object], rounds: int, inner: int) -> float:
    """Median seconds per call over ``rounds`` batches of ``inner`` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(inner):
            func()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--inner", type=int, default=200)
    args = parser.parse_args()

    found = list_interfaces()
    print(
        f"{len(found)} interfaces, {sum(len(i.addresses) for i in found)} addresses; "
        f"ifaddr sees {len(list(ifaddr.get_adapters()))}, psutil {len(psutil.net_if_addrs())}"
    )
    contenders: dict[str, Callable[[], object]] = {
        "lanwise": list_interfaces,
        "ifaddr": ifaddr.get_adapters,
        "psutil": _psutil,
    }
    for func in contenders.values():  # warm up caches and imports alike
        for _ in range(50):
            func()
    # Interleave the contenders round by round so machine load hits all of them alike.
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, func in contenders.items():
            samples[name].append(_time(func, 1, args.inner))
    times = {name: statistics.median(values) for name, values in samples.items()}
    for name, seconds in times.items():
        print(f"{name:8} {seconds * 1e6:8.1f} µs per enumeration")
    print(
        f"RESULT enumerate_vs_ifaddr_ratio={times['lanwise'] / times['ifaddr']:.3f} "
        f"enumerate_vs_psutil_ratio={times['lanwise'] / times['psutil']:.3f}"
    )


if __name__ == "__main__":
    main()
