"""Responder throughput: queries answered per second on one core, lanwise against python-zeroconf.

Both stacks hold the same 20 services (SRV, TXT, PTR, the host's A) and take the
same pre-built query packets, a LAN's everyday mix, one round = six packets:
QM PTR browse, QM SRV, QU TXT, a legacy-unicast A query (source port 49152,
§6.7), QM ANY for an instance, QM ``_services._dns-sd._udp`` enumeration.
No sockets on the measured path; CPU time of this process (``time.process_time``).

- lanwise: ``Engine.receive`` → timers (the 20-120 ms shared delay, §6) →
  ``datagrams_to_send``; the clock steps 1.01 s per round so §6.2's
  once-a-second rule never silences an answer.
- python-zeroconf: ``DNSIncoming`` → ``QueryHandler.async_response`` → its
  outgoing messages (unicast and multicast) built to ``packets()``; its send
  queues left out. Its ``Zeroconf`` is bound to 127.0.0.1 and the services go
  straight into its registry.

Four sides in one run (bench/paths.py), best of three interleaved rounds: both
lanwise paths (the one this process imports, the other in a subprocess)
against the installed zeroconf wheel (compiled with Cython) and the same
version as pure Python in a subprocess; the output names each build.

Run: .venv/bin/python bench/responder.py [--rounds N]
Last line: ``RESULT queries_per_s=… pure_queries_per_s=… zeroconf_queries_per_s=…
pure_zeroconf_queries_per_s=… responder_cpu_vs_zeroconf_ratio=…
responder_cpu_vs_pure_zeroconf_ratio=… pure_responder_cpu_vs_zeroconf_ratio=…
pure_responder_cpu_vs_pure_zeroconf_ratio=…`` (ratio: lanwise CPU time /
python-zeroconf CPU time for the same queries; below 1: lanwise faster).
``…_vs_zeroconf`` is the compiled zeroconf, ``…_vs_pure_zeroconf`` the pure one;
a ``pure_`` prefix marks the pure lanwise path, no prefix the compiled one.
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
for _path in (str(REPO / "src"), str(REPO)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench import paths  # noqa: E402
from zeroconf import ServiceInfo, Zeroconf  # noqa: E402
from zeroconf._handlers.answers import (  # noqa: E402
    construct_outgoing_multicast_answers,
    construct_outgoing_unicast_answers,
)
from zeroconf._handlers.query_handler import QueryHandler  # noqa: E402
from zeroconf._protocol.incoming import DNSIncoming  # noqa: E402

from lanwise.dns import Message, Name, Question, RRType, build_message  # noqa: E402
from lanwise.mdns.endpoints import EngineEndpoint  # noqa: E402
from lanwise.mdns.engine import Engine  # noqa: E402
from lanwise.mdns.registration import ServiceRecords  # noqa: E402

SERVICES = 20
STYPE = "_resp._tcp"
ADDRESS = "192.168.7.10"
INDEX = 2
PEER = IPv4Address("192.168.7.99")
MDNS = EngineEndpoint(PEER, 5353)
LEGACY = EngineEndpoint(PEER, 49152)


def round_packets(k: int) -> list[tuple[bytes, bool]]:
    """One round of queries (wire bytes, legacy?), about instance ``k``."""
    instance = Name.from_labels((f"Service {k}", "_resp", "_tcp", "local"))

    def q(name: Name, qtype: int, *, qu: bool = False, id: int = 0) -> bytes:
        question = Question(name, qtype, unicast_response=qu)
        return build_message(Message(id=id, questions=(question,)))

    return [
        (q(Name(f"{STYPE}.local"), RRType.PTR), False),
        (q(instance, RRType.SRV), False),
        (q(instance, RRType.TXT, qu=True), False),
        (q(Name("bench.local"), RRType.A, id=0x77), True),
        (q(instance, RRType.ANY), False),
        (q(Name("_services._dns-sd._udp.local"), RRType.PTR), False),
    ]


def workload(rounds: int) -> list[list[tuple[bytes, bool]]]:
    cache = [round_packets(k) for k in range(SERVICES)]
    return [cache[r % SERVICES] for r in range(rounds)]


def run_lanwise(rounds: list[list[tuple[bytes, bool]]]) -> tuple[float, int, int]:
    engine = Engine(host_name="bench", rng=random.Random(1))
    engine.add_interface(INDEX, [IPv4Interface(f"{ADDRESS}/24")], 0.0)
    for i in range(SERVICES):
        engine.register(ServiceRecords(f"Service {i}", STYPE, 2000 + i, (b"a=1",)), 0.0)
    while (timer := engine.get_timer()) is not None and timer < 10.0:
        engine.handle_timer(timer)
        engine.datagrams_to_send(timer)
    now = 20.0
    queries = answered = 0
    start = time.process_time()
    for packets in rounds:
        now += 1.01
        for data, legacy in packets:
            engine.receive(data, LEGACY if legacy else MDNS, INDEX, now)
            queries += 1
            answered += len(engine.datagrams_to_send(now))
        while (timer := engine.get_timer()) is not None and timer <= now + 0.6:
            engine.handle_timer(timer)
            answered += len(engine.datagrams_to_send(timer))
    return time.process_time() - start, queries, answered


def run_zeroconf(rounds: list[list[tuple[bytes, bool]]]) -> tuple[float, int, int]:
    zc = Zeroconf(interfaces=["127.0.0.1"])
    try:
        for i in range(SERVICES):
            zc.registry.async_add(
                ServiceInfo(
                    f"{STYPE}.local.",
                    f"Service {i}.{STYPE}.local.",
                    addresses=[socket.inet_aton(ADDRESS)],
                    port=2000 + i,
                    properties={b"a": b"1"},
                    server="bench.local.",
                )
            )
        handler = QueryHandler(zc)
        queries = answered = 0
        start = time.process_time()
        for packets in rounds:
            for data, legacy in packets:
                incoming = DNSIncoming(data)
                queries += 1
                answers = handler.async_response([incoming], legacy)
                if answers is None:
                    continue
                if answers.ucast:
                    out = construct_outgoing_unicast_answers(
                        answers.ucast, legacy, incoming.questions, incoming.id
                    )
                    answered += len(out.packets())
                for group in (
                    answers.mcast_now,
                    answers.mcast_aggregate,
                    answers.mcast_aggregate_last_second,
                ):
                    if group:
                        answered += len(construct_outgoing_multicast_answers(group).packets())
        elapsed = time.process_time() - start
    finally:
        zc.close()
    return elapsed, queries, answered


def lanwise_round(rounds: int) -> list[float]:
    """:func:`run_lanwise` on ``rounds`` rounds (bench.paths workers call it)."""
    return list(run_lanwise(workload(rounds)))


def zeroconf_round(rounds: int) -> list[float]:
    """:func:`run_zeroconf` on ``rounds`` rounds (bench.paths workers call it)."""
    return list(run_zeroconf(workload(rounds)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    args = parser.parse_args()
    lanwise: dict[paths.Build, list[float]] = {}
    zc: dict[paths.Build, list[float]] = {}
    with paths.Sides("bench.responder") as sides:
        print("\n".join(sides.builds()), flush=True)
        order: list[paths.Build] = ["compiled", "pure"]
        for _ in range(3):  # best of three, interleaved: load bursts hit every side alike
            for path in order:
                key = path if sides.both else "pure"
                ours = sides.lanwise(path, "lanwise_round", args.rounds)
                theirs = sides.zeroconf(path, "zeroconf_round", args.rounds)
                lanwise[key] = min(lanwise.get(key, ours), ours)
                zc[path] = min(zc.get(path, theirs), theirs)
            order.reverse()
    for label, (seconds, queries, sent) in (
        *((f"lanwise {path}", row) for path, row in lanwise.items()),
        ("python-zeroconf compiled", zc["compiled"]),
        ("python-zeroconf pure", zc["pure"]),
    ):
        print(
            f"{label:25} {queries:.0f} queries, {sent:.0f} datagrams, {seconds:.3f} s CPU, "
            f"{queries / seconds:,.0f} queries/s"
        )
    prefix = {"compiled": "", "pure": "pure_"}
    figures = {f"{prefix[p]}queries_per_s": row[1] / row[0] for p, row in lanwise.items()}
    figures["zeroconf_queries_per_s"] = zc["compiled"][1] / zc["compiled"][0]
    figures["pure_zeroconf_queries_per_s"] = zc["pure"][1] / zc["pure"][0]
    result = paths.ratios(
        {p: {"responder_cpu": row[0]} for p, row in lanwise.items()},
        {p: {"responder_cpu": row[0]} for p, row in zc.items()},
        ["responder_cpu"],
        names=("zeroconf", "pure_zeroconf"),
        both=len(lanwise) == 2,
    )
    print(
        "RESULT "
        + " ".join(f"{k}={v:.0f}" for k, v in figures.items())
        + " "
        + " ".join(f"{k}={v:.2f}" for k, v in result.items())
    )


if __name__ == "__main__":
    main()
