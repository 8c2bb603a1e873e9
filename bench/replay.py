"""Busy-LAN replay: CPU time lanwise and python-zeroconf spend receiving the same traffic.

A trace of mDNS packets is generated once (default 60,000) as if from 300
responders and queriers on one link over 120 s (500 packets a second):
announcements (SRV, TXT, A, PTR with cache-flush on the unique records),
queries with known-answer lists (PTR browses listing what the querier already
knows, §7.1), address and instance queries, and goodbyes (TTL 0, §10.1) for a
share of the instances, which are announced again later. Both stacks hold two
services of their own (so queries reach the responder logic), browse the
busiest service type, and take every datagram on their receive path, without
sockets:

- lanwise: ``Engine.receive(data, source, ifindex, now)`` with trace time,
  draining ``datagrams_to_send`` / ``next_event`` and firing timers as the
  trace time passes them (the real driver loop, minus sockets).
- python-zeroconf: ``DNSIncoming(data)``, then responses →
  ``zc.record_manager.async_updates_from_response`` (cache + listeners, run on
  its event loop thread as it expects) and queries →
  ``QueryHandler.async_response`` (the decision what to answer); outgoing
  packets not built (its send path is socket-bound).

Timed with ``time.process_time`` (whole process, both threads), best of three
interleaved rounds. Four sides in one run (bench/paths.py): both lanwise paths
(the one this process imports, the other in a subprocess) against the
installed zeroconf wheel (compiled with Cython) and the same version as pure
Python in a subprocess; the output names each build.

Run: .venv/bin/python bench/replay.py [--packets N] [--rounds N]
Last line: ``RESULT replay_packets=… lanwise_us_per_packet=…
pure_lanwise_us_per_packet=… zeroconf_us_per_packet=… pure_zeroconf_us_per_packet=…
replay_cpu_vs_zeroconf_ratio=… replay_cpu_vs_pure_zeroconf_ratio=…
pure_replay_cpu_vs_zeroconf_ratio=… pure_replay_cpu_vs_pure_zeroconf_ratio=…``
(lanwise CPU / zeroconf CPU; below 1: lanwise faster). ``…_vs_zeroconf`` is the
compiled zeroconf, ``…_vs_pure_zeroconf`` the pure one; a ``pure_`` prefix marks
the pure lanwise path, no prefix the compiled one.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import sys
import time
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _path in (str(REPO / "src"), str(REPO)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench import paths  # noqa: E402
from zeroconf import ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf  # noqa: E402
from zeroconf._handlers.query_handler import QueryHandler  # noqa: E402
from zeroconf._protocol.incoming import DNSIncoming  # noqa: E402

from lanwise.dns import (  # noqa: E402
    PTR,
    SRV,
    TXT,
    A,
    Flag,
    Message,
    Name,
    Question,
    Record,
    RRType,
    build_message,
)
from lanwise.mdns.endpoints import EngineEndpoint  # noqa: E402
from lanwise.mdns.engine import Engine  # noqa: E402
from lanwise.mdns.registration import ServiceRecords  # noqa: E402

INDEX = 2
HOSTS = 300
TYPES = ["_http._tcp", "_ipp._tcp", "_airplay._tcp", "_googlecast._tcp", "_hap._tcp"]
DURATION = 120.0
RESPONSE = int(Flag.QR | Flag.AA)


def _peer(h: int) -> IPv4Address:
    return IPv4Address(f"10.20.{h // 250}.{1 + h % 250}")


def generate(count: int, seed: int = 7) -> list[tuple[float, bytes, IPv4Address, int]]:
    """(time, datagram, source address, source port) sorted by time."""
    rng = random.Random(seed)
    hosts: list[tuple[int, Name, Name, Name]] = []
    for h in range(HOSTS):
        type_text = TYPES[h % len(TYPES)] if h % 7 else TYPES[0]
        host = Name(f"device-{h}.local")
        instance = Name.from_labels((f"Device {h}", *type_text.split("."), "local"))
        hosts.append((h, host, instance, Name(f"{type_text}.local")))

    def records(h: int, host: Name, instance: Name, stype: Name, ttl: bool) -> list[Record]:
        t = 1 if ttl else 0
        return [
            Record.of(stype, PTR(instance), 4500 * t),
            Record.of(instance, SRV(0, 0, 8000 + h, host), 120 * t, cache_flush=True),
            Record.of(instance, TXT((b"id=%d" % h, b"v=1")), 4500 * t, cache_flush=True),
            Record.of(host, A(_peer(h)), 120 * t, cache_flush=True),
        ]

    trace: list[tuple[float, bytes, IPv4Address, int]] = []
    for i in range(count):
        now = DURATION * i / count
        h, host, instance, stype = hosts[rng.randrange(HOSTS)]
        kind = rng.random()
        if kind < 0.40:  # announcement / answer
            data = build_message(
                Message(flags=RESPONSE, answers=tuple(records(h, host, instance, stype, True)))
            )
            port = 5353
        elif kind < 0.75:  # browse with known answers (§7.1)
            qtype_name = Name(f"{TYPES[rng.randrange(len(TYPES))]}.local")
            known = tuple(
                Record.of(qtype_name, PTR(hosts[k][2]), 4500 - rng.randrange(2000))
                for k in rng.sample(range(HOSTS), rng.randrange(0, 12))
                if hosts[k][3] == qtype_name
            )
            data = build_message(
                Message(questions=(Question(qtype_name, RRType.PTR),), answers=known)
            )
            port = 5353
        elif kind < 0.90:  # instance / address queries, some legacy
            other = hosts[rng.randrange(HOSTS)]
            data = build_message(
                Message(
                    id=rng.randrange(1 << 16) if kind > 0.87 else 0,
                    questions=(Question(other[2], RRType.SRV), Question(other[1], RRType.A)),
                )
            )
            port = 5353 if kind <= 0.87 else 40000 + rng.randrange(20000)
        else:  # goodbye
            data = build_message(
                Message(flags=RESPONSE, answers=tuple(records(h, host, instance, stype, False)))
            )
            port = 5353
        trace.append((now, data, _peer(h), port))
    return trace


def run_lanwise(trace: list[tuple[float, bytes, IPv4Address, int]]) -> float:
    engine = Engine(host_name="replayer", rng=random.Random(1))
    engine.add_interface(INDEX, [IPv4Interface("10.20.9.1/16")], 0.0)
    for i in range(2):
        engine.register(ServiceRecords(f"Own {i}", "_http._tcp", 9000 + i, (b"a=1",)), 0.0)
    engine.start_query(Name("_http._tcp.local"), RRType.PTR, 0.0)
    endpoints: dict[tuple[IPv4Address, int], EngineEndpoint] = {}
    start = time.process_time()
    for at, data, address, port in trace:
        now = at + 10.0
        while (timer := engine.get_timer()) is not None and timer <= now:
            engine.handle_timer(timer)
            engine.datagrams_to_send(timer)
        source = endpoints.get((address, port))
        if source is None:
            source = endpoints[(address, port)] = EngineEndpoint(address, port)
        engine.receive(data, source, INDEX, now)
        engine.datagrams_to_send(now)
        while engine.next_event() is not None:
            pass
    elapsed = time.process_time() - start
    stats = engine.statistics()
    assert stats.internal_errors == 0 and stats.malformed_dropped == 0
    return elapsed


class _Quiet(ServiceListener):
    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None: ...
    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None: ...
    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None: ...


def run_zeroconf(trace: list[tuple[float, bytes, IPv4Address, int]]) -> float:
    zc = Zeroconf(interfaces=["127.0.0.1"])
    try:
        for i in range(2):
            zc.registry.async_add(
                ServiceInfo(
                    "_http._tcp.local.",
                    f"Own {i}._http._tcp.local.",
                    addresses=[socket.inet_aton("10.20.9.1")],
                    port=9000 + i,
                    properties={b"a": b"1"},
                    server="replayer.local.",
                )
            )
        browser = ServiceBrowser(zc, "_http._tcp.local.", _Quiet())
        handler = QueryHandler(zc)
        manager = zc.record_manager

        async def feed() -> float:
            start = time.process_time()
            for _, data, address, port in trace:
                incoming = DNSIncoming(data, (str(address), port))
                if not incoming.valid:
                    continue
                if incoming.is_query():
                    handler.async_response([incoming], port != 5353)
                else:
                    manager.async_updates_from_response(incoming)
            return time.process_time() - start

        assert zc.loop is not None
        elapsed = asyncio.run_coroutine_threadsafe(feed(), zc.loop).result(600)
        browser.cancel()
    finally:
        zc.close()
    return elapsed


_TRACES: dict[int, list[tuple[float, bytes, IPv4Address, int]]] = {}


def _trace(packets: int) -> list[tuple[float, bytes, IPv4Address, int]]:
    if packets not in _TRACES:
        _TRACES[packets] = generate(packets)
    return _TRACES[packets]


def lanwise_round(packets: int) -> float:
    """:func:`run_lanwise` on the trace of ``packets`` (bench.paths workers call it)."""
    return run_lanwise(_trace(packets))


def zeroconf_round(packets: int) -> float:
    """:func:`run_zeroconf` on the trace of ``packets`` (bench.paths workers call it)."""
    return run_zeroconf(_trace(packets))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many (default 3)")
    args = parser.parse_args()
    trace = _trace(args.packets)
    size = sum(len(d) for _, d, _, _ in trace)
    print(f"trace: {len(trace)} packets, {size / 1e6:.1f} MB, {HOSTS} peers, {DURATION:.0f} s")
    lanwise: dict[paths.Build, float] = {}
    zc: dict[paths.Build, float] = {}
    with paths.Sides("bench.replay") as sides:
        print("\n".join(sides.builds()), flush=True)
        order: list[paths.Build] = ["compiled", "pure"]
        for _ in range(args.rounds):  # interleaved: load bursts hit every side alike
            for path in order:
                key = path if sides.both else "pure"
                ours = sides.lanwise(path, "lanwise_round", args.packets)
                theirs = sides.zeroconf(path, "zeroconf_round", args.packets)
                lanwise[key] = min(lanwise.get(key, ours), ours)
                zc[path] = min(zc.get(path, theirs), theirs)
            order.reverse()
    n = len(trace)
    for label, seconds in (
        *((f"lanwise {path}", value) for path, value in lanwise.items()),
        ("python-zeroconf compiled", zc["compiled"]),
        ("python-zeroconf pure", zc["pure"]),
    ):
        print(f"{label:26} {seconds:.3f} s CPU, {seconds / n * 1e6:.1f} us/packet")
    prefix = {"compiled": "", "pure": "pure_"}
    figures = {f"{prefix[p]}lanwise_us_per_packet": v / n * 1e6 for p, v in lanwise.items()}
    figures["zeroconf_us_per_packet"] = zc["compiled"] / n * 1e6
    figures["pure_zeroconf_us_per_packet"] = zc["pure"] / n * 1e6
    result = paths.ratios(
        {p: {"replay_cpu": v} for p, v in lanwise.items()},
        {p: {"replay_cpu": v} for p, v in zc.items()},
        ["replay_cpu"],
        names=("zeroconf", "pure_zeroconf"),
        both=len(lanwise) == 2,
    )
    print(
        f"RESULT replay_packets={n} "
        + " ".join(f"{k}={v:.1f}" for k, v in figures.items())
        + " "
        + " ".join(f"{k}={v:.2f}" for k, v in result.items())
    )


if __name__ == "__main__":
    main()
