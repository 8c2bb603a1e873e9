"""The Matter DNS-SD profile against lanwise-published nodes: a correctly formed
node passes every Matter check; a deliberately broken node fails each of them,
each on its own fault. Both run side by side on LANs of their own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Sequence

import pytest

from lanwise.conformance import MATTER_CATALOGUE, Outcome, Report
from lanwise.mdns.registration import ServiceRecords
from lanwise.mdns.transport import open_mdns
from tests.harness import Host, Lab
from tests.lab.conformance.targets import run_suite

pytestmark = pytest.mark.lab

FABRIC = "B7322C948581262F"
COMMON = (b"SII=5000", b"SAI=300", b"SAT=4000", b"T=0")


def _correct() -> list[ServiceRecords]:
    txt = (b"D=3840", b"VP=65521+32769", b"CM=1", b"DT=257", b"DN=Kitchen Light", b"PH=33")
    return [
        ServiceRecords(
            "DD200C20D25AE5F7",
            "_matterc._udp",
            5540,
            txt=txt + COMMON,
            subtypes=("_L3840", "_S15", "_V65521", "_T257", "_CM"),
        ),
        ServiceRecords(
            f"{FABRIC}-0000000012344321",
            "_matter._tcp",
            5540,
            txt=COMMON,
            subtypes=(f"_I{FABRIC}",),
        ),
    ]


def _broken() -> list[ServiceRecords]:
    # M1: lowercase instance name. M4: DN of 40 bytes. M2: no _V subtype
    # although VP names a vendor. M5: CM=1 without _CM. M3: a second instance
    # under the same _L840 subtype. M9: SII, SAT out of range, T's reserved bit.
    txt = (b"D=840", b"VP=65521", b"CM=1", b"DN=" + b"x" * 40)
    bad_common = (b"SII=4000000", b"SAI=300", b"SAT=70000", b"T=1")
    return [
        ServiceRecords(
            "dd200c20d25ae5f7",
            "_matterc._udp",
            5540,
            txt=txt + bad_common,
            subtypes=("_L840", "_S3"),
        ),
        ServiceRecords(
            "EE200C20D25AE5F8",
            "_matterc._udp",
            5541,
            txt=(b"D=840", b"CM=0"),
            subtypes=("_L840", "_S3"),
        ),
        # M6: not <16 hex>-<16 hex>; M10: a good name without its _I subtype.
        ServiceRecords("b7322c948581262f-12344321", "_matter._tcp", 5540, txt=COMMON),
        ServiceRecords(f"{FABRIC}-0000000000000099", "_matter._tcp", 5542, txt=COMMON),
    ]


class Node:
    """A lanwise responder publishing ``services`` under ``host_name``."""

    def __init__(self, host: Host, host_name: str, services: Sequence[ServiceRecords]) -> None:
        self.host = host
        ready = threading.Event()
        self._stop: asyncio.Event | None = None

        async def serve() -> None:
            self._stop = asyncio.Event()
            async with open_mdns(host_name=host_name) as mdns:
                for service in services:
                    mdns.register_nowait(service)
                ready.set()
                await self._stop.wait()

        self._future = host.submit(serve())
        ready.wait(10)

    def stop(self) -> None:
        stop = self._stop
        assert stop is not None
        self.host.loop.call_soon_threadsafe(stop.set)
        self._future.result(10)


def test_matter_profile_on_a_correct_and_a_broken_node(lab: Lab) -> None:
    good_lan, bad_lan = lab.lan(), lab.lan()
    good, good_tester = lab.host("good", [good_lan]), lab.host("good-tester", [good_lan])
    bad, bad_tester = lab.host("bad", [bad_lan]), lab.host("bad-tester", [bad_lan])
    # M8: the broken node's host has no IPv6, so it publishes no AAAA.
    bad.run("sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=1")
    nodes = [Node(good, "B75AFB458ECD", _correct()), Node(bad, "b75afb458ecd-node", _broken())]
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = [
                pool.submit(
                    run_suite, good_tester, "B75AFB458ECD.local", service=None, profile="matter"
                ),
                pool.submit(
                    run_suite, bad_tester, "b75afb458ecd-node.local", service=None, profile="matter"
                ),
            ]
            reports: list[Report] = [f.result(120) for f in futures]
    finally:
        for node in nodes:
            node.stop()
    for report in reports:
        print(report.text())
    correct, broken = reports
    ids = [c.id for c in MATTER_CATALOGUE]
    for id in ids:
        assert correct.tests[id].result is Outcome.PASS, correct.tests[id].line()
    assert not correct.failed, correct.text()
    for id in ids:
        assert broken.tests[id].result is Outcome.FAIL, broken.tests[id].line()
    assert "40 bytes" in broken.tests["M4"].detail
    assert "_V65521" in broken.tests["M2"].detail
    assert "2 PTRs" in broken.tests["M3"].detail
    assert "_CM subtype is missing" in broken.tests["M5"].detail
