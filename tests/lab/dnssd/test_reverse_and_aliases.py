"""Reverse lookups and address records for other hosts, against a real avahi-daemon.

``lanwise lookup ADDRESS`` does what ``avahi-resolve -a`` does (the PTR in
in-addr.arpa / ip6.arpa over mDNS); ``lanwise publish --host H --address A`` what
``avahi-publish -a`` does (H.local's A/AAAA and reverse PTR, probed: RFC 6762 §8.1,
refused when another host holds H, §9).
"""

from __future__ import annotations

import asyncio
import ipaddress
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import lanwise
from lanwise.dnssd import NameConflictError
from lanwise.dnssd import sync as dnssd_sync
from tests.harness import Host, Lab
from tests.harness.avahi import start_avahi

pytestmark = [pytest.mark.lab, pytest.mark.interop]


def _spare_ipv4(host: Host) -> ipaddress.IPv4Address:
    """An address on the host's LAN that no lab host holds."""
    return host.ipv4() + 150


def _publisher(host: Host, *argv: str, log: Path) -> subprocess.Popen[Any]:
    out = log.open("w")
    return host.popen(
        sys.executable, "-m", "lanwise", "publish", *argv, stdout=out, stderr=subprocess.STDOUT
    )


def _wait_for(log: Path, text: str, process: subprocess.Popen[Any], timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = log.read_text()
        if text in shown:
            return shown
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} from lanwise publish:\n{log.read_text()}")


def _sync_reverse(address: str) -> dict[int, tuple[str, ...]]:
    return dict(dnssd_sync.resolve_address(address, timeout=5).names)


def test_lookup_gives_an_avahi_hosts_name_from_its_ipv4_and_ipv6_addresses(lab: Lab) -> None:
    """avahi-resolve -a's job, through the CLI and the sync API: IPv4 and IPv6."""
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    name = f"{avahi.host_name}.local"
    v4 = a.lanwise("lookup", str(b.ipv4()))
    assert v4.stdout.splitlines() == [f"{b.ipv4()}  {name}  ({a.ifname()})"]
    assert a.call(_sync_reverse, str(b.ipv6())) == {a.ifindex(): (name,)}


def test_lookup_gives_an_avahi_hosts_name_from_its_ipv6_link_local_address(lab: Lab) -> None:
    """On a link with IPv6 link-local addresses only (avahi publishes a link-local address
    only where the interface has no routable one): with a zone, asked on that interface
    only, and without one, on every interface."""
    a, b = lab.host("lw"), lab.host("av")
    b.run("ip", "addr", "del", f"{b.ipv6()}/64", "dev", b.ifname())
    avahi = start_avahi(b)
    name = f"{avahi.host_name}.local"
    zoned = f"{b.ipv6_link_local()}%{a.ifname()}"
    v6 = a.lanwise("lookup", zoned, "--json")
    assert v6.stdout.strip() == (
        f'{{"address": "{b.ipv6_link_local()}", "names": {{"{a.ifname()}": ["{name}"]}}}}'
    )
    names = a.call(_sync_reverse, str(b.ipv6_link_local()))
    assert names == {a.ifindex(): (name,)}


def test_lookup_of_an_address_nobody_answers_fails_naming_it(lab: Lab) -> None:
    a = lab.host("lw")
    nobody = str(_spare_ipv4(a))
    done = a.lanwise("lookup", nobody, "--timeout", "0.5", check=False)
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert nobody in line


def test_lookup_with_a_zone_that_is_no_served_interface_exits_2(lab: Lab) -> None:
    a = lab.host("lw")
    done = a.lanwise("lookup", "fe80::1%nope", check=False)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "nope" in line


def test_an_alias_resolves_with_avahi_both_ways(lab: Lab) -> None:
    """--host alias --address A: avahi-resolve -n alias.local gives A, -a A gives
    alias.local (the reverse PTR nobody else claims), and lanwise lookup agrees."""
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    spare = _spare_ipv4(a)
    log = lab.workdir / "alias.log"
    publisher = _publisher(a, "--host", "alias", "--address", str(spare), log=log)
    try:
        shown = _wait_for(log, "Established host", publisher)
        assert f"Established host 'alias.local' ({spare}) on {a.ifname()}" in shown
        assert avahi.resolve_host_name("alias.local") == [spare]
        assert avahi.resolve_address(spare) == "alias.local"
        assert f"alias.local  {spare}" in b.lanwise("lookup", "alias.local").stdout
        assert "Host name conflict" not in avahi.log()
    finally:
        publisher.terminate()
    assert publisher.wait(10) == 0


def test_an_alias_for_an_avahi_hosts_address_leaves_its_reverse_name_alone(lab: Lab) -> None:
    """Two responders must not both claim a reverse name: the alias yields it to avahi,
    which keeps its host name (no conflict in its log); the forward name still works."""
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    log = lab.workdir / "files.log"
    publisher = _publisher(a, "--host", "files", "--address", str(b.ipv4()), log=log)
    try:
        shown = _wait_for(log, "Established host", publisher)
        assert f"reverse mapping of {b.ipv4()} left to the host answering for it" in shown
        assert avahi.resolve_host_name("files.local") == [b.ipv4()]
        time.sleep(2.0)  # the announcements are out: avahi would have complained by now
        assert avahi.resolve_address(b.ipv4()) == f"{avahi.host_name}.local"
        assert "conflict" not in avahi.log().lower()
    finally:
        publisher.terminate()
    assert publisher.wait(10) == 0


def test_an_alias_that_is_an_avahi_hosts_name_is_refused_or_renamed(lab: Lab) -> None:
    """RFC 6762 §9: avahi holds av.local. By default lanwise refuses (one line, exit 1,
    like avahi-publish -a); with --rename-host it takes av-2.local. avahi keeps its name."""
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    taken = avahi.host_name
    refused = a.lanwise("publish", "--host", taken, "--address", str(_spare_ipv4(a)), check=False)
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert f"{taken}.local is taken" in line
    log = lab.workdir / "renamed.log"
    publisher = _publisher(
        a, "--host", taken, "--address", str(_spare_ipv4(a)), "--rename-host", log=log
    )
    try:
        shown = _wait_for(log, "Established host", publisher)
        assert f"Name conflict: '{taken}.local' renamed to '{taken}-2.local'" in shown
        assert f"Established host '{taken}-2.local'" in shown
        assert avahi.resolve_host_name(f"{taken}-2.local") == [_spare_ipv4(a)]
    finally:
        publisher.terminate()
    assert publisher.wait(10) == 0
    assert "Host name conflict" not in avahi.log()
    assert avahi.resolve_address(b.ipv4()) == f"{taken}.local"


def test_a_service_on_a_host_nobody_answers_for_warns_once(lab: Lab) -> None:
    """--host ghost with no address anywhere: one warning line once probing is done; the
    same service with --address for its host: no warning."""
    a = lab.host("lw")
    ghost_log, fine_log = lab.workdir / "ghost.log", lab.workdir / "fine.log"
    ghost = _publisher(a, "Ghost", "_http._tcp", "80", "--host", "ghost", log=ghost_log)
    fine = _publisher(
        a,
        "Fine",
        "_http._tcp",
        "81",
        "--host",
        "real",
        "--address",
        str(_spare_ipv4(a)),
        log=fine_log,
    )
    try:
        _wait_for(ghost_log, "Established under name 'Ghost'", ghost)
        _wait_for(fine_log, "Established under name 'Fine'", fine)
        shown = _wait_for(ghost_log, "warning", ghost, timeout=15.0)
        time.sleep(1.0)  # the other publisher's check has had as long
    finally:
        ghost.terminate()
        fine.terminate()
    assert ghost.wait(10) == 0 and fine.wait(10) == 0
    warnings = [x for x in ghost_log.read_text().splitlines() if "ghost.local" in x]
    assert len(warnings) == 1, shown
    assert warnings[0].startswith("lanwise: warning: nobody answers for ghost.local")
    assert "nobody answers" not in fine_log.read_text()


def _register_and_look_up(address: str) -> tuple[str, list[str], str, str]:
    """On one lanwise host: publish nas.local, then read it back by address."""

    async def main() -> tuple[str, list[str], str, str]:
        async with lanwise.open_responder() as responder:
            nas = await responder.register_host("nas", [address], timeout=10)
            info = await responder.resolve_address(address)
            reverse = [str(a) for a in nas.reverse]
            name = nas.name
            await nas.withdraw()
            return name, reverse, info.all_names[0], str(info.address)

    return asyncio.run(main())


def _claim(address: str, rename: bool) -> str:
    """On another lanwise host: claim nas.local too; the error's text when refused."""

    async def main() -> str:
        async with lanwise.open_responder() as responder:
            try:
                nas = await responder.register_host("nas", [address], rename=rename, timeout=10)
            except NameConflictError as exc:
                return f"refused: {exc.name}"
            return nas.name

    return asyncio.run(main())


def test_register_host_and_resolve_address_between_lanwise_hosts(lab: Lab) -> None:
    """The API between two lanwise hosts: a registered alias reads back by address on
    its own host and on the other; a second claim is refused, or renamed when asked."""
    a, b = lab.host("alpha"), lab.host("beta")
    spare = str(_spare_ipv4(a))
    assert a.call(_register_and_look_up, spare) == (
        "nas.local",
        [spare],
        "nas.local",
        spare,
    )
    log = lab.workdir / "nas.log"
    publisher = _publisher(a, "--host", "nas", "--address", spare, log=log)
    try:
        _wait_for(log, "Established host", publisher)
        assert b.call(_sync_reverse, spare) == {b.ifindex(): ("nas.local",)}
        assert b.call(_claim, spare, False) == "refused: nas.local"
        assert b.call(_claim, spare, True) == "nas-2.local"
    finally:
        publisher.terminate()
    assert publisher.wait(10) == 0
