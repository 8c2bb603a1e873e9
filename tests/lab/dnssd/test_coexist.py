"""lanwise beside avahi-daemon on one host: no host-name fight, nothing lost to port sharing.

With avahi-daemon running, lanwise's default host mode (``auto``) becomes
``system``: avahi holds the host name, its addresses and their reverse names;
lanwise's services name avahi's host in their SRV records. Both stacks are
bound to port 5353, and the kernel hands a unicast packet to one socket only
(RFC 6762 §15.1): lanwise then asks no QU questions (§5.4), so no answer meant
for it goes to avahi's socket, and avahi's browsing is not disturbed either.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import pytest

from lanwise.dnssd import Service, open_responder
from lanwise.dnssd.responder import PORT_CHECK_INTERVAL
from tests.harness import Host, Lab
from tests.harness.avahi import Avahi, BrowseEntry, start_avahi, unescape
from tests.harness.capture import start_capture
from tests.lab.dnssd.peers import Published, zeroconf_resolve

pytestmark = [pytest.mark.lab, pytest.mark.interop]

SHARED_NAME = "avshared"  # avahi's host name on the shared host (not the lab host's name)
BESIDE = "Beside Avahi"
COEX = "_coex._tcp"
RUNS = 10
LISTEN = 3.0  # seconds an avahi-browse run listens: lanwise browse -t takes 2-3 s


def _lanwise(host: Host, avahi: Avahi, *args: str) -> subprocess.Popen[str]:
    """``lanwise ARGS`` in the background on ``host``, seeing avahi's (private) system bus."""
    return host.popen(
        sys.executable,
        "-m",
        "lanwise",
        *args,
        env=avahi.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM (goodbyes go out), then everything it wrote to stderr."""
    process.terminate()
    try:
        _, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate(timeout=5)
    return err or ""


def _conflicts(log: str) -> list[str]:
    return [line for line in log.splitlines() if "conflict" in line.lower()]


def test_publish_and_share_beside_avahi_for_30_seconds(lab: Lab) -> None:
    """Not one host-name conflict in avahi's log over 30 s of ``lanwise publish`` and
    ``lanwise share`` on its host; avahi-browse, python-zeroconf and lanwise on another
    host resolve both services, whose SRV target is avahi's host name."""
    shared, peer = lab.host("shared"), lab.host("peer")
    avahi = start_avahi(shared, host_name=SHARED_NAME)
    peer_avahi = start_avahi(peer)
    started = time.monotonic()
    publish = _lanwise(shared, avahi, "publish", BESIDE, "_http._tcp", "84", "k=v")
    share = _lanwise(shared, avahi, "share", "8088", "--name", "Shared Port", "--json")
    try:
        assert publish.stdout is not None and share.stdout is not None
        established = publish.stdout.readline()
        snapshot = json.loads(share.stdout.readline())
        with ThreadPoolExecutor(6) as pool:
            by_avahi = pool.submit(peer_avahi.resolved, "_http._tcp", BESIDE)
            by_zeroconf = pool.submit(peer.call, zeroconf_resolve, BESIDE, "_http._tcp")
            by_lanwise = pool.submit(peer.lanwise, "resolve", BESIDE, "_http._tcp", "--json", "-4")
            share_by_avahi = pool.submit(peer_avahi.resolved, "_http._tcp", "Shared Port")
            share_by_zeroconf = pool.submit(
                peer.call, zeroconf_resolve, "Shared Port", "_http._tcp"
            )
            overview = pool.submit(shared.lanwise, env=avahi.env())  # `lanwise` alone
            avahi_entries, zc, lw = by_avahi.result(), by_zeroconf.result(), by_lanwise.result()
            share_entries, share_zc = share_by_avahi.result(), share_by_zeroconf.result()
        time.sleep(max(0.0, 30.0 - (time.monotonic() - started)))
        assert publish.poll() is None and share.poll() is None
        log = avahi.log()
    finally:
        publish_err, share_err = _stop(publish), _stop(share)
    assert not _conflicts(log), log
    assert f"Established under name '{BESIDE}'" in established, publish_err
    shown = overview.result().stdout
    assert "mDNS responders on this host" in shown
    assert f"avahi-daemon (pid {avahi.process.pid}) as {SHARED_NAME}.local" in shown, shown
    assert f"host {SHARED_NAME}.local, held by avahi-daemon" in established
    assert snapshot["service_name"] == "Shared Port", share_err
    assert snapshot["host_name"] == f"{SHARED_NAME}.local"
    target = f"{SHARED_NAME}.local"
    # avahi-browse -r on the other host: SRV → avahi's host name, its addresses from avahi.
    assert avahi_entries and {e.host_name for e in avahi_entries} == {target}
    assert {e.port for e in avahi_entries} == {84}
    assert shared.ipv4() in {e.address for e in avahi_entries}
    assert share_entries and {e.host_name for e in share_entries} == {target}
    # python-zeroconf (get_service_info) and lanwise resolve.
    for found, port in ((zc, 84), (share_zc, 8088)):
        assert found["server"] == f"{target}." and found["port"] == port
        # (it stops at the first address record avahi sends, of either family)
        own = {str(shared.ipv4()), str(shared.ipv6()), str(shared.ipv6_link_local())}
        assert found["addresses"] and {a.split("%")[0] for a in found["addresses"]} <= own
    info = json.loads(lw.stdout)
    assert info["host"] == target and info["port"] == 84
    assert str(shared.ipv4()) in json.dumps(info["addresses"])


# -- browsing from a host that runs both stacks -------------------------------------------
AVAHI_NAMES = [f"avahi {i}" for i in range(1, 8)]
ZEROCONF_NAMES = [f"zeroconf {i}" for i in range(1, 8)]
LANWISE_NAMES = [f"lanwise {i}" for i in range(1, 7)]
EVERY_NAME = {*AVAHI_NAMES, *ZEROCONF_NAMES, *LANWISE_NAMES}


@contextmanager
def _twenty_services(lab: Lab) -> Iterator[None]:
    """20 ``_coex._tcp`` services on three other hosts: avahi 7, python-zeroconf 7, lanwise 6."""
    pa, pz, pl = lab.host("pa"), lab.host("pz"), lab.host("pl")
    with ExitStack() as stack:
        with ThreadPoolExecutor(3) as pool:
            avahi_up = pool.submit(start_avahi, pa)
            lanwise_up = pool.submit(
                Published, pl, *(Service(n, COEX, 7000, {"peer": "lanwise"}) for n in LANWISE_NAMES)
            )
            zeroconf = pz.popen(
                sys.executable,
                "-m",
                "tests.lab.dnssd.zeroconf_many",
                COEX,
                "7001",
                *ZEROCONF_NAMES,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            published = lanwise_up.result()
            stack.callback(published.stop)
            peer_avahi = avahi_up.result()
            stack.callback(peer_avahi.stop)
        publications = [peer_avahi.publish_service(n, COEX, 7002) for n in AVAHI_NAMES]
        for publication in publications:
            stack.enter_context(publication)
        assert zeroconf.stdout is not None and zeroconf.stdin is not None
        assert zeroconf.stdout.readline().strip() == "ready"
        stack.callback(zeroconf.wait, 10)
        stack.callback(zeroconf.stdin.close)
        assert [p.wait_established() for p in publications] == AVAHI_NAMES
        yield


def _resolved_names(lines: list[str]) -> set[str]:
    """The instance names of avahi-style ``=`` lines with an IPv4 address and a port."""
    names: set[str] = set()
    for line in lines:
        fields = line.split(";")
        if len(fields) >= 9 and fields[0] == "=" and fields[2] == "IPv4" and fields[8]:
            names.add(unescape(fields[3]))
    return names


async def _browse_with_avahi_started_later(shared: Host) -> tuple[Avahi, set[str], bool]:
    """A lanwise responder opens first; avahi-daemon then binds port 5353 beside it; a
    browse started after that asks no QU question (§15.1: avahi, the last to bind,
    would get the unicast replies). Returns avahi, the names resolved, shares_port."""
    async with open_responder(querier_only=True) as responder:
        assert not responder.shares_port
        avahi = await asyncio.to_thread(start_avahi, shared, host_name=SHARED_NAME)
        await asyncio.sleep(PORT_CHECK_INTERVAL)
        async with responder.browse(COEX, resolve=True) as browser:
            current = await browser.wait_settled()
        names = {e.name for e in current if e.info is not None and e.info.addresses}
        return avahi, names, responder.shares_port


def test_lanwise_browse_beside_avahi_finds_all_20_services_10_runs_of_10(lab: Lab) -> None:
    """``lanwise browse -r`` on a host where avahi-daemon runs (sharing port 5353, so
    no QU questions, RFC 6762 §15.1) resolves every one of 20 services of avahi,
    python-zeroconf and lanwise on other hosts, in each of 10 cold runs. First, a
    responder open before avahi starts turns QU off as avahi binds the port."""
    shared = lab.host("shared")
    with _twenty_services(lab):
        with start_capture(shared) as capture:
            avahi, late_names, late_shares = shared.wait(_browse_with_avahi_started_later(shared))
        qu = [p for p in capture.packets() if any(q.unicast_response for q in p.questions)]
        assert late_shares and late_names == EVERY_NAME, EVERY_NAME - late_names
        assert not [
            p for p in qu if p.source in (shared.ipv4(), shared.ipv6(), shared.ipv6_link_local())
        ]
        misses: dict[int, set[str]] = {}
        for run in range(RUNS):
            out = shared.run(
                sys.executable, "-m", "lanwise", "browse", "-r", "-t", "-p", COEX, env=avahi.env()
            ).stdout
            missing = EVERY_NAME - _resolved_names(out.splitlines())
            if missing:
                misses[run] = missing
                print(f"run {run} printed:\n{out}", file=sys.stderr)
    assert not misses, misses
    assert not _conflicts(avahi.log())


def _avahi_browse_for(avahi: Avahi, seconds: float) -> set[str]:
    """``avahi-browse -r -p`` for ``seconds`` (then SIGINT): the names resolved over IPv4.

    Not ``-t``: avahi ends that after its first query round, and a responder that
    multicast its answers within the last second stays silent then (RFC 6762 §6.2;
    python-zeroconf does so), answering avahi's second query only.
    """
    argv = ["timeout", "-s", "INT", str(seconds), "avahi-browse", "-r", "-p", "-k", COEX]
    out = avahi.host.run(*argv, env=avahi.env(), check=False).stdout
    entries = (BrowseEntry.parse(line) for line in out.splitlines())
    return {e.name for e in entries if e is not None and e.resolved and e.protocol == "IPv4"}


def test_avahi_browse_beside_lanwise_finds_all_20_services_10_runs_of_10(lab: Lab) -> None:
    """Roles swapped: avahi-browse -r on a host where lanwise publishes and browses all
    along resolves every one of the 20 services within 3 s in each of 10 cold runs
    (avahi-daemon restarted each time, its cache empty), and avahi never sees a
    conflict."""
    shared = lab.host("shared")
    with _twenty_services(lab):
        avahi = start_avahi(shared, host_name=SHARED_NAME)
        publish = _lanwise(shared, avahi, "publish", BESIDE, "_http._tcp", "84")
        browse = _lanwise(shared, avahi, "browse", "-r", "-p", COEX)
        misses: dict[int, set[str]] = {}
        logs: list[str] = []
        try:
            assert publish.stdout is not None
            assert "held by avahi-daemon" in publish.stdout.readline()
            for run in range(RUNS):
                if run:  # a fresh daemon (and bus) in a fresh directory: an empty cache
                    directory = lab.workdir / f"avahi-shared-{run}"
                    avahi = start_avahi(shared, host_name=SHARED_NAME, directory=directory)
                found = _avahi_browse_for(avahi, LISTEN)
                if EVERY_NAME - found:
                    misses[run] = EVERY_NAME - found
                logs.append(avahi.log())
                avahi.stop()
            assert publish.poll() is None and browse.poll() is None
        finally:
            _stop(publish)
            _stop(browse)
    assert not misses, misses
    assert not [c for log in logs for c in _conflicts(log)]
