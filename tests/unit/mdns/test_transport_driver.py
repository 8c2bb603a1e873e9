"""The asyncio driver around the engine: timer, events, send errors (no mDNS network).

A stand-in engine records the calls; the only traffic is on loopback.
"""

from __future__ import annotations

import asyncio
import socket
from ipaddress import IPv4Address, IPv4Interface
from typing import Any, cast

import pytest

from lanwise.mdns.endpoints import Datagram, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import Event, RegistrationRemoved
from lanwise.mdns.selection import LinkState
from lanwise.mdns.sockets import send_packet_info
from lanwise.mdns.statistics import EngineStatistics
from lanwise.mdns.transport import MdnsTransport


class StandInEngine:
    """Just enough of the Engine's driving surface, with calls recorded."""

    def __init__(self) -> None:
        self.timer: float | None = None
        self.outgoing: list[Datagram] = []
        self.events: list[Event] = []
        self.timer_calls: list[float] = []
        self.closed_at: float | None = None
        self.interface_calls: list[tuple[str, int]] = []

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        out, self.outgoing = self.outgoing, []
        return out

    def get_timer(self) -> float | None:
        return self.timer

    def handle_timer(self, now: float) -> None:
        self.timer_calls.append(now)
        self.timer = None

    def next_event(self) -> Event | None:
        return self.events.pop(0) if self.events else None

    def statistics(self) -> EngineStatistics:
        return EngineStatistics()

    def close(self, now: float) -> None:
        self.closed_at = now

    def add_interface(self, index: int, addresses: Any, now: float, *, mtu: int) -> None:
        self.interface_calls.append(("add", index))

    def update_interface(self, index: int, addresses: Any, now: float, *, mtu: int) -> None:
        self.interface_calls.append(("update", index))

    def remove_interface(self, index: int, now: float) -> None:
        self.interface_calls.append(("remove", index))


def _transport(engine: StandInEngine) -> MdnsTransport:
    return MdnsTransport(
        cast(Engine, engine),
        selection=None,
        families=frozenset({4}),
        loop=asyncio.get_running_loop(),
    )


async def test_timer_is_armed_at_the_engine_deadline_and_fires_handle_timer() -> None:
    engine = StandInEngine()
    transport = _transport(engine)
    loop = asyncio.get_running_loop()
    engine.timer = loop.time() + 0.05
    transport.flush()
    assert engine.timer_calls == []
    await asyncio.sleep(0.1)
    assert len(engine.timer_calls) == 1
    assert engine.timer_calls[0] >= loop.time() - 0.1
    engine.timer = None
    transport.flush()  # nothing more to wait for: no timer left armed
    await asyncio.sleep(0.02)
    assert len(engine.timer_calls) == 1
    transport.close()


async def test_events_reach_listeners_streams_and_waiters_in_order() -> None:
    engine = StandInEngine()
    transport = _transport(engine)
    seen: list[Event] = []
    remove = transport.add_listener(seen.append)
    first, second = (RegistrationRemoved(cast(Any, n)) for n in ("one", "two"))
    async with transport.subscribe() as stream:
        waiting = asyncio.ensure_future(transport.wait_event(lambda e: e is second, timeout=1))
        await asyncio.sleep(0)
        engine.events += [first, second]
        transport.flush()
        assert await waiting is second
        assert [stream.get_nowait(), stream.get_nowait(), stream.get_nowait()] == [
            first,
            second,
            None,
        ]
    remove()
    engine.events.append(first)
    transport.flush()
    assert seen == [first, second]
    with pytest.raises(TimeoutError):
        await transport.wait_event(lambda e: False, timeout=0.01)
    transport.close()


async def test_a_failing_listener_does_not_stop_the_others() -> None:
    engine = StandInEngine()
    transport = _transport(engine)
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    transport.add_listener(broken)
    transport.add_listener(seen.append)
    engine.events.append(RegistrationRemoved(cast(Any, "x")))
    transport.flush()
    assert len(seen) == 1
    transport.close()


async def test_a_send_error_on_one_interface_is_counted_and_others_still_send() -> None:
    """ENODEV/ENXIO/ENETDOWN on one interface never stops the others."""
    engine = StandInEngine()
    transport = _transport(engine)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with receiver, sender:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(2)
        sender.bind(("127.0.0.1", 0))
        transport._attach(4, sender)
        lo, gone = socket.if_nametoindex("lo"), 1_000_000
        entry = transport._sockets[4]
        entry.joined[lo] = [send_packet_info(socket.AF_INET, lo)]
        entry.joined[gone] = [send_packet_info(socket.AF_INET, gone)]
        target = EngineEndpoint(IPv4Address("127.0.0.1"), receiver.getsockname()[1])
        engine.outgoing = [
            Datagram(b"lost", target, gone),
            Datagram(b"delivered", target, lo),
            Datagram(b"no socket", target, 77),
        ]
        transport.flush()
        assert receiver.recv(100) == b"delivered"
        stats = transport.statistics()
        assert stats.links[gone].send_errors == 1
        assert stats.links[gone].last_send_error is not None
        assert (stats.links[lo].packets_sent, stats.links[lo].send_errors) == (1, 0)
        assert stats.unsendable == 1
        assert stats.send_errors == 1
        transport.close()


async def test_close_lets_the_engine_say_goodbye_then_stops_the_timer() -> None:
    engine = StandInEngine()
    transport = _transport(engine)
    engine.timer = asyncio.get_running_loop().time() + 0.02
    transport.flush()
    transport.close()
    assert engine.closed_at is not None
    await asyncio.sleep(0.05)
    assert engine.timer_calls == []  # the timer died with the transport
    transport.close()  # idempotent


async def test_interface_changes_reach_the_engine_in_order() -> None:
    engine = StandInEngine()
    transport = _transport(engine)
    state = LinkState(5, "eth5", (IPv4Interface("10.0.0.5/24"),))
    assert transport.interfaces == {}
    assert transport.apply_interfaces({}) == []  # nothing served, nothing to do
    transport._links[5] = state
    changes = transport.apply_interfaces({})  # eth5 vanished from the snapshot
    assert [(c.action, c.index) for c in changes] == [("remove", 5)]
    assert engine.interface_calls == [("remove", 5)]
    transport.close()
