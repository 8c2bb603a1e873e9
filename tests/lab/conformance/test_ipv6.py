"""IPv6-only runs (``family=6``) on links whose hosts have nothing but IPv6
link-local addresses: lanwise passes every check that applies; avahi-daemon and
python-zeroconf get a complete report (their failures are facts for
docs/conformance.md). The three run side by side, each pair on a LAN of its own."""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from lanwise.conformance import CATALOGUE, Outcome, Report
from tests.harness import Host, Lab
from tests.lab.conformance.targets import (
    AvahiTarget,
    LanwiseTarget,
    ZeroconfTarget,
    run_suite,
)
from tests.lab.mdns.util import wait_ipv6_ready

pytestmark = [pytest.mark.lab, pytest.mark.interop]


def link_local_only(*hosts: Host) -> None:
    """Leave each host's eth0 with its IPv6 link-local address alone."""
    for host in hosts:
        host.run("ip", "addr", "flush", "dev", "eth0", "scope", "global")
    wait_ipv6_ready(*hosts)
    for host in hosts:
        shown = host.run("ip", "-o", "addr", "show", "dev", "eth0").stdout
        assert "inet " not in shown and "scope global" not in shown, shown


def _cycle(host: Host) -> None:
    host.link_down()
    host.link_up()
    wait_ipv6_ready(host)


def test_ipv6_only_runs(lab: Lab) -> None:
    pairs = {}
    for name in ("lanwise", "avahi", "zeroconf"):
        lan = lab.lan()
        pairs[name] = (lab.host(f"{name}-dut", [lan]), lab.host(f"{name}-tester", [lan]))
    link_local_only(*(h for pair in pairs.values() for h in pair))
    lanwise = LanwiseTarget(pairs["lanwise"][0])
    avahi = AvahiTarget(pairs["avahi"][0])
    zeroconf = ZeroconfTarget(pairs["zeroconf"][0])
    targets = (lanwise, avahi, zeroconf)
    runs: dict[str, Callable[[], Report]] = {
        "lanwise": lambda: run_suite(
            pairs["lanwise"][1],
            "dut.local",
            family=6,
            subtypes=("_printer",),
            restart=lanwise.restart,
            link_cycle=lambda: _cycle(pairs["lanwise"][0]),
            update=lanwise.update,
            rename=lanwise.rename,
        ),
        "avahi": lambda: run_suite(
            pairs["avahi"][1],
            "avahi-dut.local",
            family=6,
            subtypes=("_printer",),
            restart=avahi.restart,
            rate_limit=False,
        ),
        "zeroconf": lambda: run_suite(
            pairs["zeroconf"][1],
            "zc-dut.local",
            family=6,
            restart=zeroconf.restart,
            update=zeroconf.update,
        ),
    }
    try:
        for target in targets:
            target.start()
        avahi.wait_established()
        with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
            futures = {key: pool.submit(run) for key, run in runs.items()}
            reports = {key: f.result(240) for key, f in futures.items()}
    finally:
        for target in targets:
            target.stop()
    directory = os.environ.get("LANWISE_CONFORMANCE_REPORTS")
    for key, report in reports.items():
        print(f"--- {key}, IPv6 only\n{report.text()}")
        if directory:
            Path(directory, f"{key}-ipv6.json").write_text(report.dumps() + "\n")
        assert [r.id for r in report.ordered()] == [c.id for c in CATALOGUE]
        why = avahi.log() if key == "avahi" else ""
        assert report.facts.get("family") == 6, f"{report.text()}\n{why}"
        assert all(a.startswith("fe80:") for a in report.facts["addresses"]), report.facts
    ours = reports["lanwise"]
    failed = [r.line() for r in ours.ordered() if r.result in (Outcome.FAIL, Outcome.WARN)]
    assert not failed, "\n".join(failed)
    skipped = {r.id for r in ours.ordered() if r.result is Outcome.SKIP}
    # R13's off-link source is IPv4; R15 is the whole run here.
    assert skipped - {"P13"} == {"R16", "R13", "R15"}, ours.text()
    for key in ("avahi", "zeroconf"):
        ran = [r for r in reports[key].ordered() if r.result is not Outcome.SKIP]
        assert len(ran) >= 25, reports[key].text()
