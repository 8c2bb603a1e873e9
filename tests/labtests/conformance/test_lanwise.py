"""The conformance suite against lanwise's own responder: every MUST passes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lanwise.conformance import CATALOGUE, Outcome
from tests.lab import Lab
from tests.labtests.conformance.targets import (
    SERVICE,
    LanwiseTarget,
    prepare_off_link,
    run_suite,
)
from tests.labtests.mdns.util import wait_ipv6_ready

pytestmark = pytest.mark.lab


def test_lanwise_responder_passes_every_check_it_can_run(lab: Lab) -> None:
    dut, tester = lab.host("dut"), lab.host("tester")
    wait_ipv6_ready(dut, tester)
    target = LanwiseTarget(dut)
    target.start()

    def cycle_link() -> None:
        dut.link_down()
        dut.link_up()

    try:
        report = run_suite(
            tester,
            "dut.local",
            subtypes=("_printer",),
            restart=target.restart,
            link_cycle=cycle_link,
            off_link_source=prepare_off_link(tester, dut),
            update=target.update,
            rename=target.rename,
        )
    finally:
        target.stop()
    print(report.text())
    if directory := os.environ.get("LANWISE_CONFORMANCE_REPORTS"):
        Path(directory, "lanwise.json").write_text(report.dumps() + "\n")
    assert [r.id for r in report.ordered()] == [c.id for c in CATALOGUE]
    failed = [r.line() for r in report.ordered() if r.result is Outcome.FAIL]
    assert not failed, "\n".join(failed)
    warned = [r.line() for r in report.ordered() if r.result is Outcome.WARN]
    assert not warned, "\n".join(warned)
    skipped = {r.id for r in report.ordered() if r.result is Outcome.SKIP}
    # Only the checks that cannot be driven from the wire are left out.
    assert skipped == {"P13", "R16"}
    assert report.facts["seconds"] < 90


def test_command_line_against_lanwise_without_restart(lab: Lab) -> None:
    """The CLI: JSON report, exit 0; probing checks SKIP (not PASS) without a trigger."""
    dut, tester = lab.host("dut"), lab.host("tester")
    wait_ipv6_ready(dut, tester)
    target = LanwiseTarget(dut)
    target.start()
    try:
        done = tester.lanwise(
            "conformance",
            "--target",
            "dut.local",
            "--service",
            SERVICE,
            "-i",
            "eth0",
            "--json",
            "-",
            check=False,
            timeout=120,
        )
    finally:
        target.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    results = {t["id"]: t["result"] for t in report["tests"]}
    assert list(results) == [c.id for c in CATALOGUE]
    assert results["P1"] == "SKIP" and results["C1"] == "SKIP"
    assert results["R8"] == "PASS" and results["R4"] == "PASS"
    assert "FAIL" not in results.values()
