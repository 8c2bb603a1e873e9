"""The link-local phase (RFC 3927) against ``lanwise autoip`` and avahi-autoipd,
side by side on LANs of their own, both at the RFC's real timings. The lanwise
host also runs ``lanwise publish`` and has no other IPv4 address, so its mDNS
goes out from the link-local address autoip claims: L7 judges when."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lanwise.conformance import (
    LINKLOCAL_CATALOGUE,
    LinkLocalConfig,
    Outcome,
    Report,
    run_link_local,
)
from tests.harness import Host, Lab
from tests.harness.avahi import start_avahi
from tests.lab.conformance.broken_claimer import BrokenClaimer, ClaimFaults

pytestmark = [pytest.mark.lab, pytest.mark.interop]


class Claimer:
    """A link-local daemon on a lab host; ``restart`` stops it (it releases its
    address) and starts it again, so it claims anew."""

    def __init__(self, host: Host, argv: list[str], ready: str) -> None:
        self.host = host
        self.argv = argv
        self.ready = ready.encode()  # what it logs once it has started claiming
        self.process: subprocess.Popen[bytes] | None = None
        self.log = host.lab.workdir / f"claimer-{host.name}.log"

    def start(self) -> None:
        """Start it and return once it is claiming (PROBE_WAIT counts from there)."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = self.host.popen(*self.argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.log.open("rb") as log:
                log.seek(offset)
                if self.ready in log.read():
                    return
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(15)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cycle_link(self) -> None:
        self.host.link_down()
        self.host.link_up()


def _mac(host: Host) -> str:
    words = host.run("ip", "-o", "link", "show", "eth0").stdout.split()
    return words[words.index("link/ether") + 1]


def _run(tester: Host, mac: str, claimer: Claimer | BrokenClaimer, rate_limit: bool) -> Report:
    config = LinkLocalConfig(
        target=mac,
        interface="eth0",
        restart=claimer.restart,
        link_cycle=claimer.cycle_link,
        rate_limit=rate_limit,
    )
    with tester.entered():
        return run_link_local(config)


# avahi-autoipd keeps its pid file in /run, which every lab host shares: each gets
# a /run of its own (a private mount namespace), so a stale file cannot stop it.
AVAHI_AUTOIPD = [
    "unshare", "--mount", "sh", "-c",
    "mount -t tmpfs none /run && exec avahi-autoipd --force-bind --no-drop-root "
    "--no-chroot --no-proc-title --debug eth0",
]  # fmt: skip


@pytest.mark.serial  # avahi-autoipd at its real RFC 3927 timings
@pytest.mark.skipif(shutil.which("avahi-autoipd") is None, reason="avahi-autoipd is not installed")
def test_link_local_phase_against_lanwise_autoip_avahi_autoipd_and_broken_claimers(
    lab: Lab,
) -> None:
    """All four side by side, each with its tester on a LAN of its own. Broken A:
    probes and announcements too fast, addresses below 169.254.1.0, conflicts
    ignored and every one defended, a new address after the link cycle. Broken B:
    no rate limit, and an mDNS probe from each address before announcing it."""
    claimers: dict[str, Claimer | BrokenClaimer] = {}
    testers: dict[str, Host] = {}
    macs: dict[str, str] = {}
    publisher: subprocess.Popen[bytes] | None = None
    for name in ("lanwise", "avahi", "A", "B"):
        lan = lab.lan()
        host = lab.host(f"{name}-ll", [lan])
        testers[name] = lab.host(f"{name}-tester", [lan])
        if name == "lanwise":
            argv = [sys.executable, "-m", "lanwise", "autoip", "eth0"]
            claimers[name] = Claimer(host, argv, "IPv4 link-local on")
            host.run("ip", "-4", "addr", "flush", "dev", "eth0")
            with (lab.workdir / "publish-lanwise-ll.log").open("ab") as log:
                publisher = host.popen(
                    sys.executable, "-m", "lanwise", "publish", "LL Target", "_conftest._tcp",
                    "8080", stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
        elif name == "avahi":
            claimers[name] = Claimer(host, AVAHI_AUTOIPD, "Starting with address")
            # With avahi-daemon beside it, as avahi is deployed.
            host.run("ip", "-4", "addr", "flush", "dev", "eth0")
            start_avahi(host, host_name="avahi-ll")
        else:
            faults = (
                ClaimFaults(
                    probe_gap=0.3,
                    announce_gap=0.5,
                    out_of_range=True,
                    ignore_conflicts=True,
                    new_address_on_restart=True,
                )
                if name == "A"
                else ClaimFaults(rate_limit=False, mdns_while_probing=True)
            )
            claimers[name] = BrokenClaimer(host, faults)
        macs[name] = _mac(host)
    try:
        for claimer in claimers.values():
            claimer.start()
        with concurrent.futures.ThreadPoolExecutor(len(claimers)) as pool:
            futures = {
                k: pool.submit(_run, testers[k], macs[k], c, k != "A") for k, c in claimers.items()
            }
            reports = {k: f.result(240) for k, f in futures.items()}
    finally:
        for claimer in claimers.values():
            claimer.stop()
        if publisher is not None:
            publisher.send_signal(signal.SIGTERM)
            publisher.wait(15)
    directory = os.environ.get("LANWISE_CONFORMANCE_REPORTS")
    for key, report in reports.items():
        print(f"--- {key}\n{report.text()}")
        if directory and key in ("lanwise", "avahi"):
            Path(directory, f"{key}-linklocal.json").write_text(report.dumps() + "\n")
        assert [r.id for r in report.ordered()] == [c.id for c in LINKLOCAL_CATALOGUE]
    ours = reports["lanwise"]
    for id in ("L1", "L2", "L3", "L4", "L5", "L6", "L8"):
        assert ours.tests[id].result is Outcome.PASS, ours.tests[id].line()
    # L7 is judged: the publisher speaks from the address autoip claims, and only
    # once its first announcement has left (the driver adds it to the interface then).
    ours_l7 = ours.tests["L7"]
    assert ours_l7.result is Outcome.PASS, ours_l7.line()
    # avahi-daemon speaks from the address avahi-autoipd claims: L7 is judged.
    l7 = reports["avahi"].tests["L7"]
    assert l7.result is not Outcome.SKIP, l7.line()
    print(f"L7 details: lanwise: {ours_l7.detail}\navahi: {l7.detail}")
    ran = [r for r in reports["avahi"].ordered() if r.result is not Outcome.SKIP]
    assert len(ran) >= 6, reports["avahi"].text()
    a, b = reports["A"], reports["B"]
    for id in ("L1", "L2", "L3", "L4", "L6"):
        assert a.tests[id].result is Outcome.FAIL, a.tests[id].line()
    assert a.tests["L8"].result is Outcome.WARN, a.tests["L8"].line()
    assert b.tests["L5"].result is Outcome.FAIL, b.tests["L5"].line()
    assert b.tests["L7"].result is Outcome.FAIL, b.tests["L7"].line()
    assert "not announced yet" in b.tests["L7"].detail, b.tests["L7"].line()
    assert a.tests["L7"].result is Outcome.SKIP, a.tests["L7"].line()
    assert b.tests["L1"].result is Outcome.PASS, b.tests["L1"].line()
