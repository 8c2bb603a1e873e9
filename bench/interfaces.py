"""Benchmark: enumerating interfaces and addresses, lanwise vs ifaddr vs psutil.

Not a test. Each library produces the full list of interfaces with their
addresses; psutil needs two calls for what lanwise returns in one
(``net_if_addrs`` for addresses, ``net_if_stats`` for up/MTU/flags). The three
are interleaved round by round so machine load hits them alike.

Run as root, it also measures a scratch network namespace holding 64 veth
interfaces with an IPv4 and an IPv6 address each (no traffic is sent), because
the cost per interface is what grows on real hosts with containers and VPNs.

The last line holds the ratios (lanwise time / peer time; below 1: lanwise faster):

    RESULT enumerate_vs_ifaddr_ratio=… enumerate_vs_psutil_ratio=… enumerate64_vs_ifaddr_ratio=… …

No python-zeroconf in it: python-zeroconf does not enumerate interfaces itself
(it takes ifaddr's list, which is a peer here). The compiled modules
(docs/compiled.md: the DNS codec and the mDNS engine) are not on the measured
path (netlink), so lanwise's two paths run the same code here.

Run: .venv/bin/python bench/interfaces.py [--rounds N] [--inner N] [--no-netns]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import ifaddr
import psutil

from lanwise.interfaces import list_interfaces

VETH_PAIRS = 32


def _psutil() -> object:
    return psutil.net_if_addrs(), psutil.net_if_stats()


def _per_call(func: Callable[[], object], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        func()
    return (time.perf_counter() - start) / inner


def measure(rounds: int, inner: int) -> dict[str, float]:
    """Median seconds per enumeration of each contender, here (this namespace)."""
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
    for func in contenders.values():  # warm up imports and caches alike
        _per_call(func, 20)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, func in contenders.items():
            samples[name].append(_per_call(func, inner))
    times = {name: statistics.median(values) for name, values in samples.items()}
    for name, seconds in times.items():
        print(f"  {name:8} {seconds * 1e6:9.1f} µs per enumeration")
    return times


def _ratios(times: dict[str, float], prefix: str) -> dict[str, float]:
    return {
        f"{prefix}_vs_ifaddr_ratio": times["lanwise"] / times["ifaddr"],
        f"{prefix}_vs_psutil_ratio": times["lanwise"] / times["psutil"],
    }


def _in_scratch_namespace(rounds: int, inner: int) -> dict[str, float]:
    """Re-run this script inside a namespace with 2 × VETH_PAIRS veth interfaces."""
    netns = f"lwbench{os.getpid()}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        commands = ["link set lo up"]
        for n in range(VETH_PAIRS):
            commands.append(f"link add va{n} type veth peer name vb{n}")
            for side, host in (("a", 1), ("b", 2)):
                commands.append(f"addr add 10.{n}.0.{host}/24 broadcast + dev v{side}{n}")
                commands.append(f"addr add fd00:{n:x}::{host}/64 dev v{side}{n} nodad")
                commands.append(f"link set v{side}{n} up")
        subprocess.run(
            ["ip", "-n", netns, "-batch", "-"], input="\n".join(commands), text=True, check=True
        )
        time.sleep(0.5)  # let IPv6 link-local addresses appear
        done = subprocess.run(
            ["ip", "netns", "exec", netns, sys.executable, __file__, "--no-netns",
             "--rounds", str(rounds), "--inner", str(max(1, inner // 10))],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        subprocess.run(["ip", "netns", "del", netns], check=False)
    lines = done.stdout.strip().splitlines()
    print("\n".join(f"  [netns] {line}" for line in lines[:-1]))
    return {k: float(v) for k, v in (item.split("=") for item in lines[-1].split()[1:])}


def main() -> None:
    parser = argparse.ArgumentParser(
        description="interface enumeration: lanwise vs ifaddr vs psutil"
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--inner", type=int, default=200)
    parser.add_argument("--no-netns", action="store_true", help="skip the 64-interface namespace")
    args = parser.parse_args()

    result = _ratios(measure(args.rounds, args.inner), "enumerate")
    can_netns = os.geteuid() == 0 and shutil.which("ip") is not None
    if not args.no_netns and can_netns:
        print(f"in a scratch namespace with {2 * VETH_PAIRS} veth interfaces:")
        inner = _in_scratch_namespace(args.rounds, args.inner)
        result |= {k.replace("enumerate", "enumerate64", 1): v for k, v in inner.items()}
    print("RESULT " + " ".join(f"{k}={v:.3f}" for k, v in result.items()))


if __name__ == "__main__":
    main()
