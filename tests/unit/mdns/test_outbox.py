"""The outbox memoises packing by record identity: it must never hand out stale bytes."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv6Interface

from lanwise.dns import PTR, SRV, A, Name, Record, parse_message
from lanwise.mdns.endpoints import MDNS_IPV4_ENDPOINT, MDNS_IPV6_ENDPOINT
from lanwise.mdns.links import Link
from lanwise.mdns.outbox import RESPONSE_FLAGS, Group, Outbox
from lanwise.mdns.statistics import EngineStatistics

HOST = Name("box.local")
SERVICE = Name("_ipp._tcp.local")
INSTANCE = SERVICE.child("Printer")
LINK = Link(2, (IPv4Interface("192.168.1.10/24"),))
DUAL_LINK = Link(2, (IPv4Interface("192.168.1.10/24"), IPv6Interface("fe80::10/64")))


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


# Large multicast batches (many services probing or announcing, RFC 6762 §17).


def groups(count: int, port: int = 631) -> list[Group]:
    address = Record.of(HOST, A(IPv4Address("192.168.1.10")), 120, cache_flush=True)
    out: list[Group] = []
    for i in range(count):
        instance = Name(f"Printer {i}._ipp._tcp.local")
        srv = Record.of(instance, SRV(0, 0, port, HOST), 120, cache_flush=True)
        out.append(((), (srv,), (), (address,)))
    return out


def test_large_batch_same_messages_on_both_versions_within_both_limits_section_17() -> None:
    """§17: one packing serves IPv4 and IPv6; every message fits the smaller (IPv6) limit."""
    outbox = Outbox(EngineStatistics())
    batch = groups(500)
    outbox.multicast_groups(DUAL_LINK, DUAL_LINK.versions, batch)
    v4 = [d.data for d in outbox.datagrams if d.destination == MDNS_IPV4_ENDPOINT]
    v6 = [d.data for d in outbox.datagrams if d.destination == MDNS_IPV6_ENDPOINT]
    assert v4 == v6 and len(v4) > 1
    assert all(len(data) <= DUAL_LINK.payload_limit(6) for data in v4)
    assert DUAL_LINK.payload_limit(6) < DUAL_LINK.payload_limit(4)
    names = [r.name for data in v4 for r in parse_message(data).answers]
    assert names == [g[1][0].name for g in batch]  # all of them, in order, once
    # The engine caches what it multicasts: each version's copy is reported.
    assert [index for index, _ in outbox.multicast_records] == [2, 2]
    counters = outbox._stats.interfaces[2]
    assert counters.packets_sent == 2 * len(v4)


def test_large_batch_repeated_reuses_bytes_and_changed_batch_is_repacked() -> None:
    """The second and third probes of a round repeat the first batch: identical bytes;
    a batch with any record replaced is packed afresh, never served stale."""
    outbox = Outbox(EngineStatistics())
    batch = groups(300)
    outbox.multicast_groups(DUAL_LINK, (4,), batch, flags=0)
    first = [d.data for d in outbox.datagrams]
    outbox.datagrams.clear()
    outbox.multicast_groups(DUAL_LINK, (4,), batch, flags=0)
    assert [d.data for d in outbox.datagrams] == first
    assert outbox.multicast_records == []  # queries (flags 0) are not responses
    outbox.datagrams.clear()
    changed = groups(300, port=632)
    outbox.multicast_groups(DUAL_LINK, (4,), changed, flags=0)
    again = [d.data for d in outbox.datagrams]
    assert again != first
    ports = {
        r.rdata.port
        for data in again
        for r in parse_message(data).answers
        if isinstance(r.rdata, SRV)
    }
    assert ports == {632}


def test_small_batch_keeps_per_version_packing() -> None:
    """A few groups (ordinary answers) still pack per version, under each version's limit."""
    outbox = Outbox(EngineStatistics())
    outbox.multicast_groups(DUAL_LINK, DUAL_LINK.versions, groups(3), flags=RESPONSE_FLAGS)
    assert [d.destination for d in outbox.datagrams] == [MDNS_IPV4_ENDPOINT, MDNS_IPV6_ENDPOINT]
