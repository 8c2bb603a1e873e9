"""Receive-path cost of the mDNS stack in the lab: lanwise against python-zeroconf.

Needs root (it builds a lab of network namespaces, see tests/harness).

A responder host runs one stack (lanwise's ``open_mdns``, or python-zeroconf's
``AsyncZeroconf``), each with one registered service. Once it has announced, it
measures its own process CPU time over an idle window, then over an equal
window while another host multicasts N queries for a name nobody owns (the
common case on a busy LAN: parse, find nothing to answer, drop). CPU time per
received query = (busy - idle) / N. Each stack runs in a fresh Python process
on its own lab host.

Four receivers, one after the other (bench/paths.py): lanwise compiled and
pure (``LANWISE_NO_EXTENSIONS=1``), python-zeroconf's wheel (compiled with
Cython) and a pure-Python copy of the same version; the output names each build.

Run: sudo .venv/bin/python -m bench.mdns_receive [--queries N]
The last line is ``RESULT lanwise_us_per_query=… pure_lanwise_us_per_query=…
zeroconf_us_per_query=… pure_zeroconf_us_per_query=… receive_vs_zeroconf_ratio=…
receive_vs_pure_zeroconf_ratio=… pure_receive_vs_zeroconf_ratio=…
pure_receive_vs_pure_zeroconf_ratio=…`` (ratio: lanwise CPU / python-zeroconf CPU
per query; below 1 means lanwise is cheaper). ``…_vs_zeroconf`` is the compiled
zeroconf, ``…_vs_pure_zeroconf`` the pure one; a ``pure_`` prefix marks the pure
lanwise path, no prefix the compiled one.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path[:0] = [str(REPO / "src"), str(REPO)]

from bench import paths  # noqa: E402
from tests.harness import Host, Lab, lab_unusable_reason  # noqa: E402
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf  # noqa: E402

from lanwise.dns import Message, Name, Question, RRType, build_message  # noqa: E402
from lanwise.mdns.registration import ServiceRecords  # noqa: E402
from lanwise.mdns.sockets import join_group, open_mdns_socket, send_packet_info  # noqa: E402
from lanwise.mdns.transport import open_mdns  # noqa: E402

SERVICE_TYPE = "_bench._tcp"
WINDOW = 3.0  # seconds of each measurement window
SETTLE = 2.0  # probing and both announcements are over by then (§8.1, §8.3)


def lanwise_receiver(ready: str) -> dict[str, float]:
    async def main() -> dict[str, float]:
        async with open_mdns(host_name="bench-rx") as mdns:
            await mdns.register(ServiceRecords("Bench", SERVICE_TYPE, 9), timeout=10)
            await asyncio.sleep(SETTLE)
            before = mdns.statistics().engine.packets_received
            start = time.process_time()
            await asyncio.sleep(WINDOW)
            idle = time.process_time() - start
            Path(ready).write_text("go")
            start = time.process_time()
            await asyncio.sleep(WINDOW)
            busy = time.process_time() - start
            received = mdns.statistics().engine.packets_received - before
            return {"idle": idle, "busy": busy, "received": float(received)}

    return asyncio.run(main())


def zeroconf_receiver(ready: str, address: str) -> dict[str, float]:
    async def main() -> dict[str, float]:
        aiozc = AsyncZeroconf()
        try:
            info = AsyncServiceInfo(
                f"{SERVICE_TYPE}.local.",
                f"Bench.{SERVICE_TYPE}.local.",
                port=9,
                server="bench-rx.local.",
                addresses=[socket.inet_aton(address)],
            )
            await (await aiozc.async_register_service(info))
            await asyncio.sleep(SETTLE)
            start = time.process_time()
            await asyncio.sleep(WINDOW)
            idle = time.process_time() - start
            Path(ready).write_text("go")
            start = time.process_time()
            await asyncio.sleep(WINDOW)
            busy = time.process_time() - start
            return {"idle": idle, "busy": busy, "received": float("nan")}
        finally:
            await aiozc.async_close()

    return asyncio.run(main())


def _blast(sender: Host, ready: Path, queries: int) -> None:
    """Wait for ``ready``, then multicast ``queries`` queries spread over 2 s."""
    with sender.entered():
        sock = open_mdns_socket(socket.AF_INET)
    with sock:
        index = sender.ifindex()
        join_group(sock, index)
        cmsg = [send_packet_info(socket.AF_INET, index)]
        payload = build_message(
            Message(questions=(Question(Name.from_text("_nobody._tcp.local"), RRType.PTR),))
        )
        deadline = time.monotonic() + 60
        while not ready.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the receiver never became ready")
            time.sleep(0.01)
        time.sleep(0.2)
        start = time.monotonic()
        for i in range(queries):
            due = start + 2.0 * i / queries
            while time.monotonic() < due:
                time.sleep(0.0002)
            sock.sendmsg([payload], cmsg, 0, ("224.0.0.251", 5353))


def run(stack: str, build: paths.Build, queries: int) -> dict[str, float]:
    with Lab() as lab:
        receiver, sender = lab.host("receiver"), lab.host("sender")
        ready = lab.workdir / f"ready-{stack}-{build}"
        blaster = threading.Thread(target=_blast, args=(sender, ready, queries))
        blaster.start()
        try:
            func = paths.lab_call("bench.mdns_receive", stack, build, f"{stack}_receiver")
            result: dict[str, float]
            if stack == "lanwise":
                result = receiver.call(func, str(ready), timeout=120)
            else:
                result = receiver.call(func, str(ready), str(receiver.ipv4()), timeout=120)
        finally:
            blaster.join(60)
    result["us_per_query"] = (result["busy"] - result["idle"]) / queries * 1e6
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=5000)
    args = parser.parse_args(argv)
    reason = lab_unusable_reason()
    if reason is not None:
        print(f"cannot run: {reason}")
        return 1
    builds, both = paths.lab_builds()
    print("\n".join(builds), flush=True)
    results = {
        f"{stack} {build}": run(stack, build, args.queries)
        for stack, build in paths.LAB_SIDES
        if both or (stack, build) != ("lanwise", "compiled")
    }
    for side, r in results.items():
        print(
            f"{side:17} idle {r['idle'] * 1000:7.1f} ms CPU, busy {r['busy'] * 1000:7.1f} ms CPU"
            f" for {args.queries} queries (received {r['received']:.0f}):"
            f" {r['us_per_query']:.1f} µs/query"
        )
    prefix = {"compiled": "", "pure": "pure_"}
    builds_: tuple[paths.Build, ...] = ("compiled", "pure")
    lanwise = {
        p: {"receive": results[f"lanwise {p}"]["us_per_query"]}
        for p in builds_
        if f"lanwise {p}" in results
    }
    zc = {p: {"receive": results[f"zeroconf {p}"]["us_per_query"]} for p in builds_}
    figures = {f"{prefix[p]}lanwise_us_per_query": v["receive"] for p, v in lanwise.items()}
    figures |= {f"{prefix[p]}zeroconf_us_per_query": v["receive"] for p, v in zc.items()}
    ratios = paths.ratios(
        lanwise,
        zc,
        ["receive"],
        names=("zeroconf", "pure_zeroconf"),
        both=both,
    )
    print(
        "RESULT "
        + " ".join(f"{k}={v:.2f}" for k, v in figures.items())
        + " "
        + " ".join(f"{k}={v:.3f}" for k, v in ratios.items())
    )
    return 0


if __name__ == "__main__":
    # Host.call pickles functions by module: make them importable as bench.mdns_receive.
    import bench.mdns_receive as _self

    for _name in ("lanwise_receiver", "zeroconf_receiver"):
        globals()[_name] = getattr(_self, _name)
    sys.exit(main())
