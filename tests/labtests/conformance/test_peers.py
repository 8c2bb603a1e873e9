"""The conformance suite against real peers: avahi-daemon and python-zeroconf.

A peer's failure is a fact to report (docs/conformance.md has the table), not a
test failure: these tests assert that the suite ran to the end with a complete
report, and the known facts about each peer (CONFORMANCE.md) where they apply.
Set LANWISE_CONFORMANCE_REPORTS to a directory to keep the JSON reports.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lanwise.conformance import CATALOGUE, Outcome, Report
from tests.lab import Host, Lab
from tests.labtests.conformance.targets import (
    AvahiTarget,
    ZeroconfTarget,
    prepare_off_link,
    run_suite,
)
from tests.labtests.mdns.util import wait_ipv6_ready

pytestmark = [pytest.mark.lab, pytest.mark.interop]


def _keep(report: Report, name: str) -> None:
    print(report.text())
    directory = os.environ.get("LANWISE_CONFORMANCE_REPORTS")
    if directory:
        Path(directory, f"{name}.json").write_text(report.dumps() + "\n")


def _cycle(host: Host) -> None:
    host.link_down()
    host.link_up()


def _complete(report: Report) -> None:
    assert [r.id for r in report.ordered()] == [c.id for c in CATALOGUE]
    ran = [r for r in report.ordered() if r.result is not Outcome.SKIP]
    assert len(ran) >= 35, report.text()


def test_avahi_daemon(lab: Lab) -> None:
    dut, tester = lab.host("dut"), lab.host("tester")
    wait_ipv6_ready(dut, tester)
    target = AvahiTarget(dut)
    target.start()
    try:
        report = run_suite(
            tester,
            "avahi-dut.local",
            subtypes=("_printer",),
            restart=target.restart,
            link_cycle=lambda: _cycle(dut),
            off_link_source=prepare_off_link(tester, dut),
            # avahi re-probes too slowly to reach 15 conflicts (docs/conformance.md)
            rate_limit=False,
        )
    finally:
        target.stop()
    _keep(report, "avahi")
    _complete(report)
    # avahi's probes are QM (its issue 546).
    assert report.tests["P2"].result is Outcome.WARN


def test_python_zeroconf(lab: Lab) -> None:
    dut, tester = lab.host("dut"), lab.host("tester")
    wait_ipv6_ready(dut, tester)
    target = ZeroconfTarget(dut)
    target.start()
    try:
        report = run_suite(
            tester,
            "zc-dut.local",
            restart=target.restart,
            link_cycle=lambda: _cycle(dut),
            off_link_source=prepare_off_link(tester, dut),
            update=target.update,
        )
    finally:
        target.stop()
    _keep(report, "zeroconf")
    _complete(report)
    # python-zeroconf probes none of its unique names (only the type's shared PTR):
    # one defect, P1, and the probe checks that depend on it are not judged. Its
    # legacy-unicast replies carry TTL 120 (CONFORMANCE.md, known facts).
    assert report.tests["P1"].result is Outcome.FAIL
    assert report.tests["P10"].depends_on == "P1"
    assert report.tests["R8"].result is Outcome.FAIL
