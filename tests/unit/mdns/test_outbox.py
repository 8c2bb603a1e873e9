"""The outbox memoises packing by record identity: it must never hand out stale bytes."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

from lanwise.dns import PTR, SRV, A, Name, Record, parse_message
from lanwise.mdns.links import Link
from lanwise.mdns.outbox import Group, Outbox
from lanwise.mdns.statistics import EngineStatistics

HOST = Name("box.local")
SERVICE = Name("_ipp._tcp.local")
INSTANCE = SERVICE.child("Printer")
LINK = Link(2, (IPv4Interface("192.168.1.10/24"),))


def answer_group(ttl: int = 4500, port: int = 631) -> Group:
    ptr = Record.of(SERVICE, PTR(INSTANCE), ttl)
    srv = Record.of(INSTANCE, SRV(0, 0, port, HOST), 120, cache_flush=True)
    address = Record.of(HOST, A(IPv4Address("192.168.1.10")), 120, cache_flush=True)
    return ((), (ptr,), (), [srv, address])


def sent(outbox: Outbox) -> list[bytes]:
    out = [d.data for d in outbox.datagrams]
    outbox.datagrams.clear()
    return out


def test_the_same_records_give_the_same_bytes_and_new_records_new_bytes() -> None:
    stats = EngineStatistics()
    outbox = Outbox(stats)
    group = answer_group()
    outbox.send_groups(LINK, 4, [group])
    first = sent(outbox)
    outbox.send_groups(LINK, 4, [group])
    assert sent(outbox) == first  # memoised: identical objects, identical datagram
    # Equal keys but another TTL (a new Record object): packed afresh.
    outbox.send_groups(LINK, 4, [answer_group(ttl=0)])
    (goodbye,) = sent(outbox)
    assert parse_message(goodbye).answers[0].ttl == 0
    assert stats.interfaces[LINK.index].packets_sent == 3  # memo hits are counted too


def test_a_reused_list_changed_afterwards_is_not_mistaken_for_the_old_one() -> None:
    """The memo snapshots the sections: a caller mutating its list must not get old bytes."""
    outbox = Outbox(EngineStatistics())
    questions, answers, authorities, additionals = answer_group()
    extra = list(additionals)
    outbox.send_groups(LINK, 4, [(questions, answers, authorities, extra)])
    with_additionals = parse_message(sent(outbox)[0])
    assert len(with_additionals.additionals) == 2
    extra.clear()  # the same list object, now empty
    outbox.send_groups(LINK, 4, [(questions, answers, authorities, extra)])
    assert parse_message(sent(outbox)[0]).additionals == ()
    extra.append(answer_group(port=9)[3][0])  # a different SRV in the same list
    outbox.send_groups(LINK, 4, [(questions, answers, authorities, extra)])
    (srv,) = parse_message(sent(outbox)[0]).additionals
    assert isinstance(srv.rdata, SRV) and srv.rdata.port == 9
