"""Answer-path cost of the mDNS responder: lanwise's engine against python-zeroconf.

CPU time of this process (``time.process_time``), so other load on the machine
does not count. Both stacks hold the same services (a type with ``--services`` instances, each
SRV + TXT + an A record for the host) and answer the same query bytes: a QM
browse for the service type (PTR), the everyday question on a LAN. Measured
per query, in one process, without sockets on the measured path:

- lanwise: ``Engine.receive`` → the timer that sends the (delayed, §6) shared
  answer → ``datagrams_to_send``; time steps by 1.01 s between queries so the
  §6.2 once-per-second rule never suppresses an answer.
- python-zeroconf: ``DNSIncoming`` → ``QueryHandler.async_response`` →
  ``construct_outgoing_multicast_answers(...).packets()``, the same parse → decide
  → build steps, its send queue left out. Its ``Zeroconf`` instance is bound to
  127.0.0.1 only and the services are put straight into its registry (no probing).

Four sides in one run (bench/paths.py), best of two interleaved rounds: both
lanwise paths (the one this process imports, the other in a subprocess)
against the installed zeroconf wheel (compiled with Cython) and the same
version as pure Python in a subprocess; the output names each build.

Run: .venv/bin/python -m bench.mdns_answer [--services N] [--queries N]
The last line is ``RESULT lanwise_us_per_query=… pure_lanwise_us_per_query=…
zeroconf_us_per_query=… pure_zeroconf_us_per_query=… answer_vs_zeroconf_ratio=…
answer_vs_pure_zeroconf_ratio=… pure_answer_vs_zeroconf_ratio=…
pure_answer_vs_pure_zeroconf_ratio=…`` (ratio: lanwise time / python-zeroconf
time; below 1 means lanwise is faster). ``…_vs_zeroconf`` is the compiled
zeroconf, ``…_vs_pure_zeroconf`` the pure one; a ``pure_`` prefix marks the pure
lanwise path, no prefix the compiled one.
"""

from __future__ import annotations

import argparse
import random
import socket
import sys
import time
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path[:0] = [str(REPO / "src"), str(REPO)]

from bench import paths  # noqa: E402
from zeroconf import ServiceInfo, Zeroconf  # noqa: E402
from zeroconf._handlers.answers import construct_outgoing_multicast_answers  # noqa: E402
from zeroconf._handlers.query_handler import QueryHandler  # noqa: E402
from zeroconf._protocol.incoming import DNSIncoming  # noqa: E402

from lanwise.dns import Message, Name, Question, RRType, build_message, parse_message  # noqa: E402
from lanwise.mdns.endpoints import EngineEndpoint  # noqa: E402
from lanwise.mdns.engine import Engine  # noqa: E402
from lanwise.mdns.registration import ServiceRecords  # noqa: E402

SERVICE_TYPE = "_bench._tcp"
ADDRESS = "192.168.7.10"
PEER = EngineEndpoint(IPv4Address("192.168.7.99"), 5353)
INDEX = 2


def query_bytes() -> bytes:
    question = Question(Name(f"{SERVICE_TYPE}.local"), RRType.PTR)
    return build_message(Message(questions=(question,)))


def lanwise_us_per_query(services: int, queries: int) -> tuple[float, int]:
    engine = Engine(host_name="bench", rng=random.Random(1))
    engine.add_interface(INDEX, [IPv4Interface(f"{ADDRESS}/24")], 0.0)
    for i in range(services):
        engine.register(ServiceRecords(f"Bench {i}", SERVICE_TYPE, 1000 + i, (b"a=1",)), 0.0)
    now = 0.0
    while (timer := engine.get_timer()) is not None and timer < 10.0:
        now = timer
        engine.handle_timer(now)
        engine.datagrams_to_send(now)
    data = query_bytes()
    now = 20.0
    answered = 0
    start = time.process_time()
    for _ in range(queries):
        now += 1.01
        engine.receive(data, PEER, INDEX, now)
        while (timer := engine.get_timer()) is not None and timer <= now + 0.5:
            engine.handle_timer(timer)
            answered += len(engine.datagrams_to_send(timer))
    elapsed = time.process_time() - start
    return elapsed / queries * 1e6, answered


def zeroconf_us_per_query(services: int, queries: int) -> tuple[float, int]:
    zc = Zeroconf(interfaces=["127.0.0.1"])
    try:
        for i in range(services):
            info = ServiceInfo(
                f"{SERVICE_TYPE}.local.",
                f"Bench {i}.{SERVICE_TYPE}.local.",
                addresses=[socket.inet_aton(ADDRESS)],
                port=1000 + i,
                properties={b"a": b"1"},
                server="bench.local.",
            )
            zc.registry.async_add(info)
        handler = QueryHandler(zc)
        data = query_bytes()
        answered = 0
        start = time.process_time()
        for _ in range(queries):
            incoming = DNSIncoming(data)
            answers = handler.async_response([incoming], False)
            if answers is None:
                continue
            chosen = answers.mcast_aggregate or answers.mcast_now
            if chosen:
                answered += len(construct_outgoing_multicast_answers(chosen).packets())
        elapsed = time.process_time() - start
    finally:
        zc.close()
    return elapsed / queries * 1e6, answered


def check_same_answer(services: int) -> None:
    """Both stacks answer the browse with every instance (a sanity check, not timed)."""
    engine = Engine(host_name="bench", rng=random.Random(1))
    engine.add_interface(INDEX, [IPv4Interface(f"{ADDRESS}/24")], 0.0)
    for i in range(services):
        engine.register(ServiceRecords(f"Bench {i}", SERVICE_TYPE, 1000 + i, (b"a=1",)), 0.0)
    while (timer := engine.get_timer()) is not None and timer < 10.0:
        engine.handle_timer(timer)
        engine.datagrams_to_send(timer)
    engine.receive(query_bytes(), PEER, INDEX, 20.0)
    timer = engine.get_timer()
    assert timer is not None
    engine.handle_timer(timer)
    ptrs = {
        r.rdata
        for d in engine.datagrams_to_send(timer)
        for r in parse_message(d.data).answers
        if r.rtype == RRType.PTR
    }
    assert len(ptrs) == services, (len(ptrs), services)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--queries", type=int, default=3000)
    args = parser.parse_args()
    check_same_answer(args.services)
    lanwise: dict[paths.Build, list[float]] = {}
    zc: dict[paths.Build, list[float]] = {}
    with paths.Sides("bench.mdns_answer") as sides:
        print("\n".join(sides.builds()), flush=True)
        order: list[paths.Build] = ["compiled", "pure"]
        for _ in range(2):  # best of two, interleaved: load bursts hit every side alike
            for path in order:
                key = path if sides.both else "pure"
                ours = sides.lanwise(path, "lanwise_us_per_query", args.services, args.queries)
                theirs = sides.zeroconf(path, "zeroconf_us_per_query", args.services, args.queries)
                lanwise[key] = min(lanwise.get(key, ours), ours)
                zc[path] = min(zc.get(path, theirs), theirs)
            order.reverse()
    print(f"services={args.services} queries={args.queries}")
    for label, (us, packets) in (
        *((f"lanwise {path}", row) for path, row in lanwise.items()),
        ("python-zeroconf compiled", zc["compiled"]),
        ("python-zeroconf pure", zc["pure"]),
    ):
        print(f"{label:25} {us:8.1f} us/query ({packets:.0f} packets)")
    prefix = {"compiled": "", "pure": "pure_"}
    figures = {f"{prefix[p]}lanwise_us_per_query": row[0] for p, row in lanwise.items()}
    figures |= {f"{prefix[p]}zeroconf_us_per_query": row[0] for p, row in zc.items()}
    result = paths.ratios(
        {p: {"answer": row[0]} for p, row in lanwise.items()},
        {p: {"answer": row[0]} for p, row in zc.items()},
        ["answer"],
        names=("zeroconf", "pure_zeroconf"),
        both=len(lanwise) == 2,
    )
    print(
        "RESULT "
        + " ".join(f"{k}={v:.1f}" for k, v in figures.items())
        + " "
        + " ".join(f"{k}={v:.2f}" for k, v in result.items())
    )


if __name__ == "__main__":
    main()
