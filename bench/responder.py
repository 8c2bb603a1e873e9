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

Run: .venv/bin/python bench/responder.py [--rounds N]
zeroconf is timed twice: the installed wheel (compiled with Cython) and the same
version as pure Python in a subprocess (the copy bench/codec.py builds).
Last line: ``RESULT queries_per_s=… zeroconf_queries_per_s=… pure_zeroconf_queries_per_s=…
responder_cpu_vs_zeroconf_ratio=… responder_cpu_vs_pure_zeroconf_ratio=…``
(ratio: lanwise CPU time / python-zeroconf CPU time for the same queries; below 1: lanwise faster).
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

from bench.codec import pure_zeroconf_seconds  # noqa: E402
from zeroconf import ServiceInfo, Zeroconf  # noqa: E402
from zeroconf._handlers.answers import (  # noqa: E402
    construct_outgoing_multicast_answers,
    construct_outgoing_unicast_answers,
)
from zeroconf._handlers.query_handler import QueryHandler  # noqa: E402
from zeroconf._protocol import incoming as zc_incoming  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--zeroconf-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rounds = workload(args.rounds)
    if args.zeroconf_only:
        assert zc_incoming.__file__ is not None and zc_incoming.__file__.endswith(".py")
        print(min(run_zeroconf(rounds)[0] for _ in range(3)))
        return
    ours = min((run_lanwise(rounds) for _ in range(3)), key=lambda r: r[0])
    theirs = min((run_zeroconf(rounds) for _ in range(3)), key=lambda r: r[0])
    print(
        f"lanwise:         {ours[1]} queries, {ours[2]} datagrams, {ours[0]:.3f} s CPU, "
        f"{ours[1] / ours[0]:,.0f} queries/s"
    )
    print(
        f"python-zeroconf: {theirs[1]} queries, {theirs[2]} packets, {theirs[0]:.3f} s CPU, "
        f"{theirs[1] / theirs[0]:,.0f} queries/s"
    )
    pure = pure_zeroconf_seconds(__file__, ["--rounds", str(args.rounds)])
    print(f"python-zeroconf pure Python: {pure:.3f} s CPU, {theirs[1] / pure:,.0f} queries/s")
    print(
        f"RESULT queries_per_s={ours[1] / ours[0]:.0f} "
        f"zeroconf_queries_per_s={theirs[1] / theirs[0]:.0f} "
        f"pure_zeroconf_queries_per_s={theirs[1] / pure:.0f} "
        f"responder_cpu_vs_zeroconf_ratio={ours[0] / theirs[0]:.2f} "
        f"responder_cpu_vs_pure_zeroconf_ratio={ours[0] / pure:.2f}"
    )


if __name__ == "__main__":
    main()
