"""The conformance suite against lanwise's own responder: every MUST passes."""

from __future__ import annotations

import pytest

from lanwise.conformance import CATALOGUE, Outcome
from tests.lab import Lab
from tests.labtests.conformance.targets import LanwiseTarget, run_suite
from tests.labtests.mdns.util import wait_ipv6_ready

pytestmark = pytest.mark.lab


def test_lanwise_responder_passes_every_must(lab: Lab) -> None:
    dut, tester = lab.host("dut"), lab.host("tester")
    wait_ipv6_ready(dut, tester)
    target = LanwiseTarget(dut)
    target.start()
    try:
        report = run_suite(tester, "dut.local", subtypes=("_printer",), restart=target.restart)
    finally:
        target.stop()
    print(report.text())
    assert [r.id for r in report.ordered()] == [c.id for c in CATALOGUE]
    failed = [r.line() for r in report.ordered() if r.result is Outcome.FAIL]
    assert not failed, "\n".join(failed)
    warned = [r.line() for r in report.ordered() if r.result is Outcome.WARN]
    assert not warned, "\n".join(warned)
    assert report.facts["seconds"] < 90
