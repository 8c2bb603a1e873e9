"""The avahi backend's parts that need no daemon: signal merging, mapping, the
early-signal buffer, the backend choice, and that both responders fit one protocol."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest
from dbus_fast import Message, MessageType

from lanwise.cli import main
from lanwise.dnssd import (
    DnssdRegistration,
    DnssdResponder,
    Registration,
    ResolvedServiceAdded,
    Responder,
    ServiceAdded,
    ServiceRemoved,
    ServiceType,
    ServiceUpdated,
    open_responder,
)
from lanwise.dnssd.avahi import AvahiError, AvahiRegistration, AvahiResponder
from lanwise.dnssd.avahi.browse_state import AvahiBrowseState, parse_address
from lanwise.dnssd.avahi.client import AvahiClient
from lanwise.dnssd.avahi.constants import (
    PROTO_INET,
    PROTO_INET6,
    PROTO_UNSPEC,
    family_of,
    protocol_for,
)
from lanwise.dnssd.backend import check_backend
from lanwise.errors import UsageError

HTTP = ServiceType.parse("_http._tcp")


def _state(resolve: bool, families: frozenset[int] = frozenset((4, 6))) -> AvahiBrowseState:
    return AvahiBrowseState(HTTP, resolve=resolve, families=families, scope=lambda i: "eth0")


def _found(state: AvahiBrowseState, protocol: int, address: str, **kw: Any) -> list[Any]:
    fields: dict[str, Any] = {
        "host": "box.local",
        "aprotocol": protocol,
        "address": address,
        "port": 80,
        "txt": [b"a=1"],
    }
    fields.update(kw)
    return state.found(2, protocol, "Box", **fields)


# -- (interface, protocol) merged into one instance per interface ------------------------
def test_an_instance_seen_over_both_transports_is_one_added_and_one_removed() -> None:
    state = _state(resolve=False)
    assert state.item_new(2, PROTO_INET, "Box") == [ServiceAdded("Box", HTTP, 2)]
    assert state.item_new(2, PROTO_INET6, "Box") == []
    assert state.item_remove(2, PROTO_INET, "Box") == []
    assert state.item_remove(2, PROTO_INET6, "Box") == [ServiceRemoved("Box", HTTP, 2)]
    assert state.item_remove(2, PROTO_INET6, "Box") == []


def test_two_interfaces_are_two_instances() -> None:
    state = _state(resolve=False)
    state.item_new(2, PROTO_INET, "Box")
    state.item_new(3, PROTO_INET, "Box")
    assert sorted(e.interface for e in state.current()) == [2, 3]


def test_resolved_addresses_of_both_families_merge_per_interface() -> None:
    state = _state(resolve=True)
    assert state.item_new(2, PROTO_INET, "Box") == []  # not resolved yet
    state.item_new(2, PROTO_INET6, "Box")
    (added,) = _found(state, PROTO_INET, "10.0.0.5")
    assert isinstance(added, ResolvedServiceAdded)  # info never None, as the engine's
    assert added.info.addresses == {2: (IPv4Address("10.0.0.5"),)}
    assert (added.info.host, added.info.port, added.info.txt_strings) == (
        "box.local",
        80,
        (b"a=1",),
    )
    (updated,) = _found(state, PROTO_INET6, "fe80::1")
    assert isinstance(updated, ServiceUpdated)
    assert updated.info.addresses == {2: (IPv4Address("10.0.0.5"), IPv6Address("fe80::1%eth0"))}
    assert _found(state, PROTO_INET6, "fe80::1") == []  # the same again: no event


def test_a_resolver_failure_takes_its_address_and_the_last_one_removes() -> None:
    state = _state(resolve=True)
    state.item_new(2, PROTO_INET, "Box")
    state.item_new(2, PROTO_INET6, "Box")
    _found(state, PROTO_INET, "10.0.0.5")
    _found(state, PROTO_INET6, "fe80::1")
    (updated,) = state.failed(2, PROTO_INET6, "Box")
    assert isinstance(updated, ServiceUpdated)
    assert updated.info.addresses == {2: (IPv4Address("10.0.0.5"),)}
    assert state.failed(2, PROTO_INET, "Box") == [ServiceRemoved("Box", HTTP, 2)]


def test_families_limit_the_addresses_reported() -> None:
    state = _state(resolve=True, families=frozenset((4,)))
    state.item_new(2, PROTO_INET6, "Box")
    assert _found(state, PROTO_INET6, "2001:db8::1") == []  # no IPv4 address: not resolvable


def test_a_late_answer_for_a_removed_instance_is_dropped() -> None:
    state = _state(resolve=True)
    state.item_new(2, PROTO_INET, "Box")
    state.item_remove(2, PROTO_INET, "Box")
    assert _found(state, PROTO_INET, "10.0.0.5") == []


def test_a_lost_daemon_removes_everything_reported() -> None:
    state = _state(resolve=False)
    state.item_new(2, PROTO_INET, "Box")
    state.item_new(3, PROTO_INET, "Other")
    assert sorted(e.name for e in state.clear()) == ["Box", "Other"]
    assert state.current() == []


def test_an_empty_txt_is_one_empty_string() -> None:
    """RFC 6763 §6.1: a TXT record holds at least one string; avahi sends none."""
    state = _state(resolve=True)
    state.item_new(2, PROTO_INET, "Box")
    (added,) = _found(state, PROTO_INET, "10.0.0.5", txt=[])
    assert added.info.txt_strings == (b"",)


def test_garbage_addresses_are_dropped() -> None:
    assert parse_address("not an address", PROTO_INET, None) is None
    assert parse_address("10.0.0.1", 7, None) is None
    assert parse_address("fe80::1%eth9", PROTO_INET6, "eth0") == IPv6Address("fe80::1%eth0")


def test_protocols_map_to_families() -> None:
    assert protocol_for((4,)) == PROTO_INET
    assert protocol_for((6,)) == PROTO_INET6
    assert protocol_for((4, 6)) == PROTO_UNSPEC
    assert [family_of(p) for p in (PROTO_INET, PROTO_INET6, PROTO_UNSPEC)] == [4, 6, None]


# -- signals that come before the reply naming their object -------------------------------
class FakeBus:
    connected = True

    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def add_message_handler(self, handler: Any) -> None:
        self.handlers.append(handler)

    def deliver(self, message: Message) -> None:
        for handler in self.handlers:
            handler(message)


def _signal(path: str, member: str, body: list[Any], signature: str) -> Message:
    return Message(
        message_type=MessageType.SIGNAL,
        path=path,
        interface="org.freedesktop.Avahi.ServiceBrowser",
        member=member,
        signature=signature,
        body=body,
        sender=":1.5",
    )


def test_signals_before_the_creation_reply_are_replayed_in_order() -> None:
    bus = FakeBus()
    client = AvahiClient(bus, "unix:path=/nowhere")  # type: ignore[arg-type]
    got: list[tuple[str, list[Any]]] = []
    client._creating = 1  # a *New call is in flight
    item = [2, 0, "Box", "_http._tcp", "local", 0]
    bus.deliver(_signal("/Client1/ServiceBrowser1", "ItemNew", item, "iisssu"))
    bus.deliver(_signal("/Client1/ServiceBrowser1", "AllForNow", [], ""))
    client._creating = 0
    client.watch("/Client1/ServiceBrowser1", lambda member, body: got.append((member, body)))
    assert got == [("ItemNew", item), ("AllForNow", [])]
    bus.deliver(_signal("/Client1/ServiceBrowser1", "CacheExhausted", [], ""))
    assert got[-1] == ("CacheExhausted", [])


def test_unclaimed_signals_are_not_kept_when_nothing_is_being_created() -> None:
    bus = FakeBus()
    client = AvahiClient(bus, "unix:path=/nowhere")  # type: ignore[arg-type]
    bus.deliver(_signal("/Client1/ServiceBrowser9", "AllForNow", [], ""))
    got: list[str] = []
    client.watch("/Client1/ServiceBrowser9", lambda member, body: got.append(member))
    assert got == []


def test_the_daemon_leaving_and_returning_is_reported() -> None:
    bus = FakeBus()
    client = AvahiClient(bus, "unix:path=/nowhere")  # type: ignore[arg-type]
    seen: list[bool] = []
    client.on_owner_changed = seen.append
    for new_owner in ("", ":1.9"):
        bus.deliver(
            Message(
                message_type=MessageType.SIGNAL,
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="NameOwnerChanged",
                signature="sss",
                body=["org.freedesktop.Avahi", ":1.5", new_owner],
                sender="org.freedesktop.DBus",
            )
        )
    assert seen == [False, True]


def test_a_malformed_signal_is_dropped() -> None:
    bus = FakeBus()
    client = AvahiClient(bus, "unix:path=/nowhere")  # type: ignore[arg-type]

    def broken(member: str, body: list[Any]) -> None:
        raise IndexError("short body")

    client.watch("/Client1/ServiceBrowser1", broken)
    bus.deliver(_signal("/Client1/ServiceBrowser1", "ItemNew", [], ""))  # no exception
    assert client.dropped_signals == 1


# -- choosing a backend -------------------------------------------------------------------
def test_backend_names() -> None:
    assert check_backend("engine") == "engine"
    assert check_backend("avahi") == "avahi"
    with pytest.raises(UsageError, match="backend"):
        check_backend("bonjour")


async def test_open_responder_refuses_an_unknown_backend() -> None:
    with pytest.raises(UsageError, match="backend"):
        async with open_responder(backend="bonjour"):
            pass


async def test_avahi_owns_the_host_name() -> None:
    with pytest.raises(UsageError, match="host_name"):
        async with open_responder(backend="avahi", host_name="mine"):
            pass


async def test_no_bus_is_an_avahi_error() -> None:
    from lanwise.dnssd.avahi import open_avahi_responder  # noqa: PLC0415

    with pytest.raises(AvahiError, match="no D-Bus system bus"):
        async with open_avahi_responder(bus_address="unix:path=/nonexistent/bus.sock"):
            pass


def test_cli_backend_choice(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["resolve", "--backend", "bonjour", "X", "_http._tcp"])
    assert exited.value.code == 2
    assert "--backend" in capsys.readouterr().err


def test_cli_avahi_without_a_bus_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus.sock")
    assert main(["lookup", "--backend", "avahi", "box.local"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no D-Bus system bus" in err


# -- one protocol, two backends (checked by mypy --strict) ----------------------------------
def _engine_fits(responder: Responder, registration: Registration) -> DnssdResponder:
    fits: DnssdRegistration = registration
    assert fits is registration
    return responder


def _avahi_fits(responder: AvahiResponder, registration: AvahiRegistration) -> DnssdResponder:
    fits: DnssdRegistration = registration
    assert fits is registration
    return responder


def test_both_responders_fit_the_protocol_at_runtime() -> None:
    for cls in (Responder, AvahiResponder):
        for name in ("register", "browse", "resolve", "resolve_host", "interfaces", "closed"):
            assert hasattr(cls, name), (cls, name)
    assert callable(_engine_fits) and callable(_avahi_fits)


# -- avahi < 0.8 has no Server2.*Prepare ------------------------------------------------------
class OldAvahi:
    """A client whose daemon predates avahi 0.8: *Prepare is an unknown method."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def create(
        self, interface: str, member: str, signature: str, body: list[Any], handler: Any
    ) -> str:
        self.calls.append(f"{interface.rsplit('.', 1)[1]}.{member}")
        if member.endswith("Prepare"):
            raise AvahiError("no such method", "org.freedesktop.DBus.Error.UnknownMethod")
        return "/Client1/ServiceBrowser1"

    async def call(self, path: str, interface: str, member: str, *args: Any) -> list[Any]:
        self.calls.append(f"{path} {member}")
        return []


async def test_an_older_avahi_gets_new_and_later_objects_skip_prepare() -> None:
    responder = AvahiResponder("unix:path=/nowhere", frozenset((4, 6)), None)
    old = OldAvahi()
    responder._client = old  # type: ignore[assignment]
    body = [-1, -1, "_http._tcp", "local", 0]
    for _ in range(2):
        path = await responder._new_object(
            "org.freedesktop.Avahi.ServiceBrowser", "ServiceBrowser", "iissu", body, print
        )
        assert path == "/Client1/ServiceBrowser1"
    assert old.calls == [
        "Server2.ServiceBrowserPrepare",
        "Server.ServiceBrowserNew",
        "Server.ServiceBrowserNew",
    ]
