"""The avahi backend against a real avahi-daemon (its own dbus-daemon per lab host).

lanwise runs on host "a" through a's avahi-daemon (``open_avahi_responder`` with
a's private bus, or the CLI with ``--backend avahi`` and a's
DBUS_SYSTEM_BUS_ADDRESS); avahi-utils on a and on b check what is on the wire.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import pytest

from lanwise.dnssd import ResolvedServiceAdded, Service
from lanwise.dnssd.avahi import AvahiError, AvahiRegistration, open_avahi_responder
from lanwise.errors import LanwiseError
from tests.harness import Host, Lab
from tests.harness.avahi import Avahi, start_avahi
from tests.harness.dbus import start_system_bus

pytestmark = [pytest.mark.lab, pytest.mark.interop]

KITCHEN = Service("Kitchen via Avahi", "_http._tcp", 8080, ["path=/ui", "dark"])


def _until(check: Any, timeout: float = 15.0, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def _seen(avahi: Avahi, name: str, stype: str = "_http._tcp") -> list[Any]:
    return [e for e in avahi.browse(stype) if e.resolved and e.name == name]


class Held:
    """An avahi-backed responder on a host's loop holding registrations until stopped."""

    def __init__(self, host: Host, avahi: Avahi, **kw: Any) -> None:
        self.host = host
        self.renames: list[tuple[str, str]] = []
        self.errors: list[LanwiseError] = []
        self._stop = asyncio.Event()
        self._ready: asyncio.Future[Any] | None = None
        self._kw = kw
        self.address = avahi.bus.address
        self.registrations: list[AvahiRegistration] = []
        self._done = host.submit(self._serve())
        _until(lambda: self._ready is not None, 10, 0.02)
        assert self._ready is not None
        host.wait(self._wait_ready())

    async def _wait_ready(self) -> None:
        assert self._ready is not None
        await asyncio.wait_for(asyncio.shield(self._ready), 30)

    async def _serve(self) -> None:
        self._ready = asyncio.get_running_loop().create_future()
        try:
            async with open_avahi_responder(bus_address=self.address, **self._kw) as responder:
                self.responder = responder
                self._ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def register(self, service: Service, **kw: Any) -> AvahiRegistration:
        async def go() -> AvahiRegistration:
            registration = await self.responder.register(service, **kw)
            registration.add_rename_callback(lambda r, old, new: self.renames.append((old, new)))
            registration.add_error_callback(lambda r, error: self.errors.append(error))
            self.registrations.append(registration)
            return registration

        return self.host.wait(go())

    def stop(self) -> None:
        self.host.loop.call_soon_threadsafe(self._stop.set)
        self._done.result(30)


def test_publish_and_withdraw_seen_by_avahi_browse_here_and_elsewhere(lab: Lab) -> None:
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    held = Held(a, avahi_a)
    try:
        registration = held.register(KITCHEN, timeout=20)
        assert registration.name == "Kitchen via Avahi" and registration.established
        here = _until(lambda: _seen(avahi_a, "Kitchen via Avahi"))
        there = _until(lambda: _seen(avahi_b, "Kitchen via Avahi"))
        assert {e.host_name for e in here + there} == {"a.local"}
        assert {e.port for e in there} == {8080}
        assert all(set(e.txt) == {b"path=/ui", b"dark"} for e in there)
        assert a.ipv4() in {e.address for e in there}
        a.wait(registration.withdraw())
        gone = _until(lambda: not _seen(avahi_b, "Kitchen via Avahi"))
        assert gone
    finally:
        held.stop()


def test_txt_update_and_rename_reach_another_host(lab: Lab) -> None:
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    held = Held(a, avahi_a)
    try:
        registration = held.register(KITCHEN, timeout=20)
        a.wait(registration.update_txt({"path": "/v2"}))
        assert _until(lambda: {e.txt for e in _seen(avahi_b, KITCHEN.name)} == {(b"path=/v2",)})
        a.wait(registration.rename("Kitchen Renamed"))
        assert a.wait(registration.wait_established(20)) == "Kitchen Renamed"
        assert ("Kitchen via Avahi", "Kitchen Renamed") in held.renames
        assert _until(lambda: _seen(avahi_b, "Kitchen Renamed"))
        assert _until(lambda: not _seen(avahi_b, KITCHEN.name))
    finally:
        held.stop()


def test_browse_resolve_and_lookup_an_avahi_service_through_avahi(lab: Lab) -> None:
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    with avahi_b.publish_service("Printer B", "_ipp._tcp", 631, ["rp=x"]) as pub:
        assert pub.wait_established() == "Printer B"

        async def browse_and_resolve() -> tuple[list[ResolvedServiceAdded], Any, Any, Any]:
            async with open_avahi_responder(bus_address=avahi_a.bus.address) as responder:
                async with responder.browse("_ipp._tcp", resolve=True) as browser:
                    found = await browser.wait_settled(minimum=2.0, timeout=10)
                async with (
                    responder.browse(None) as every,
                    responder.browse("_services._dns-sd._udp") as types,
                ):
                    everything = await every.wait_settled(minimum=2.0, timeout=10)
                    type_names = await types.wait_settled(minimum=1.0, timeout=10)
                info = await responder.resolve("Printer B", "_ipp._tcp")
                host = await responder.resolve_host("b")
                return found, info, host, (everything, type_names)

        found, info, host, (everything, type_names) = a.wait(browse_and_resolve())
    assert ("Printer B", "_ipp._tcp") in {(e.name, str(e.type)) for e in everything}
    assert "_ipp._tcp" in {e.name for e in type_names}
    mine = [e for e in found if e.name == "Printer B"]
    assert mine and all(e.info is not None for e in mine)
    assert {e.interface for e in mine} == {a.ifindex()}
    event_info = mine[0].info
    assert event_info is not None
    assert event_info.host == "b.local" and event_info.port == 631
    assert event_info.txt == {"rp": b"x"}
    assert b.ipv4() in event_info.addresses[a.ifindex()]
    assert {x.version for x in event_info.addresses[a.ifindex()]} == {4, 6}
    assert info.host == "b.local" and info.port == 631 and info.txt == {"rp": b"x"}
    assert b.ipv4() in info.all_addresses
    assert {x.version for x in info.all_addresses} == {4, 6}
    assert host.name == "b.local"
    assert b.ipv4() in [x for found in host.addresses.values() for x in found]
    assert list(host.addresses) == [a.ifindex()]


def test_a_taken_name_is_renamed_the_lanwise_way_and_reported(lab: Lab) -> None:
    """RFC 6762 §9 through avahi: COLLISION → "Name (2)" (not avahi's "Name #2")."""
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    with avahi_b.publish_service("Shared Name", "_http._tcp", 80) as pub:
        assert pub.wait_established() == "Shared Name"
        held = Held(a, avahi_a)
        try:
            registration = held.register(Service("Shared Name", "_http._tcp", 81), timeout=20)
            assert registration.name == "Shared Name (2)"
            assert registration.service.name == "Shared Name (2)"
            seen = _until(lambda: _seen(avahi_b, "Shared Name (2)"))
            assert {e.port for e in seen} == {81}
        finally:
            held.stop()


def test_a_conflict_after_registering_renames_and_calls_back(lab: Lab) -> None:
    """Registered without waiting while another host holds the name: the callback says so."""
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    with avahi_b.publish_service("Taken", "_http._tcp", 80) as pub:
        assert pub.wait_established() == "Taken"
        held = Held(a, avahi_a)
        try:
            registration = held.register(Service("Taken", "_http._tcp", 81), wait=False)
            name = a.wait(registration.wait_established(20))
            assert name == "Taken (2)"
            assert ("Taken", "Taken (2)") in held.renames
        finally:
            held.stop()


def test_a_daemon_restart_is_survived(lab: Lab) -> None:
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    held = Held(a, avahi_a)
    try:
        registration = held.register(KITCHEN, timeout=20)
        assert _until(lambda: _seen(avahi_b, KITCHEN.name))
        avahi_a.restart_daemon()
        back = _until(lambda: registration.established, timeout=20, every=0.1)
        assert back, registration.interfaces
        assert _until(lambda: _seen(avahi_b, KITCHEN.name))
        assert held.errors == []
        assert registration.error is None
    finally:
        held.stop()


def test_a_daemon_that_does_not_come_back_is_reported(lab: Lab) -> None:
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    held = Held(a, avahi_a, restart_grace=2.0)
    try:
        registration = held.register(KITCHEN, timeout=20)
        avahi_a.stop_daemon()
        reported = _until(lambda: held.errors, timeout=10, every=0.1)
        assert reported and isinstance(reported[0], AvahiError)
        assert "not back" in str(reported[0]) and KITCHEN.name in str(reported[0])
        assert registration.error is reported[0]
        assert not registration.established
        # And when it does come back after all, the service is registered again.
        avahi_a.start_daemon()
        assert _until(lambda: registration.established, timeout=20, every=0.1)
        assert registration.error is None
        assert _until(lambda: _seen(avahi_b, KITCHEN.name))
    finally:
        held.stop()


def test_the_srv_follows_a_new_avahi_host_name(lab: Lab) -> None:
    """avahi re-probes a new host name (server REGISTERING): the service is added again."""
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    held = Held(a, avahi_a)
    try:
        held.register(KITCHEN, timeout=20)
        assert {e.host_name for e in _until(lambda: _seen(avahi_b, KITCHEN.name))} == {"a.local"}
        avahi_a.run("avahi-set-host-name", "a-renamed")
        moved = _until(
            lambda: {e.host_name for e in _seen(avahi_b, KITCHEN.name)} == {"a-renamed.local"},
            timeout=20,
        )
        assert moved, _seen(avahi_b, KITCHEN.name)
        assert held.registrations[0].established
    finally:
        held.stop()


def test_the_bus_restarting_is_survived(lab: Lab) -> None:
    """The system bus itself goes (and avahi with it): reconnect, register again."""
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    held = Held(a, avahi_a)
    try:
        registration = held.register(KITCHEN, timeout=20)
        avahi_a.stop_daemon()
        avahi_a.bus.stop()
        assert _until(lambda: not registration.established, timeout=5, every=0.05)
        avahi_a.bus = start_system_bus(a, avahi_a.directory)
        avahi_a.start_daemon()
        assert _until(lambda: registration.established, timeout=20, every=0.1)
        assert _until(lambda: _seen(avahi_b, KITCHEN.name))
        assert held.errors == []
    finally:
        held.stop()


def test_no_daemon_is_a_clear_error(lab: Lab) -> None:
    a = lab.host("a")
    avahi_a = start_avahi(a)
    avahi_a.stop_daemon()

    async def open_it() -> str:
        try:
            async with open_avahi_responder(bus_address=avahi_a.bus.address):
                return "opened"
        except AvahiError as exc:
            return str(exc)

    assert "avahi-daemon is not running" in a.wait(open_it())


def test_cli_backend_avahi(lab: Lab) -> None:
    """publish/browse/resolve/lookup --backend avahi, each through its host's own daemon."""
    a, b = lab.host("a"), lab.host("b")
    avahi_a, avahi_b = start_avahi(a), start_avahi(b)
    publisher = a.popen(
        sys.executable,
        "-m",
        "lanwise",
        "publish",
        "--backend",
        "avahi",
        "CLI Service",
        "_http._tcp",
        "8081",
        "k=v",
        env=avahi_a.env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert publisher.stdout is not None
        line = publisher.stdout.readline()
        assert line.startswith("Established under name 'CLI Service'"), line
        assert _until(lambda: _seen(avahi_b, "CLI Service"))
        env = avahi_b.env()
        browse = b.lanwise("browse", "--backend", "avahi", "-r", "-t", "-p", "_http._tcp", env=env)
        assert "CLI Service" in browse.stdout.replace("\\032", " ")
        resolved = b.lanwise("resolve", "--backend", "avahi", "CLI Service", "_http._tcp", env=env)
        assert "a.local" in resolved.stdout and "8081" in resolved.stdout
        assert str(a.ipv4()) in resolved.stdout
        looked = b.lanwise("lookup", "--backend", "avahi", "a.local", env=env)
        assert str(a.ipv4()) in looked.stdout
    finally:
        publisher.terminate()
        publisher.wait(10)
    assert _until(lambda: not _seen(avahi_b, "CLI Service"))
