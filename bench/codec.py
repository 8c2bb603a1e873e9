"""Codec benchmark: lanwise.dns against python-zeroconf, compiled and pure Python.

The reference packet is a DNS-SD response of 487 octets: four instances,
each with PTR + SRV + TXT + A, names compressed. lanwise builds it; then in
one run we time

- lanwise parse  = parse_message(packet) (every record decoded)
- lanwise build  = MessageBuilder + add_answer x16 + to_wire()
- zeroconf parse = DNSIncoming(packet).answers() (forces every record)
- zeroconf build = DNSOutgoing + add_answer_at_time x16 + packets()

for the installed zeroconf wheel (compiled with Cython) and for a pure-Python
copy of the same version, which this script builds once with
``SKIP_CYTHON=1 pip install --no-binary zeroconf --no-deps --target DIR`` under
.venv/lanwise-bench/ and times in a subprocess with DIR first on sys.path.
Each figure is the best (min) over 10 interleaved rounds of 3 repeats of 2000 calls, in µs.

lanwise runs whichever path the process imports: compiled where the build made
it, pure Python with LANWISE_NO_EXTENSIONS=1 (docs/compiled.md); the output says
which.

Run: .venv/bin/python bench/codec.py [--quick]
The last line is ``RESULT parse_vs_pure_ratio=… build_vs_pure_ratio=…
parse_vs_compiled_ratio=… build_vs_compiled_ratio=…`` (lanwise time / peer
time; below 1 means lanwise is faster).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import zeroconf
from zeroconf._dns import DNSAddress, DNSPointer, DNSService, DNSText
from zeroconf._protocol import incoming
from zeroconf._protocol.incoming import DNSIncoming
from zeroconf._protocol.outgoing import DNSOutgoing

from lanwise import _extensions
from lanwise.dns import PTR, SRV, TXT, A, MessageBuilder, Name, Record, parse_message
from lanwise.dns.rdata import _clear_caches

REPO = Path(__file__).resolve().parents[1]
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


def pure_zeroconf_seconds(script: str, extra: list[str]) -> float:
    """Run ``script --zeroconf-only EXTRA`` in a subprocess against the pure-Python
    zeroconf copy (:func:`pure_zeroconf_dir`); the last word it prints is seconds."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(pure_zeroconf_dir()), str(REPO / "src"), str(REPO)]),
    )
    done = subprocess.run(
        [sys.executable, str(Path(script).resolve()), "--zeroconf-only", *extra],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return float(done.stdout.split()[-1])


def pure_zeroconf_dir() -> Path:
    """A pure-Python copy of the installed zeroconf version, built once and cached."""
    version = zeroconf.__version__
    target = REPO / ".venv" / "lanwise-bench" / f"zeroconf-{version}-pure"
    marker = target / "zeroconf" / "_protocol" / "incoming.py"
    if marker.exists() and not list((target / "zeroconf").rglob("*.so")):
        return target
    env = dict(os.environ, SKIP_CYTHON="1", REQUIRE_CYTHON="0")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-binary",
            "zeroconf",
            "--no-deps",
            "--no-cache-dir",
            "--target",
            str(target),
            f"zeroconf=={version}",
        ],
        check=True,
        env=env,
    )
    if list((target / "zeroconf").rglob("*.so")):
        raise RuntimeError(f"{target} holds compiled modules; SKIP_CYTHON was not honoured")
    return target


class PureWorker:
    """A subprocess timing the pure-Python zeroconf copy on request.

    It lives for the whole run so its measurements can be interleaved with
    the in-process ones round by round: on a shared machine, load comes in
    bursts, and interleaving plus taking the minimum keeps the ratios fair.
    """

    def __init__(self, packet: bytes) -> None:
        target = pure_zeroconf_dir()
        code = (
            "import sys, json\n"
            f"sys.path.insert(0, {str(target)!r})\n"
            f"sys.path.insert(1, {str(REPO / 'bench')!r})\n"
            "import codec\n"
            f"packet = bytes.fromhex({packet.hex()!r})\n"
            "for line in sys.stdin:\n"
            "    number, repeat = map(int, line.split())\n"
            "    print(json.dumps(codec.time_zeroconf(packet, number, repeat)), flush=True)\n"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(REPO),
        )

    def time(self, number: int, repeat: int) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{number} {repeat}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the pure-Python zeroconf worker died")
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


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

    worker = PureWorker(packet)
    lanwise = compiled = pure = None
    try:
        for _ in range(rounds):
            lanwise = keep_best(lanwise, time_lanwise(packet, number, repeat))
            compiled = keep_best(compiled, time_zeroconf(packet, number, repeat))
            pure = keep_best(pure, worker.time(number, repeat))
    finally:
        worker.close()
    assert lanwise is not None and compiled is not None and pure is not None
    if not compiled["incoming_module"].endswith(".so"):
        raise SystemExit(
            f"installed zeroconf is not the compiled build: {compiled['incoming_module']}"
        )
    if not pure["incoming_module"].endswith(".py"):
        raise SystemExit(f"pure zeroconf copy is compiled: {pure['incoming_module']}")

    lanwise_compiled = _extensions.compiled_modules()
    print(f"reference packet: {len(packet)} octets, {4 * INSTANCES} answers")
    print(f"zeroconf {compiled['version']} compiled: {compiled['incoming_module']}")
    print(f"zeroconf {pure['version']} pure:     {pure['incoming_module']}")
    for row in (compiled, pure):
        if bytes.fromhex(row["built_hex"]) != packet:
            raise SystemExit("zeroconf built different octets from the same records")
    print("zeroconf (both builds) builds the same 487 octets from the same records")
    print(f"{'':24}{'parse µs':>10}{'build µs':>10}")
    path = "compiled" if lanwise_compiled else "pure Python"
    print(f"lanwise {path}: {', '.join(lanwise_compiled) or 'LANWISE_NO_EXTENSIONS or no build'}")
    for label, row in (
        (f"lanwise ({path})", lanwise),
        ("zeroconf compiled", compiled),
        ("zeroconf pure Python", pure),
    ):
        print(f"{label:24}{row['parse']:10.2f}{row['build']:10.2f}")
    print(
        "lanwise parse with its rdata and name caches emptied each time:"
        f" {lanwise['parse_cold']:.2f} µs"
        f" (ratio to zeroconf pure {lanwise['parse_cold'] / pure['parse']:.3f})"
    )
    print(
        "RESULT"
        f" parse_vs_pure_ratio={lanwise['parse'] / pure['parse']:.3f}"
        f" build_vs_pure_ratio={lanwise['build'] / pure['build']:.3f}"
        f" parse_vs_compiled_ratio={lanwise['parse'] / compiled['parse']:.3f}"
        f" build_vs_compiled_ratio={lanwise['build'] / compiled['build']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
