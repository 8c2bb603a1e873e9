"""Deliberately broken targets: each new or corrected check FAILs on the defect
it is for, and a defect is counted once (the checks that depend on it are
"not judged"). The targets run side by side, each with its tester on a LAN of
its own, so the whole test takes one suite run's time."""

from __future__ import annotations

import concurrent.futures
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from lanwise.conformance import Outcome, Report, render_html
from tests.harness import Host, Lab
from tests.lab.conformance.scripted import Faults, ScriptedTarget
from tests.lab.conformance.targets import run_suite

pytestmark = pytest.mark.lab

STYPE = "_broken._tcp"


def _target(lab: Lab, name: str, faults: Faults) -> tuple[Host, ScriptedTarget]:
    lan = lab.lan()
    dut = lab.host(f"{name}-dut", [lan])
    tester = lab.host(f"{name}-tester", [lan])
    target = ScriptedTarget(dut, faults, host_name=name, instance="Broken Box", service_type=STYPE)
    target.start()
    return tester, target


def _not_judged(report: Report, id: str, root: str) -> None:
    result = report.tests[id]
    assert result.result is Outcome.SKIP and result.depends_on == root, result.line()
    assert result.detail.startswith(f"not judged: depends on {root}")


def test_broken_targets_fail_the_check_for_their_defect(lab: Lab, tmp_path: Path) -> None:
    service = f"Broken Box.{STYPE}.local"
    # A: probes without Authority; two announcements 3 s apart, cache-flush
    # clear on unique records; known answers ignored; a TC query answered late.
    tester_a, a = _target(
        lab,
        "noauth",
        Faults(
            probe_authority=False,
            announce_flush=False,
            announce_gap=3.0,
            known_answers=False,
            tc_delay=0.70,
        ),
    )
    # B: SRV target "vm" (a single label outside .local), never probed; the
    # first probe 600 ms after the restart.
    # R16 (sampled as --long does, 20 times): shared answers always after 30 ms.
    tester_b, b = _target(
        lab,
        "single",
        Faults(srv_target="vm", probe_host=False, probe_delay=0.6, shared_delay=0.03),
    )
    # C: ignores simultaneous probes, yields only to an announcement; renames for a
    # conflicting response received before its first probe (200 ms after a restart);
    # the suite's first question is lost (the suite asks again, as a querier does).
    tester_c, c = _target(lab, "tiebreak", Faults(tie_break=False, probe_delay=0.2, deaf_queries=1))
    runs: dict[str, Callable[[], Report]] = {
        "A": lambda: run_suite(
            tester_a, "noauth.local", service=service, restart=a.restart, conflicts=False
        ),
        "B": lambda: run_suite(
            tester_b,
            str(b.address),
            service=service,
            restart=b.restart,
            conflicts=False,
            long=True,
            long_samples=20,
        ),
        "C": lambda: run_suite(
            tester_c, "tiebreak.local", service=service, restart=c.restart, rate_limit=False
        ),
    }
    try:
        with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
            futures = {key: pool.submit(run) for key, run in runs.items()}
            reports = {key: f.result(180) for key, f in futures.items()}
    finally:
        for t in (a, b, c):
            t.stop()
    for key, report in reports.items():
        print(f"--- target {key}\n{report.text()}")

    ra = reports["A"]
    assert ra.tests["P3"].result is Outcome.FAIL
    assert "without an Authority section" in ra.tests["P3"].detail
    for id in ("P1", "P2", "P4", "P10"):
        _not_judged(ra, id, "P3")
    # Announcements are the unsolicited responses, however the probes looked.
    assert ra.tests["A1"].result is Outcome.PASS, ra.tests["A1"].line()
    assert ra.tests["A3"].result is Outcome.PASS, ra.tests["A3"].line()
    assert ra.tests["A2"].result is Outcome.FAIL
    assert "without cache-flush" in ra.tests["A2"].detail
    assert ra.tests["CH1"].result is Outcome.PASS, ra.tests["CH1"].line()
    assert ra.tests["R4"].result is Outcome.FAIL
    _not_judged(ra, "R23", "R4")
    assert ra.tests["R5"].result is Outcome.WARN, ra.tests["R5"].line()

    rb = reports["B"]
    assert rb.tests["S6"].result is Outcome.FAIL, rb.tests["S6"].line()
    assert "'vm'" in rb.tests["S6"].detail
    assert rb.tests["P14"].result is Outcome.FAIL, rb.tests["P14"].line()
    _not_judged(rb, "P10", "P14")
    assert rb.tests["P3"].result is Outcome.PASS
    assert rb.tests["P1"].result is Outcome.FAIL, rb.tests["P1"].line()
    assert "within 250 ms" in rb.tests["P1"].detail
    assert rb.tests["R16"].result is Outcome.WARN, rb.tests["R16"].line()

    rc = reports["C"]
    assert rc.tests["R18"].result is Outcome.PASS, rc.tests["R18"].line()
    assert rc.tests["P5"].result is Outcome.FAIL, rc.tests["P5"].line()
    assert "announced the contested record" in rc.tests["P5"].detail
    _not_judged(rc, "P7", "P5")
    _not_judged(rc, "P12", "P5")
    assert rc.tests["P6"].result is Outcome.PASS, rc.tests["P6"].line()
    assert rc.tests["P13"].result is Outcome.FAIL, rc.tests["P13"].line()

    # The HTML report of A, as a browser shows it.
    page = tmp_path / "report.html"
    page.write_text(render_html(ra), encoding="utf-8")
    dom = _rendered(page, tmp_path / "chromium")
    assert re.search(r'id="check-P3"[^>]*data-result="FAIL"', dom)
    assert re.search(r'id="check-P1"[^>]*data-result="SKIP"', dom)
    finding = dom[dom.index('id="finding-A2"') :]
    finding = finding[: finding.index("</section>")]
    assert "RFC 6762 §10.2" in finding and "cache-flush" in finding
    assert finding.count('class="packet response"') >= 2  # the announcements, on a timeline
    assert dom.count('class="finding ') == sum(
        r.result in (Outcome.FAIL, Outcome.WARN) for r in ra.ordered()
    )


def _rendered(page: Path, profile: Path) -> str:
    """The page's DOM after headless chromium loaded it."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it)")
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
