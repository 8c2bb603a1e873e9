"""Codec benchmark: lanwise.dns against python-zeroconf, compiled and pure Python.

The reference packet is a DNS-SD response of 487 octets: four instances,
each with PTR + SRV + TXT + A, names compressed. lanwise builds it; then in
one run we time

- lanwise parse  = parse_message(packet) (every record decoded)
- lanwise build  = MessageBuilder + add_answer x16 + to_wire()
- zeroconf parse = DNSIncoming(packet).answers() (forces every record)
- zeroconf build = DNSOutgoing + add_answer_at_time x16 + packets()

for the installed zeroconf wheel (compiled with Cython) and for a pure-Python
copy of the same version (bench/paths.py builds it once under .venv/lanwise-bench/),
and for both lanwise paths: the one this process imports (compiled where the
build made it, pure Python with ``LANWISE_NO_EXTENSIONS=1``; docs/compiled.md)
and the other one, in a subprocess, as the pure zeroconf. The output names the
build each side ran. Each figure is the best (min) over 10 interleaved rounds of
3 repeats of 2000 calls, in µs.

Run: .venv/bin/python bench/codec.py [--quick]
The last line is ``RESULT parse_vs_compiled_ratio=… build_vs_compiled_ratio=…
parse_vs_pure_ratio=… build_vs_pure_ratio=… pure_parse_vs_compiled_ratio=…
pure_build_vs_compiled_ratio=… pure_parse_vs_pure_ratio=… pure_build_vs_pure_ratio=…``:
lanwise time / zeroconf time (below 1: lanwise faster); ``…_vs_compiled`` and
``…_vs_pure`` name the zeroconf build, a ``pure_`` prefix the pure lanwise path
(without it, the compiled lanwise).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for _path in (str(REPO / "src"), str(REPO)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import zeroconf  # noqa: E402
from bench import paths  # noqa: E402
from zeroconf._dns import DNSAddress, DNSPointer, DNSService, DNSText  # noqa: E402
from zeroconf._protocol import incoming  # noqa: E402
from zeroconf._protocol.incoming import DNSIncoming  # noqa: E402
from zeroconf._protocol.outgoing import DNSOutgoing  # noqa: E402

from lanwise.dns import PTR, SRV, TXT, A, MessageBuilder, Name, Record, parse_message  # noqa: E402
from lanwise.dns.rdata import _clear_caches  # noqa: E402

PACKET_SIZE = 487
INSTANCES = 4
SERVICE = "_ipp._tcp.local"
FLAGS = 0x8400  # QR | AA, an mDNS response (RFC 6762 §18.2, §18.4)
PTR_TTL, HOST_TTL, OTHER_TTL = 4500, 120, 4500  # RFC 6762 §10
# TXT strings chosen so that the whole packet is PACKET_SIZE octets.
TXT_STRINGS = (b"txtvers=1", b"path=/index", b"model=LW-100")


def reference_records() -> list[tuple[str, str, Any]]:
    """(kind, owner, data) of the 16 answers, in packet order, library-neutral."""
    out: list[tuple[str, str, Any]] = []
    for i in range(INSTANCES):
        instance = f"Device {i + 1}.{SERVICE}"
        host = f"device-{i + 1}.local"
        out.append(("PTR", SERVICE, instance))
        out.append(("SRV", instance, (0, 0, 8080 + i, host)))
        out.append(("TXT", instance, TXT_STRINGS))
        out.append(("A", host, f"192.168.1.{10 + i}"))
    return out


# --------------------------------------------------------------------------- timing
def best_of(func: Callable[[], object], number: int, repeat: int) -> float:
    """Best (min) time per call in µs over ``repeat`` runs of ``number`` calls."""
    best = float("inf")
    perf = time.perf_counter
    for _ in range(repeat):
        start = perf()
        for _ in range(number):
            func()
        best = min(best, perf() - start)
    return best / number * 1e6


# --------------------------------------------------------------------------- lanwise
def lanwise_records() -> list[Any]:
    records = []
    for kind, owner, data in reference_records():
        name = Name(owner)  # no dots inside the instance labels here, so text form is exact
        if kind == "PTR":
            records.append(Record.of(name, PTR(Name(data)), PTR_TTL))
        elif kind == "SRV":
            prio, weight, port, host = data
            srv = SRV(prio, weight, port, Name(host))
            records.append(Record.of(name, srv, HOST_TTL, cache_flush=True))
        elif kind == "TXT":
            records.append(Record.of(name, TXT(data), OTHER_TTL, cache_flush=True))
        else:
            records.append(Record.of(name, A(IPv4Address(data)), HOST_TTL, cache_flush=True))
    return records


def lanwise_build(records: list[Any]) -> bytes:
    builder = MessageBuilder(flags=FLAGS)
    add = builder.add_answer
    for record in records:
        add(record)
    return builder.to_wire()


def time_lanwise(packet: bytes, number: int, repeat: int) -> dict[str, float]:
    records = lanwise_records()
    parsed = parse_message(packet)
    assert len(parsed.answers) == 4 * INSTANCES
    assert lanwise_build(records) == packet

    def parse_cold() -> object:
        # The decoders share rdata and Name objects across packets; this variant
        # empties those caches first, to show what a never-seen packet costs.
        _clear_caches()
        return parse_message(packet)

    return {
        "parse": best_of(lambda: parse_message(packet), number, repeat),
        "build": best_of(lambda: lanwise_build(records), number, repeat),
        "parse_cold": best_of(parse_cold, number, repeat) - best_of(_clear_caches, number, repeat),
    }


# --------------------------------------------------------------------------- zeroconf
def time_zeroconf(packet: bytes, number: int, repeat: int) -> dict[str, Any]:
    """Time python-zeroconf on the same packet and records (whichever build is importable)."""
    class_in, unique = 1, 0x8000
    records: list[Any] = []
    for kind, owner, data in reference_records():
        if kind == "PTR":
            records.append(DNSPointer(owner, 12, class_in, PTR_TTL, data))
        elif kind == "SRV":
            prio, weight, port, host = data
            records.append(
                DNSService(owner, 33, class_in | unique, HOST_TTL, prio, weight, port, host)
            )
        elif kind == "TXT":
            text = b"".join(bytes((len(s),)) + s for s in data)
            records.append(DNSText(owner, 16, class_in | unique, OTHER_TTL, text))
        else:
            packed = IPv4Address(data).packed
            records.append(DNSAddress(owner, 1, class_in | unique, HOST_TTL, packed))

    def parse() -> list[Any]:
        answers: list[Any] = DNSIncoming(packet).answers()
        return answers

    def build() -> list[bytes]:
        out = DNSOutgoing(FLAGS)
        for record in records:
            out.add_answer_at_time(record, 0)
        packets: list[bytes] = out.packets()
        return packets

    parsed = parse()
    assert len(parsed) == 4 * INSTANCES, parsed
    built = build()
    assert len(built) == 1
    return {
        "parse": best_of(parse, number, repeat),
        "build": best_of(build, number, repeat),
        "version": zeroconf.__version__,
        "incoming_module": incoming.__file__,
        "built_hex": built[0].hex(),
    }


def lanwise_round(packet_hex: str, number: int, repeat: int) -> dict[str, float]:
    """:func:`time_lanwise` with JSON arguments (bench.paths workers call it)."""
    return time_lanwise(bytes.fromhex(packet_hex), number, repeat)


def zeroconf_round(packet_hex: str, number: int, repeat: int) -> dict[str, Any]:
    """:func:`time_zeroconf` with JSON arguments (bench.paths workers call it)."""
    return time_zeroconf(bytes.fromhex(packet_hex), number, repeat)


def keep_best(best: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Merge one round into the best so far: the minimum of every timing."""
    if best is None:
        return new
    timings = ("parse", "build", "parse_cold")
    return {**best, **{key: min(best[key], new[key]) for key in timings if key in new}}


# --------------------------------------------------------------------------- main
def main() -> int:
    quick = "--quick" in sys.argv
    number, repeat, rounds = (300, 2, 2) if quick else (2000, 3, 10)
    packet = lanwise_build(lanwise_records())
    if len(packet) != PACKET_SIZE:
        raise SystemExit(f"reference packet is {len(packet)} octets, expected {PACKET_SIZE}")

    lanwise: dict[paths.Build, dict[str, Any]] = {}
    zc: dict[paths.Build, dict[str, Any]] = {}
    with paths.Sides("bench.codec") as sides:
        order: list[paths.Build] = ["compiled", "pure"]
        for _ in range(rounds):
            for path in order:
                row = sides.lanwise(path, "lanwise_round", packet.hex(), number, repeat)
                key = path if sides.both else "pure"
                lanwise[key] = keep_best(lanwise.get(key), row)
                theirs = sides.zeroconf(path, "zeroconf_round", packet.hex(), number, repeat)
                zc[path] = keep_best(zc.get(path), theirs)
            order.reverse()  # neither side always first
        builds = sides.builds()
    for row in zc.values():
        if bytes.fromhex(row["built_hex"]) != packet:
            raise SystemExit("zeroconf built different octets from the same records")

    print(f"reference packet: {len(packet)} octets, {4 * INSTANCES} answers")
    print("\n".join(builds))
    print("zeroconf (both builds) builds the same 487 octets from the same records")
    print(f"{'':24}{'parse µs':>10}{'build µs':>10}{'cold parse µs':>15}")
    for label, row in (
        *((f"lanwise {path}", row) for path, row in lanwise.items()),
        ("zeroconf compiled", zc["compiled"]),
        ("zeroconf pure Python", zc["pure"]),
    ):
        cold = f"{row['parse_cold']:15.2f}" if "parse_cold" in row else ""
        print(f"{label:24}{row['parse']:10.2f}{row['build']:10.2f}{cold}")
    print(
        "(cold parse: lanwise's rdata and name caches emptied before every packet,"
        " what a never-seen packet costs)"
    )
    result = paths.ratios(lanwise, zc, ["parse", "build"], both=len(lanwise) == 2)
    print("RESULT " + " ".join(f"{key}={value:.3f}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
