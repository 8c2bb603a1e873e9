"""A flood of truncated (TC) queries keeps the responder's memory flat (issue 17, item 4).

RFC 6762 §7.2: a query with the TC bit makes a responder wait 400–500 ms for
the rest of the known answers, and every later query from the same source
joins that wait. One lab host multicasts TC queries, each listing 30 known
answers that are new in every packet, as fast as the lab sustains (capped)
for a few seconds at a ``lanwise publish`` process on another host: its RSS
must stay flat, and it must keep answering.
"""

from __future__ import annotations

import sys
import time

import pytest

from lanwise.dns import Name, RRType
from tests.harness import Lab
from tests.lab.robustness.test_flood import _python_pid, _rss_kib

pytestmark = pytest.mark.lab

FLOOD_SECONDS = 4.0
MAX_RATE = 3000  # TC queries per second (the flooder builds 30 known answers per packet)
STYPE = Name("_tcflood._tcp.local")


def test_a_tc_query_flood_keeps_memory_flat(lab: Lab) -> None:
    dut, flooder = lab.host("dut"), lab.host("flooder")
    dut.popen(sys.executable, "-m", "lanwise", "publish", "TC Target", "_tcflood._tcp", "9", "-4")
    time.sleep(3.5)  # probed and announced (§8.1, §8.3)
    pid = _python_pid(dut, "lanwise publish TC Target")
    rss_before = _rss_kib(dut, pid)
    proc = flooder.popen(
        sys.executable,
        "-m",
        "tests.lab.robustness.flooder",
        "--tc",
        "eth0",
        str(FLOOD_SECONDS),
        str(MAX_RATE),
        f"{STYPE}:{int(RRType.PTR)}",
        stdout=-1,
        text=True,
    )
    out, _ = proc.communicate(timeout=FLOOD_SECONDS + 30)
    sent = int(out.split()[0])
    time.sleep(1.0)
    rss_after = _rss_kib(dut, pid)
    # Still answering: a plain lookup from another host finds the service.
    found = flooder.lanwise("resolve", "TC Target", "_tcflood._tcp", "-4", "--timeout", "3")
    print(f"TC flood: {sent} queries in {FLOOD_SECONDS} s; RSS {rss_before} -> {rss_after} KiB")
    assert sent > 500 * FLOOD_SECONDS
    assert rss_after - rss_before < 4096  # under 4 MiB of growth
    assert found.returncode == 0, found.stderr
