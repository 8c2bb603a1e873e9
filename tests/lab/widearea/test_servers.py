"""Wide-area DNS-SD against real BIND 9 and Knot DNS servers (RFC 6763 §11, RFC 2136,
RFC 8945, RFC 9664): register, see it with dig, browse and resolve from another LAN
through a recursive resolver, update TXT, withdraw to an unchanged zone, clashes,
bad keys, leases."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lanwise.dnssd.model import BrowseEvent, Service, ServiceAdded, ServiceRemoved
from lanwise.widearea import (
    DnsServerError,
    LeaseRefreshed,
    Registrar,
    ServerUnreachableError,
    browse,
    open_registrar,
    resolve,
)
from lanwise.widearea.tsigkey import TsigKey
from tests.harness.dnsserver import zone_records
from tests.lab.widearea.world import DOMAIN, World

pytestmark = [pytest.mark.lab, pytest.mark.interop]


@contextlib.asynccontextmanager
async def _registrar(world: World, **kw: object) -> AsyncIterator[Registrar]:
    kw.setdefault("tsig", world.key_file)
    kw.setdefault("ttl", 1)
    kw.setdefault("host", "pub")
    async with open_registrar(DOMAIN, server=str(world.server.address), **kw) as registrar:  # type: ignore[arg-type]
        yield registrar


def _dig_far(world: World, *args: str) -> str:
    return world.resolver.dig("+short", *args, host=world.far)


async def _first_events(
    world: World, stype: str, count: int, *, resolve_: bool = True
) -> list[BrowseEvent]:
    events: list[BrowseEvent] = []
    stream = browse(
        stype, DOMAIN, resolve=resolve_, servers=str(world.resolver.address), poll_floor=0.5
    )
    async for event in stream:
        events.append(event)
        if len(events) >= count:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    return events


def test_register_with_subtype_seen_by_dig_and_browsed_from_another_lan(world: World) -> None:
    """dig shows PTR, subtype PTR, SRV, TXT, A, AAAA; a host on LAN 2 browses and resolves
    it through the resolver; update_txt is seen; withdraw leaves the zone as it was."""
    before = zone_records(world.server, DOMAIN)
    service = Service("Lab Printer", "_ipp._tcp", 631, {"rp": "ipp/print"}, subtypes=["_universal"])

    async def scenario() -> None:
        async with _registrar(world) as registrar:
            registration = await registrar.register(service)
            assert registration.name == "Lab Printer"
            assert registration.zone == DOMAIN
            seen = {
                key: _dig_far(world, kind, name)
                for key, kind, name in [
                    ("PTR", "PTR", f"_ipp._tcp.{DOMAIN}"),
                    ("SUB", "PTR", f"_universal._sub._ipp._tcp.{DOMAIN}"),
                    ("SRV", "SRV", f"Lab\\032Printer._ipp._tcp.{DOMAIN}"),
                    ("TXT", "TXT", f"Lab\\032Printer._ipp._tcp.{DOMAIN}"),
                    ("A", "A", f"pub.{DOMAIN}"),
                    ("AAAA", "AAAA", f"pub.{DOMAIN}"),
                ]
            }
            results.update(seen)
            events = await world.far.gather(_first_events(world, "_ipp._tcp", 1))
            results["event"] = events[0]
            info = await world.far.gather(
                resolve("Lab Printer", "_ipp._tcp", DOMAIN, servers=str(world.resolver.address))
            )
            results["info"] = info
            await registration.update_txt({"rp": "ipp/new"})
            results["txt_after"] = world.server.dig(
                "+short", "TXT", f"Lab\\032Printer._ipp._tcp.{DOMAIN}"
            )
            await registration.withdraw()

    results: dict[str, object] = {}
    world.on_pub(scenario())
    for key in ("PTR", "SUB"):
        # Knot stores names in RDATA lowercased; DNS names compare case-insensitively.
        assert "lab\\032printer._ipp._tcp.example.test." in str(results[key]).lower()
    assert "631 pub.example.test." in str(results["SRV"])
    assert '"rp=ipp/print"' in str(results["TXT"])
    assert str(world.pub.ipv4()) in str(results["A"])
    assert str(world.pub.ipv6()) in str(results["AAAA"])
    event = results["event"]
    assert isinstance(event, ServiceAdded)
    assert event.name.casefold() == "lab printer" and event.type.domain == DOMAIN
    assert event.info is not None and event.info.port == 631
    info = results["info"]
    assert info.host == "pub.example.test"  # type: ignore[attr-defined]
    assert set(info.all_addresses) == {world.pub.ipv4(), world.pub.ipv6()}  # type: ignore[attr-defined]
    assert info.txt == {"rp": b"ipp/print"}  # type: ignore[attr-defined]
    assert '"rp=ipp/new"' in str(results["txt_after"])
    assert zone_records(world.server, DOMAIN) == before


def test_browse_reports_additions_and_removals(world: World) -> None:
    """TTL-driven polling turns a registration and a withdrawal into events (poll floor 0.5 s)."""

    async def watch() -> list[BrowseEvent]:
        events: list[BrowseEvent] = []
        stream = browse("_pdl._tcp", DOMAIN, servers=str(world.server.address), poll_floor=0.5)
        async for event in stream:
            events.append(event)
            if isinstance(event, ServiceRemoved):
                break
        return events

    watching = world.far.submit(watch())

    async def scenario() -> None:
        async with _registrar(world) as registrar:
            registration = await registrar.register(Service("Poller", "_pdl._tcp", 9100))
            await asyncio.sleep(2.0)
            await registration.withdraw()

    world.on_pub(scenario())
    events = watching.result(30)
    assert [type(e) for e in events] == [ServiceAdded, ServiceRemoved]


def test_bad_tsig_key_is_a_clear_error_and_changes_nothing(world: World) -> None:
    before = zone_records(world.server, DOMAIN)
    wrong = TsigKey("lab-key.", "hmac-sha256", b"w" * 32)

    async def scenario() -> None:
        async with _registrar(world, tsig=wrong) as registrar:
            await registrar.register(Service("Intruder", "_http._tcp", 80))

    with pytest.raises(DnsServerError) as info:
        world.on_pub(scenario())
    assert "NOTAUTH" in info.value.rcode
    assert str(world.server.address) in str(info.value)
    assert DOMAIN in str(info.value)
    assert zone_records(world.server, DOMAIN) == before


def test_unsigned_update_is_refused(world: World) -> None:
    async def scenario() -> None:
        async with _registrar(world, tsig=None) as registrar:
            await registrar.register(Service("Anonymous", "_http._tcp", 80))

    with pytest.raises(DnsServerError) as info:
        world.on_pub(scenario())
    assert info.value.rcode in {"REFUSED", "NOTAUTH"}


def test_unreachable_server(world: World) -> None:
    async def scenario() -> None:
        async with open_registrar(DOMAIN, server="10.99.1.250", tsig=world.key_file, timeout=0.5):
            pass

    with pytest.raises(ServerUnreachableError) as info:
        world.on_pub(scenario())
    assert "10.99.1.250" in str(info.value)


def _nsupdate(world: World, script: str) -> None:
    world.pub.run("nsupdate", "-k", str(world.key_file), input=script)


def test_nsupdate_service_found_by_lanwise_and_clash_renames(world: World) -> None:
    """A service added by nsupdate resolves through lanwise; registering its name renames."""
    owner = f"Clash._http._tcp.{DOMAIN}."
    _nsupdate(
        world,
        f"server {world.server.address}\nzone {DOMAIN}\n"
        f"update add _http._tcp.{DOMAIN}. 1 PTR {owner}\n"
        f"update add {owner} 1 SRV 0 0 8080 ns.{DOMAIN}.\n"
        f'update add {owner} 1 TXT "by=nsupdate"\nsend\n',
    )
    info = world.on_far(resolve("Clash", "_http._tcp", DOMAIN, servers=str(world.resolver.address)))
    assert info.port == 8080
    assert info.txt == {"by": b"nsupdate"}
    assert set(info.all_addresses) == {world.ns.ipv4()}

    async def scenario() -> str:
        async with _registrar(world) as registrar:
            registration = await registrar.register(Service("Clash", "_http._tcp", 81))
            return registration.name

    assert world.on_pub(scenario()) == "Clash (2)"


@pytest.mark.serial  # the refresh falls in a window of a second and a half
def test_short_lease_is_refreshed_in_time(world: World) -> None:
    """RFC 9664: a 3 s lease is refreshed at 80% (≈2.4 s) and again after."""

    async def scenario() -> list[tuple[float, object]]:
        loop = asyncio.get_running_loop()
        async with _registrar(world, lease=3) as registrar:
            registration = await registrar.register(Service("Leaser", "_http._tcp", 82))
            start = loop.time()
            seen: list[tuple[float, object]] = []
            for _ in range(2):
                event = await registration.wait_event(timeout=10)
                seen.append((loop.time() - start, event))
            return seen

    seen = world.on_pub(scenario())
    assert all(isinstance(event, LeaseRefreshed) for _, event in seen)
    first, second = seen[0][0], seen[1][0]
    assert 2.0 <= first < 3.0
    assert 4.4 <= second < 6.0


def test_killed_registrant_leaves_records_until_the_lease_is_handled(world: World) -> None:
    """No goodbye from a killed process: the records stay in the zone (servers do not
    expire leases by themselves; see docs/widearea.md)."""
    code = (
        "import asyncio, sys\n"
        "from lanwise.dnssd import Service\n"
        "from lanwise.widearea import register\n"
        "async def main():\n"
        f"    await register(Service('Orphan', '_http._tcp', 83), '{DOMAIN}',\n"
        f"        server='{world.server.address}', tsig='{world.key_file}',\n"
        "        host='pub', lease=2, ttl=1)\n"
        "    print('up', flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    proc = world.pub.popen(sys.executable, "-c", code, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"up"
    proc.kill()
    proc.wait(5)
    time.sleep(3)  # past the 2 s lease
    assert "83 pub.example.test." in world.server.dig(
        "+short", "SRV", f"Orphan._http._tcp.{DOMAIN}"
    )


def _wait_for(check: object, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_host_records_follow_address_changes(world: World) -> None:
    """An address added to (then removed from) the registering host shows in (then leaves)
    its A records; withdrawal still leaves the zone as it was."""
    before = zone_records(world.server, DOMAIN)
    extra = "10.99.1.200"
    loop_done = world.pub.submit(_hold_registration(world))
    try:
        assert _wait_for(
            lambda: "mover" in world.server.dig("+short", "PTR", f"_mv._tcp.{DOMAIN}").lower()
        )
        world.pub.run("ip", "addr", "add", f"{extra}/24", "dev", world.pub.ifname())
        assert _wait_for(lambda: extra in world.server.dig("+short", "A", f"pub.{DOMAIN}"))
        world.pub.run("ip", "addr", "del", f"{extra}/24", "dev", world.pub.ifname())
        assert _wait_for(lambda: extra not in world.server.dig("+short", "A", f"pub.{DOMAIN}"))
        assert str(world.pub.ipv4()) in world.server.dig("+short", "A", f"pub.{DOMAIN}")
    finally:
        _release.set()
        loop_done.result(20)
    assert zone_records(world.server, DOMAIN) == before


_release = threading.Event()


async def _hold_registration(world: World) -> None:
    _release.clear()
    async with _registrar(world) as registrar:
        await registrar.register(Service("Mover", "_mv._tcp", 84))
        while not _release.is_set():
            await asyncio.sleep(0.1)


def test_resolve_through_resolv_conf_servers(world: World, tmp_path: Path) -> None:
    """With no server given, resolv.conf's are asked in order: a dead one, then the resolver."""
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver 10.99.2.250\nnameserver {world.resolver.address}\n")

    async def scenario() -> int:
        async with _registrar(world) as registrar:
            await registrar.register(Service("Via Conf", "_conf._tcp", 85))
            info = await world.far.gather(
                resolve("Via Conf", "_conf._tcp", DOMAIN, resolv_conf=conf, timeout=0.5)
            )
            return info.port

    assert world.on_pub(scenario()) == 85
