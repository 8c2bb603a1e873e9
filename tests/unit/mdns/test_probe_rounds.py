"""One random probe wait per round (RFC 6762 §8.1), stepped by hand on a fake clock.

Registering many services takes the caller a while, so registrations can arrive
after the round they joined was due but before it was sent. They must still
travel in that round (one random 0–250 ms wait for every name probed together),
not draw a wait of their own and probe a round later.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Interface

import pytest

from lanwise.dns import Message, Name, parse_message
from lanwise.mdns.engine import Engine
from lanwise.mdns.registration import ServiceRecords

from .fakelink import INDEX


class FixedWaits(random.Random):
    """A Random whose ``uniform`` returns the given waits in turn (and counts the draws)."""

    def __init__(self, *waits: float) -> None:
        super().__init__(0)
        self.waits = list(waits)
        self.draws = 0

    def uniform(self, a: float, b: float) -> float:
        self.draws += 1
        wait = self.waits.pop(0)
        assert a <= wait <= b
        return wait


def printer(name: str) -> ServiceRecords:
    return ServiceRecords(name, "_ipp._tcp", 631, (b"txtvers=1",))


def probes(e: Engine, now: float) -> list[Message]:
    return [m for m in (parse_message(d.data) for d in e.datagrams_to_send(now)) if m.authorities]


def probed_names(sent: list[Message]) -> set[Name]:
    return {q.name for m in sent for q in m.questions}


def test_late_registrations_join_the_overdue_round_section_8_1() -> None:
    """§8.1: names registered after the round was due, before it was sent, probe in it."""
    rng = FixedWaits(0.010, 0.200)
    e = Engine(host_name="alpha", rng=rng)
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)  # host round at 0.010
    e.register(printer("Printer 0"), 0.0)
    e.register(printer("Printer 1"), 0.05)  # past the round's start, not yet sent
    e.register(printer("Printer 2"), 0.12)
    assert rng.draws == 1
    assert e.get_timer() == pytest.approx(0.010)
    first = probes(e, 0.12)  # the driver gets to it late: all four names at once
    assert probed_names(first) == {
        Name("alpha.local"),
        *(Name(f"Printer {i}._ipp._tcp.local") for i in range(3)),
    }
    # §8.1: the next probes 250 ms after this one, all together, then announce.
    assert e.get_timer() == pytest.approx(0.37)
    assert len(probed_names(probes(e, 0.37))) == 4
    assert len(probed_names(probes(e, 0.62))) == 4
    assert probes(e, 0.87) == []
    assert rng.draws == 1


def test_a_sent_round_is_closed_to_new_names_section_8_1() -> None:
    """§8.1: once a round's probes went out, a new name draws a fresh 0–250 ms wait."""
    rng = FixedWaits(0.010, 0.150)
    e = Engine(host_name="alpha", rng=rng)
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    assert len(probes(e, 0.010)) == 1  # the host's first probe: round closed
    e.register(printer("Late"), 0.05)
    assert rng.draws == 2
    assert e.get_timer() == pytest.approx(0.20)  # host's second probe is at 0.26
    assert probed_names(probes(e, 0.20)) == {Name("Late._ipp._tcp.local")}


def test_an_abandoned_overdue_round_is_not_joined_section_8_1() -> None:
    """§8.1: a name never probes without a random wait: a round nobody waits on is not reused."""
    rng = FixedWaits(0.010, 0.150)
    e = Engine(host_name="alpha", rng=rng, publish_addresses=False)  # no host entry
    e.add_interface(INDEX, [IPv4Interface("192.168.1.10/24")], 0.0)
    gone = e.register(printer("Gone"), 0.0)  # round at 0.010
    e.unregister(gone, 0.005)
    e.register(printer("Next"), 0.10)  # the old round is overdue, but empty
    assert rng.draws == 2
    assert probes(e, 0.10) == []
    assert e.get_timer() == pytest.approx(0.25)
    assert probed_names(probes(e, 0.25)) == {Name("Next._ipp._tcp.local")}
