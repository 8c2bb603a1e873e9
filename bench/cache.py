"""Cache benchmark: lanwise's mDNS receive path into the cache against python-zeroconf's.

Workload: 1,000 response packets of 10 cache-flush A records each (10,000
distinct hosts, TTL 120), built once as wire bytes. Timed in one run, each
figure the best of several interleaved rounds, in ms for the whole workload:

- receive/insert: bytes → parsed message → cache, into an empty cache.
  lanwise: ``parse_message`` + ``Querier.handle_response`` (the engine's hot
  path: §10.2 cache-flush handling, refresh planning, expiry heap).
  zeroconf: ``DNSIncoming(...).answers()``, then
  ``DNSCache.async_mark_unique_records_older_than_1s_to_expire`` and
  ``DNSCache.async_add_records`` — the cache work of its
  ``RecordManager.async_updates_from_response`` (minus listener callbacks).
- receive/refresh: the same packets again, 2 s later (every record a TTL refresh).
- lookup: one A lookup per host (``RecordCache.lookup`` / ``DNSCache.get_all_by_details``).
- cache_only_insert: the insert without parsing (records parsed beforehand):
  ``RecordCache.add_response`` against zeroconf's two cache calls.

Four sides in one run (bench/paths.py): both lanwise paths (the one this
process imports, the other in a subprocess) against the installed zeroconf
wheel (compiled with Cython) and the same version as pure Python in a
subprocess; the output names each build. Every cache holds all 10,000
records (lanwise's bound is 10,000 by default).

Run: .venv/bin/python bench/cache.py [--quick]
The last line is ``RESULT insert_vs_compiled_ratio=… refresh_vs_compiled_ratio=…
lookup_vs_compiled_ratio=… cache_only_insert_vs_compiled_ratio=…`` then the same
``…_vs_pure_ratio``, then both again prefixed ``pure_`` (lanwise time / zeroconf
time; below 1: lanwise faster). ``…_vs_compiled`` and ``…_vs_pure`` name the
zeroconf build; ``pure_`` marks the pure lanwise path, no prefix the compiled one.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _path in (str(REPO / "src"), str(REPO)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench import paths  # noqa: E402

from lanwise.dns import A, Flag, MessageBuilder, Name, Record, RRType, parse_message  # noqa: E402
from lanwise.mdns.cache import RecordCache  # noqa: E402
from lanwise.mdns.querier import Querier  # noqa: E402

PACKETS = 1000
PER_PACKET = 10
TTL = 120  # RFC 6762 §10: host-name records
_TYPE_A = 1
_CLASS_IN = 1


def build_packets() -> tuple[list[bytes], list[str]]:
    packets: list[bytes] = []
    hosts: list[str] = []
    for p in range(PACKETS):
        builder = MessageBuilder(flags=Flag.QR | Flag.AA)
        for r in range(PER_PACKET):
            i = p * PER_PACKET + r
            host = f"host-{i}.local"
            hosts.append(host)
            record = Record.of(Name(host), A(IPv4Address(0x0A000000 + i)), TTL, cache_flush=True)
            assert builder.add_answer(record)
        packets.append(builder.to_wire())
    return packets, hosts


def best_of(func: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()  # the previous round's garbage is not this round's cost
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


def time_lanwise(packets: list[bytes], hosts: list[str], repeat: int) -> dict[str, float]:
    names = [Name(h) for h in hosts]

    def fill(querier: Querier, now: float) -> None:
        handle = querier.handle_response
        for data in packets:
            handle(parse_message(data), 1, now)

    warm = Querier(random.Random(1))
    fill(warm, 0.0)
    assert len(warm.cache) == len(hosts)
    clock = [0.0]

    def refresh() -> None:
        clock[0] += 2.0
        fill(warm, clock[0])

    def lookup() -> None:
        find = warm.cache.lookup
        now = clock[0]
        for name in names:
            assert find(name, RRType.A, now)

    parsed = [parse_message(data).answers for data in packets]

    def cache_only() -> None:
        cache = RecordCache(random.Random(1))
        add = cache.add_response
        for records in parsed:
            add(records, 1, 0.0)

    return {
        "insert": best_of(lambda: fill(Querier(random.Random(1)), 0.0), repeat),
        "refresh": best_of(refresh, repeat),
        "lookup": best_of(lookup, repeat),
        "cache_only_insert": best_of(cache_only, repeat),
    }


def time_zeroconf(packets: list[bytes], hosts: list[str], repeat: int) -> dict[str, float]:
    """zeroconf's cache work for the same packets (importable by the pure-Python worker)."""
    from zeroconf._cache import DNSCache  # noqa: PLC0415
    from zeroconf._protocol.incoming import DNSIncoming  # noqa: PLC0415 - worker's zeroconf

    names = [h + "." for h in hosts]

    def fill(cache: DNSCache, now_ms: float) -> None:
        for data in packets:
            answers = DNSIncoming(data, now=now_ms).answers()
            unique = {(r.name, r.type, r.class_) for r in answers if r.unique}
            cache.async_mark_unique_records_older_than_1s_to_expire(unique, answers, now_ms)
            cache.async_add_records(answers)

    warm = DNSCache()
    fill(warm, 1_000_000.0)
    clock = [0.0]

    def refresh() -> None:
        clock[0] += 2000.0
        fill(warm, 1_000_000.0 + clock[0])

    def lookup() -> None:
        get = warm.get_all_by_details
        for name in names:
            assert get(name, _TYPE_A, _CLASS_IN)

    parsed = [DNSIncoming(data, now=1_000_000.0).answers() for data in packets]

    def cache_only() -> None:
        cache = DNSCache()
        for answers in parsed:
            unique = {(r.name, r.type, r.class_) for r in answers if r.unique}
            cache.async_mark_unique_records_older_than_1s_to_expire(unique, answers, 1_000_000.0)
            cache.async_add_records(answers)

    return {
        "insert": best_of(lambda: fill(DNSCache(), 1_000_000.0), repeat),
        "refresh": best_of(refresh, repeat),
        "lookup": best_of(lookup, repeat),
        "cache_only_insert": best_of(cache_only, repeat),
    }


_WORKLOAD: list[tuple[list[bytes], list[str]]] = []


def _workload() -> tuple[list[bytes], list[str]]:
    if not _WORKLOAD:
        _WORKLOAD.append(build_packets())
    return _WORKLOAD[0]


def lanwise_round(repeat: int) -> dict[str, float]:
    """:func:`time_lanwise` on the workload (bench.paths workers call it)."""
    return time_lanwise(*_workload(), repeat)


def zeroconf_round(repeat: int) -> dict[str, float]:
    """:func:`time_zeroconf` on the workload (bench.paths workers call it)."""
    return time_zeroconf(*_workload(), repeat)


def main() -> None:
    rounds = 2 if "--quick" in sys.argv else 4
    lanwise: dict[paths.Build, dict[str, float]] = {}
    zc: dict[paths.Build, dict[str, float]] = {}
    # Rounds alternate the four so that a burst of load on this shared machine
    # hits all of them alike; each figure is the best over every round.
    with paths.Sides("bench.cache") as sides:
        builds = sides.builds()
        order: list[paths.Build] = ["compiled", "pure"]
        for _ in range(rounds):
            for path in order:
                key = path if sides.both else "pure"
                for best, new in (
                    (lanwise.setdefault(key, {}), sides.lanwise(path, "lanwise_round", 2)),
                    (zc.setdefault(path, {}), sides.zeroconf(path, "zeroconf_round", 2)),
                ):
                    for name, value in new.items():
                        best[name] = min(best.get(name, value), value)
            order.reverse()
    print("\n".join(builds))
    columns = [*(f"lanwise {p}" for p in lanwise), "zc compiled", "zc pure"]
    print(f"{'ms':18s}" + "".join(f"{c:>17s}" for c in columns))
    rows = [*lanwise.values(), zc["compiled"], zc["pure"]]
    for label in zc["compiled"]:
        print(f"{label:18s}" + "".join(f"{row[label]:17.1f}" for row in rows))
    result = paths.ratios(lanwise, zc, list(zc["compiled"]), both=len(lanwise) == 2)
    print("RESULT " + " ".join(f"{k}={v:.2f}" for k, v in result.items()))


if __name__ == "__main__":
    main()
