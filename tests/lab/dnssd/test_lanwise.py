"""lanwise to lanwise over real sockets: register, browse, resolve, update, withdraw, rename.

RFC 6763 §4 (instances), §6 (TXT), §7.1 (subtypes), §9 (type enumeration);
RFC 6762 §8.4 (re-announce on TXT change), §9 (rename on conflict), §10.1 (goodbye).
"""

from __future__ import annotations

import asyncio
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest

from lanwise.dnssd import (
    Responder,
    Service,
    ServiceAdded,
    ServiceRemoved,
    ServiceUpdated,
    open_responder,
)
from lanwise.dnssd import sync as dnssd_sync
from tests.harness import Lab
from tests.harness.avahi import unescape
from tests.lab.dnssd.peers import Published

pytestmark = pytest.mark.lab

WEB = Service("My Web. Site", "_http._tcp", 8080, {"path": "/", "tls": None}, subtypes=["_admin"])


@pytest.mark.serial  # a goodbye within two seconds
def test_browse_resolve_update_and_goodbye(lab: Lab) -> None:
    a, b = lab.host("alpha"), lab.host("beta")
    published = Published(a, WEB)
    registration = published.registrations[0]
    assert registration.name == "My Web. Site"

    async def watch() -> list[Any]:
        seen: list[Any] = []
        async with open_responder(host_name="beta") as responder:
            info = await responder.resolve("My Web. Site", "_http._tcp", timeout=5)
            seen.append(info)
            async with responder.browse("_http._tcp", resolve=True) as browser:
                seen.append(await asyncio.wait_for(browser.__anext__(), 5))
                # §8.4: the TXT change is announced and reaches the browser.
                published.host.submit(registration.update_txt({"path": "/v2"}))
                seen.append(await asyncio.wait_for(browser.__anext__(), 5))
                # §10.1: withdrawing sends goodbyes; the browser drops it at once.
                started = asyncio.get_running_loop().time()
                published.host.submit(registration.withdraw())
                seen.append(await asyncio.wait_for(browser.__anext__(), 5))
                seen.append(asyncio.get_running_loop().time() - started)
        return seen

    try:
        info, added, updated, removed, goodbye_seconds = b.wait(watch())
    finally:
        published.stop()
    assert info.host == "alpha.local" and info.port == 8080
    assert info.txt["path"] == b"/" and "tls" in info.txt
    (index,) = info.addresses
    addresses = info.addresses[index]
    assert a.ipv4() in addresses and a.ipv6() in addresses
    link_local = [x for x in addresses if isinstance(x, IPv6Address) and x.is_link_local]
    assert link_local and all(x.scope_id == "eth0" for x in link_local)
    assert isinstance(added, ServiceAdded) and added.info is not None
    assert isinstance(updated, ServiceUpdated) and updated.info.txt["path"] == b"/v2"
    assert isinstance(removed, ServiceRemoved) and removed.name == "My Web. Site"
    assert goodbye_seconds < 2.0


def test_subtype_and_type_enumeration(lab: Lab) -> None:
    """RFC 6763 §7.1 subtype browsing and §9 service type enumeration."""
    a, b = lab.host("alpha"), lab.host("beta")
    published = Published(a, WEB, Service("Printer", "_ipp._tcp", 631))
    try:
        types, admins, everything = b.call(_sync_browse_three)
    finally:
        published.stop()
    assert set(types) >= {"_http._tcp", "_ipp._tcp"}
    assert admins == ["My Web. Site"]
    assert set(everything) >= {("My Web. Site", "_http._tcp"), ("Printer", "_ipp._tcp")}


def _sync_browse_three() -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """On the host: one sync responder, three browses (runs in the host's namespace)."""
    with dnssd_sync.open_responder_sync(host_name="beta") as responder:
        types = responder.browse("_services._dns-sd._udp", timeout=3)
        admins = responder.browse("_admin._sub._http._tcp", timeout=3)
        everything = responder.browse(None, timeout=3)
    return (
        [e.name for e in types],
        [e.name for e in admins],
        [(e.name, str(e.type)) for e in everything],
    )


def test_a_taken_name_is_renamed_readably(lab: Lab) -> None:
    """RFC 6762 §9 / RFC 6763 §4.1: the second responder becomes "Name (2)"."""
    a, b = lab.host("alpha"), lab.host("beta")
    first = Published(a, WEB)
    try:
        renamed: list[tuple[str, str]] = []

        async def second(responder: Responder) -> str:
            return responder.registrations[0].name

        later = Published(b, WEB)
        try:
            name = later.run(second)
            renamed.append(("beta", name))
        finally:
            later.stop()
    finally:
        first.stop()
    assert renamed == [("beta", "My Web. Site (2)")]


def test_a_register_that_times_out_is_withdrawn(lab: Lab) -> None:
    """Probing takes 750 ms (RFC 6762 §8.1): a 50 ms wait times out, and the
    service is not left registered with nobody holding it."""
    a = lab.host("alpha")

    async def attempt() -> tuple[int, int]:
        async with open_responder(host_name="alpha") as responder:
            with pytest.raises(TimeoutError):
                await responder.register(Service("Slow", "_http._tcp", 80), timeout=0.05)
            return len(
                responder.registrations
            ), responder.transport.statistics().engine.registrations

    assert a.wait(attempt()) == (0, 0)


def test_sync_face_registers_and_resolves(lab: Lab) -> None:
    a, b = lab.host("alpha"), lab.host("beta")
    published = Published(a, Service("Sync", "_http._tcp", 81))
    try:
        info = b.call(_sync_resolve)
    finally:
        published.stop()
    assert info == ("alpha.local", 81)


def test_sync_register_publishes_until_the_block_ends(lab: Lab) -> None:
    a, b = lab.host("alpha"), lab.host("beta")
    names: list[tuple[str, bool]] = []
    holder = threading.Thread(target=lambda: names.append(a.call(_sync_hold, 3.0)))
    holder.start()
    try:
        info = b.call(_sync_resolve_retrying)
    finally:
        holder.join(30)
    assert names == [("Sync", True)]
    assert info == ("alpha.local", 81)


def _sync_hold(seconds: float) -> tuple[str, bool]:
    with dnssd_sync.register(Service("Sync", "_http._tcp", 81), host_name="alpha") as reg:
        time.sleep(seconds)
        return reg.name, reg.established


def _sync_resolve_retrying() -> tuple[str, int]:
    for _ in range(10):  # the publisher may not have started yet
        try:
            return _sync_resolve()
        except TimeoutError:
            continue
    raise AssertionError("never resolved")


def _sync_resolve() -> tuple[str, int]:
    info = dnssd_sync.resolve("Sync", "_http._tcp", timeout=5)
    return info.host, info.port


def test_cli_publish_browse_resolve_lookup(lab: Lab) -> None:
    a, b = lab.host("alpha"), lab.host("beta")
    publisher = a.popen(
        sys.executable,
        "-m",
        "lanwise",
        "publish",
        "Shelf; 1",
        "_http._tcp",
        "8081",
        "a=1",
        "flag",
        "--subtype",
        "_shelf",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert publisher.stdout is not None
    line = publisher.stdout.readline()
    assert line.startswith("Established under name 'Shelf; 1'")
    try:
        parsable = b.lanwise("browse", "-r", "-t", "-p", "_http._tcp").stdout.splitlines()
        resolved = [x.split(";") for x in parsable if x.startswith("=")]
        assert {fields[2] for fields in resolved} == {"IPv4", "IPv6"}
        assert all(unescape(fields[3]) == "Shelf; 1" for fields in resolved)
        assert all(fields[8] == "8081" and fields[9] == '"a=1" "flag"' for fields in resolved)
        assert str(a.ipv4()) in {fields[7] for fields in resolved}
        shown = b.lanwise("resolve", "Shelf; 1", "_http._tcp").stdout
        assert "port     8081" in shown and str(a.ipv4()) in shown
        host = next(x for x in shown.splitlines() if x.startswith("  host")).split()[1]
        looked = b.lanwise("lookup", host).stdout
        assert str(a.ipv4()) in looked
        assert "Shelf; 1" in b.lanwise("browse", "-t", "_shelf._sub._http._tcp").stdout
        # SIGTERM: goodbyes, then exit 0; a running browser sees the removal.
        browser = b.popen(
            sys.executable,
            "-m",
            "lanwise",
            "browse",
            "--json",
            "_http._tcp",
            stdout=subprocess.PIPE,
            text=True,
        )
        assert browser.stdout is not None
        assert '"added"' in browser.stdout.readline()
        started = time.monotonic()
        publisher.send_signal(signal.SIGTERM)
        assert publisher.wait(5) == 0
        assert '"removed"' in browser.stdout.readline()
        assert time.monotonic() - started < 2.0
        browser.send_signal(signal.SIGINT)
        browser.wait(5)
    finally:
        publisher.kill()


def test_cli_publish_says_goodbye_on_ctrl_c(lab: Lab) -> None:
    """Ctrl-C (SIGINT) withdraws like SIGTERM: goodbyes (RFC 6762 §10.1), exit 0."""
    a, b = lab.host("alpha"), lab.host("beta")
    publisher = a.popen(
        sys.executable,
        "-m",
        "lanwise",
        "publish",
        "Interrupted",
        "_http._tcp",
        "8082",
        stdout=subprocess.PIPE,
        text=True,
    )
    browser = b.popen(
        sys.executable,
        "-m",
        "lanwise",
        "browse",
        "--json",
        "_http._tcp",
        stdout=subprocess.PIPE,
        bufsize=0,  # unbuffered, so select() sees every line not yet read
    )
    try:
        assert publisher.stdout is not None and browser.stdout is not None
        assert publisher.stdout.readline().startswith("Established under name 'Interrupted'")
        assert b'"added"' in _read_line(browser.stdout)
        publisher.send_signal(signal.SIGINT)
        assert publisher.wait(10) == 0
        assert b'"removed"' in _read_line(browser.stdout)
    finally:
        browser.kill()
        publisher.kill()


def _read_line(stream: Any, timeout: float = 10.0) -> bytes:
    """A line from an unbuffered pipe, failing after ``timeout`` s instead of hanging."""
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, f"no line within {timeout} s"
    line: bytes = stream.readline()
    return line


def test_cli_usage_errors_exit_2(lab: Lab) -> None:
    a = lab.host("alpha")
    for argv in (
        ["browse", "_bad"],
        ["browse", "-i", "nope", "_http._tcp"],
        ["publish", "x", "_http._tcp", "70000"],
        ["publish", "x" * 64, "_http._tcp", "80"],
        ["publish", "x", "_http._tcp", "80", "=v"],
        ["resolve", "x", "_toolongservicename._tcp"],
    ):
        done = a.lanwise(*argv, check=False)
        assert done.returncode == 2, argv
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_cli_resolve_and_lookup_exit_1_when_nothing_answers(lab: Lab) -> None:
    a = lab.host("alpha")
    for argv in (
        ["resolve", "Nobody", "_http._tcp", "--timeout", "0.5"],
        ["lookup", "nobody.local", "--timeout", "0.5"],
    ):
        done = a.lanwise(*argv, check=False)
        assert done.returncode == 1, argv
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_addresses_are_per_interface(lab: Lab) -> None:
    """A peer on two LANs is seen on each interface with that interface's addresses."""
    lan1, lan2 = lab.lan(), lab.lan()
    a = lab.host("alpha", [lan1, lan2])
    b = lab.host("beta", [lan1, lan2])
    published = Published(a, Service("Two", "_http._tcp", 80))
    try:
        info = b.call(_sync_resolve_two)
    finally:
        published.stop()
    assert len(info) == 2
    for index, found in info.items():
        v4 = [x for x in found if isinstance(x, IPv4Address)]
        assert len(v4) == 1, (index, found)
    assert {a.ipv4(lan1), a.ipv4(lan2)} == {
        x for found in info.values() for x in found if isinstance(x, IPv4Address)
    }


def _sync_resolve_two() -> dict[int, tuple[IPv4Address | IPv6Address, ...]]:
    with dnssd_sync.open_responder_sync(host_name="beta") as responder:
        for _ in range(100):  # a link may come up a moment after the other
            if len(responder.interfaces) == 2:
                break
            time.sleep(0.05)
        return dict(responder.resolve("Two", "_http._tcp", timeout=5).addresses)


def test_overview_lists_services_by_type(lab: Lab) -> None:
    a, b = lab.host("alpha"), lab.host("beta")
    published = Published(a, WEB, Service("Printer", "_ipp._tcp", 631))
    try:
        overview = b.lanwise().stdout
    finally:
        published.stop()
    services = overview[overview.index("Services on the local network") :]
    assert services.index("_http._tcp") < services.index("My Web. Site")
    assert "alpha.local:8080 (eth0)" in services
    assert "Printer" in services


def test_overview_without_a_local_network_says_so(lab: Lab) -> None:
    """In a network namespace of its own (loopback only, down): no listening, exit 0."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare for an empty network namespace")
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "lanwise"],
        capture_output=True,
        text=True,
        timeout=30,
        env=lab.env(),
        check=False,
    )
    assert done.returncode == 0
    assert "(not listening: no local-network interface)" in done.stdout
