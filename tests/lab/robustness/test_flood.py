"""Query and cache floods against a lanwise responder (RFC 6762 §6.2).

Several lab hosts multicast queries as fast as the lab sustains (capped, and
stopping by themselves); the responder, a separate ``lanwise publish`` process,
must never multicast a record more than once a second per interface and IP
version, must answer every distinct legitimate question, and its memory (RSS)
must stay flat. The suite runs FLOOD_SECONDS (5 s); docs/conformance.md has a
10 s run's figures (LANWISE_FLOOD_SECONDS=10).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections import defaultdict

import pytest

from lanwise.conformance.wire import Wire
from lanwise.dns import SRV, Name, RRType
from lanwise.interfaces import get_interface
from tests.harness import Host, Lab
from tests.lab.mdns.util import wait_ipv6_ready

pytestmark = pytest.mark.lab

FLOOD_SECONDS = float(os.environ.get("LANWISE_FLOOD_SECONDS", "5"))
MAX_RATE = 4000  # queries per second per flooder; the cap keeps the shared machine usable
INSTANCE = Name.from_labels(("Flood Target", "_flood", "_tcp", "local"))
STYPE = Name("_flood._tcp.local")


def _rss_kib(host: Host, pid: int) -> int:
    status = host.run("cat", f"/proc/{pid}/status").stdout
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _python_pid(host: Host, marker: str) -> int:
    out = host.run("pgrep", "-f", marker).stdout.split()
    pids = [int(p) for p in out]
    # `ip netns exec` execs the command, so the newest match is the interpreter.
    return max(pids)


@pytest.mark.serial  # a flood burns CPU; rate limits are timed
def test_query_flood_respects_rate_limit_answers_all_and_keeps_memory_flat(lab: Lab) -> None:
    dut = lab.host("dut")
    tester = lab.host("tester")
    flooders = [lab.host(f"f{i}") for i in range(3)]
    wait_ipv6_ready(dut, tester)
    dut.popen(
        sys.executable, "-m", "lanwise", "publish", "Flood Target", "_flood._tcp", "9", "k=v", "-4"
    )
    with tester.entered():
        iface = get_interface("eth0")
        wire = Wire(iface.index, iface.ipv4_addresses[0].address, ipv6=False)  # type: ignore[arg-type]
    with wire:
        srv = wire.wait_for(
            lambda p: (
                p.message is not None
                and p.message.is_response
                and any(r.name == INSTANCE and r.rtype == RRType.SRV for r in p.message.answers)
            ),
            0.0,
            15.0,
        )
        assert srv is not None and srv.message is not None, "the target never announced"
        host_name = next(r.rdata.target for r in srv.message.answers if isinstance(r.rdata, SRV))
        time.sleep(2.5)  # announcements done
        pid = _python_pid(dut, "lanwise publish Flood Target")
        rss_before = _rss_kib(dut, pid)
        questions = [
            (INSTANCE, RRType.SRV),
            (INSTANCE, RRType.TXT),
            (INSTANCE, RRType.ANY),
            (STYPE, RRType.PTR),
            (Name("_services._dns-sd._udp.local"), RRType.PTR),
            (host_name, RRType.A),
        ]
        args = [f"{n}:{t}" for n, t in questions]
        start = time.monotonic()
        procs = [
            f.popen(
                sys.executable,
                "-m",
                "tests.lab.robustness.flooder",
                "eth0",
                str(FLOOD_SECONDS),
                str(MAX_RATE),
                *args,
                stdout=-1,
                text=True,
            )
            for f in flooders
        ]
        sent = 0
        for proc in procs:
            out, _ = proc.communicate(timeout=FLOOD_SECONDS + 30)
            sent += int(out.split()[0])
        end = time.monotonic()
        time.sleep(1.0)
        rss_after = _rss_kib(dut, pid)
        responses = [
            p
            for p in wire.since(start)
            if p.source == dut.ipv4() and p.message is not None and p.message.is_response
        ]
    times: dict[tuple[object, ...], list[float]] = defaultdict(list)
    answered: set[tuple[Name, int]] = set()
    for p in responses:
        assert p.message is not None
        for r in p.message.answers:
            times[r.key].append(p.time)
            answered.add((r.name, r.rtype))
            answered.add((r.name, RRType.ANY))
    gaps = [b - a for ts in times.values() for a, b in itertools.pairwise(ts)]
    print(
        f"flood: {sent} queries in {end - start:.1f}s ({sent / (end - start):.0f}/s) "
        f"from {len(flooders)} hosts; {len(responses)} responses; "
        f"min gap {min(gaps) if gaps else None}; RSS {rss_before} -> {rss_after} KiB"
    )
    assert sent > 1000 * FLOOD_SECONDS
    # §6.2: at most once a second per record per interface (a little slack for
    # the capture thread's timestamps).
    assert gaps and min(gaps) >= 0.95
    # Every distinct legitimate question answered at least once.
    assert all((n, t) in answered for n, t in questions), answered
    # No more responses than one per record-second (no answer storm).
    assert len(responses) <= len(questions) * (end - start + 2) * 2
    # Memory flat: under 4 MiB of growth after thousands of queries.
    assert rss_after - rss_before < 4096
