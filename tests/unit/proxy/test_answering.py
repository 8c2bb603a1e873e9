"""The proxy's answers to unicast queries (RFC 8766 §5, §6), on a fake link with a stepped clock."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from ipaddress import IPv4Address

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.update
import pytest

from lanwise.dns import PTR, Flag, Message, Name, Record
from lanwise.mdns import EngineEndpoint, ServiceRecords
from lanwise.proxy.answering import REFRESH_EVERY, Pending, Reply
from tests.unit.mdns.fakelink import INDEX
from tests.unit.proxy.linkworld import DOMAIN, World, query

INSTANCE = f"Office\\032Printer._ipp._tcp.{DOMAIN}"


def reply(result: Reply | Pending | None) -> dns.message.Message:
    assert isinstance(result, Reply), result
    return dns.message.from_wire(result.wire)


def answer_types(message: dns.message.Message) -> set[str]:
    return {dns.rdatatype.to_text(r.rdtype) for r in message.answer}


@pytest.fixture
def world() -> World:
    return World()


# -- §5.1: the domains it serves, and nothing else ----------------------------------------
def test_rfc8766_s5_1_a_name_outside_the_domains_is_refused_without_recursion(world: World) -> None:
    message = reply(world.answerer.handle(query("www.example.org.", "A"), world.now))
    assert message.rcode() == dns.rcode.REFUSED
    assert not message.flags & dns.flags.RA
    assert not message.answer
    assert world.link.queries_started == 0  # nothing asked on the link


def test_rfc8766_s5_1_answers_are_authoritative_and_never_recursive(world: World) -> None:
    message = reply(world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR"), world.now))
    assert message.rcode() == dns.rcode.NOERROR
    assert message.flags & dns.flags.AA
    assert not message.flags & dns.flags.RA
    assert message.flags & dns.flags.RD  # copied from the query (RFC 1035 §4.1.1)


def test_rfc8766_s5_5_ptr_rdata_and_owner_are_rewritten_into_the_domain(world: World) -> None:
    message = reply(world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR"), world.now))
    (ptr,) = message.answer
    assert ptr.name == dns.name.from_text(f"_ipp._tcp.{DOMAIN}")
    assert [r.target for r in ptr] == [dns.name.from_text(INSTANCE)]
    # RFC 6763 §12: the instance's SRV and TXT, and the host's addresses, come along.
    extra = {(r.name.to_text(), dns.rdatatype.to_text(r.rdtype)) for r in message.additional}
    assert (f"{INSTANCE}.", "SRV") in extra and (f"{INSTANCE}.", "TXT") in extra
    assert (f"printer.{DOMAIN}.", "A") in extra


def test_rfc8766_s5_5_srv_target_host_local_becomes_host_in_the_domain(world: World) -> None:
    message = reply(world.answerer.handle(query(INSTANCE, "SRV"), world.now))
    (srv,) = message.answer
    (rdata,) = srv
    assert rdata.target == dns.name.from_text(f"printer.{DOMAIN}")
    assert rdata.port == 631


# -- §5.5.1: TTLs ----------------------------------------------------------------------------
def test_rfc8766_s5_5_1_ttls_are_capped_at_ten_seconds(world: World) -> None:
    # The printer announced its PTR with 4500 s and its SRV with 120 s (RFC 6762 §10).
    for name, rdtype in ((f"_ipp._tcp.{DOMAIN}", "PTR"), (INSTANCE, "SRV"), (INSTANCE, "TXT")):
        message = reply(world.answerer.handle(query(name, rdtype), world.now))
        assert message.answer and all(1 <= r.ttl <= 10 for r in message.answer), rdtype


def test_rfc8766_s5_5_1_a_record_about_to_expire_keeps_what_is_left(world: World) -> None:
    # The SRV was announced with 120 s (RFC 6762 §10); nobody asks, so nobody refreshes it.
    (cached,) = world.link.cached(Name("Office Printer._ipp._tcp.local"), 33, interface=INDEX)
    world.link.run(cached.expires - 4.5)
    message = reply(world.answerer.handle(query(INSTANCE, "SRV"), world.now))
    assert message.answer[0].ttl == 4  # what is left, below the cap


def test_rfc8766_s6_1_a_negative_answer_carries_the_soa_with_ttl_10(world: World) -> None:
    pending = world.answerer.handle(query(f"_nothing._tcp.{DOMAIN}", "PTR"), world.now)
    assert isinstance(pending, Pending)
    world.link.run(pending.deadline)
    message = dns.message.from_wire(world.answerer.finish(pending, world.now).wire)
    assert message.rcode() == dns.rcode.NOERROR  # §5.6: no data, never NXDOMAIN
    assert not message.answer
    (soa,) = message.authority
    assert soa.rdtype == dns.rdatatype.SOA and soa.ttl == 10
    assert soa[0].minimum == 10 and soa[0].serial == 0


# -- §5.5.2: unreachable addresses ------------------------------------------------------------
def test_rfc8766_s5_5_2_ipv4_link_local_addresses_are_left_out(world: World) -> None:
    message = reply(world.answerer.handle(query(f"printer.{DOMAIN}", "A"), world.now))
    addresses = {r.address for rrset in message.answer for r in rrset}
    assert addresses == {"10.0.0.5"}  # not 169.254.7.7


def test_rfc8766_s5_5_2_ipv6_link_local_addresses_are_left_out(world: World) -> None:
    message = reply(world.answerer.handle(query(f"printer.{DOMAIN}", "AAAA"), world.now))
    addresses = {r.address for rrset in message.answer for r in rrset}
    assert addresses == {"2001:db8::5"}  # not fe80::5


# -- §5.6: answer aggregation -------------------------------------------------------------------
def test_rfc8766_s5_6_a_cached_answer_goes_at_once_without_waiting_for_the_link(
    world: World,
) -> None:
    # The answerer itself sends nothing; the server asks the link for Reply.refresh.
    sent_before = len(world.fake.sent_by(world.proxy_node, version=None))
    result = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR"), world.now)
    assert isinstance(result, Reply)
    world.link.run(world.now + 2.0)
    assert len(world.fake.sent_by(world.proxy_node, version=None)) == sent_before
    assert world.link.queries_started == 0


def test_rfc8766_s5_6_a_cached_answer_has_the_link_asked_again_at_most_every_ten_seconds(
    world: World,
) -> None:
    """The cache may hold only what was overheard: the reply names the question for the
    server to ask on the link, once per REFRESH_EVERY (the §5.5.1 TTL cap) per question."""
    ptr = (dns.name.from_text(f"_ipp._tcp.{DOMAIN}"), dns.rdatatype.PTR)
    first = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR"), world.now)
    assert isinstance(first, Reply) and first.refresh == ptr
    # Another EDNS size: not the kept rendering of the first, a fresh one.
    again = world.answerer.handle(
        query(f"_ipp._tcp.{DOMAIN}", "PTR", ident=2, payload=1300), world.now + 9
    )
    assert isinstance(again, Reply) and again.refresh is None
    srv = world.answerer.handle(query(INSTANCE, "SRV"), world.now + 9)
    assert isinstance(srv, Reply) and srv.refresh == (dns.name.from_text(INSTANCE), 33)
    later = world.answerer.handle(
        query(f"_ipp._tcp.{DOMAIN}", "PTR", ident=3, payload=1400), world.now + REFRESH_EVERY + 1
    )
    assert isinstance(later, Reply) and later.refresh == ptr
    own = world.answerer.handle(query(DOMAIN, "SOA"), world.now)
    assert isinstance(own, Reply) and own.refresh is None  # the proxy's own: no link asked


def test_rfc8766_s5_6_a_reused_rendering_still_has_the_link_asked_every_ten_seconds(
    world: World,
) -> None:
    """The same query octets reuse the kept rendering (up to 60 s); it must still name the
    question when REFRESH_EVERY has passed, or a quiet link is asked only once a minute."""
    ptr = (dns.name.from_text(f"_ipp._tcp.{DOMAIN}"), dns.rdatatype.PTR)
    wire = query(f"_ipp._tcp.{DOMAIN}", "PTR")
    first = world.answerer.handle(wire, world.now)
    assert isinstance(first, Reply) and first.refresh == ptr
    soon = world.answerer.handle(wire, world.now + 5)
    assert isinstance(soon, Reply) and soon.refresh is None
    reused_before = world.answerer.statistics().reused
    later = world.answerer.handle(wire, world.now + REFRESH_EVERY + 1)
    assert world.answerer.statistics().reused == reused_before + 1  # the kept rendering
    assert isinstance(later, Reply) and later.refresh == ptr
    assert later.wire == first.wire


def test_rfc8766_s5_6_an_uncached_ptr_waits_the_whole_window() -> None:
    world = World(proxy_hears_announcements=False, wait=6.0)
    start = world.now
    pending = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR"), start)
    assert isinstance(pending, Pending)
    assert pending.deadline == start + 6.0
    added: list[object] = []

    def on_change(a: Sequence[dns.rrset.RRset], r: Sequence[dns.rrset.RRset]) -> None:
        added.extend(a)
        pending.note_answer()

    unsubscribe = world.source.subscribe(pending.name, pending.rdtype, on_change)
    world.link.run(start + 1.0)  # the link asked and the printer answered
    assert added and pending.answered
    assert not pending.ready(start + 5.99)  # PTR: more responders may still answer
    assert pending.ready(start + 6.0)
    message = dns.message.from_wire(world.answerer.finish(pending, start + 6.0).wire)
    unsubscribe()
    assert [r.target for r in message.answer[0]] == [dns.name.from_text(INSTANCE)]


def test_rfc8766_s5_6_an_uncached_unique_record_goes_at_its_first_answer() -> None:
    world = World(proxy_hears_announcements=False)
    start = world.now
    pending = world.answerer.handle(query(INSTANCE, "SRV"), start)
    assert isinstance(pending, Pending) and pending.unique
    assert not pending.ready(start)
    unsubscribe = world.source.subscribe(
        pending.name, pending.rdtype, lambda a, r: pending.note_answer()
    )
    world.link.run(start + 0.5)
    assert pending.ready(world.now) and world.now < pending.deadline
    message = dns.message.from_wire(world.answerer.finish(pending, world.now).wire)
    unsubscribe()
    assert answer_types(message) == {"SRV"}


def test_rfc8766_s5_6_the_link_is_asked_while_the_answer_waits() -> None:
    world = World(proxy_hears_announcements=False)
    pending = world.answerer.handle(query(INSTANCE, "TXT"), world.now)
    assert isinstance(pending, Pending)
    before = len(world.fake.sent_by(world.proxy_node, version=None))
    unsubscribe = world.source.subscribe(pending.name, pending.rdtype, lambda a, r: None)
    world.link.run(world.now + 0.2)
    sent = world.fake.sent_by(world.proxy_node, version=None)[before:]
    asked = {(str(q.name), q.qtype) for s in sent for q in s.message.questions}
    assert ("Office Printer._ipp._tcp.local", dns.rdatatype.TXT) in asked
    unsubscribe()


# -- §6: the proxy's own records ------------------------------------------------------------------
def test_rfc8766_s6_soa_and_ns_at_the_apex_answered_at_once(world: World) -> None:
    soa = reply(world.answerer.handle(query(DOMAIN, "SOA"), world.now))
    assert soa.answer[0][0].serial == 0 and soa.answer[0][0].refresh == 7200
    assert soa.answer[0][0].retry == 3600 and soa.answer[0][0].expire == 86400
    ns = reply(world.answerer.handle(query(DOMAIN, "NS"), world.now))
    assert [r.target for r in ns.answer[0]] == [dns.name.from_text(DOMAIN)]
    glue = reply(world.answerer.handle(query(DOMAIN, "A"), world.now))
    assert {r.address for r in glue.answer[0]} == {"10.0.0.53"}
    assert world.link.queries_started == 0


@pytest.mark.parametrize("label", ["b", "db", "lb"])
def test_rfc8766_s6_browse_domain_enumeration_under_the_domain(world: World, label: str) -> None:
    message = reply(
        world.answerer.handle(query(f"{label}._dns-sd._udp.{DOMAIN}", "PTR"), world.now)
    )
    assert [r.target for r in message.answer[0]] == [dns.name.from_text(DOMAIN)]


def test_rfc8766_s6_5_address_derived_enumeration_names_are_answered(world: World) -> None:
    # RFC 6763 §11: a client on 10.0.0.0/24 asks lb._dns-sd._udp.0.0.0.10.in-addr.arpa.
    message = reply(
        world.answerer.handle(query("lb._dns-sd._udp.0.0.0.10.in-addr.arpa", "PTR"), world.now)
    )
    assert [r.target for r in message.answer[0]] == [dns.name.from_text(DOMAIN)]
    other = reply(world.answerer.handle(query("1.2.168.192.in-addr.arpa", "PTR"), world.now))
    assert other.rcode() == dns.rcode.REFUSED  # not the link's subnet


def test_rfc8766_s5_4_the_subnets_reverse_zone_has_its_soa_and_ns(world: World) -> None:
    soa = reply(world.answerer.handle(query("0.0.10.in-addr.arpa", "SOA"), world.now))
    assert soa.answer[0].name == dns.name.from_text("0.0.10.in-addr.arpa")
    ns = reply(world.answerer.handle(query("0.0.10.in-addr.arpa", "NS"), world.now))
    assert [r.target for r in ns.answer[0]] == [dns.name.from_text(DOMAIN)]


def test_rfc8766_s5_4_a_reverse_question_is_asked_on_the_link_and_the_host_rewritten() -> None:
    world = World(proxy_hears_announcements=False)
    pending = world.answerer.handle(query("5.0.0.10.in-addr.arpa", "PTR"), world.now)
    assert isinstance(pending, Pending) and pending.unique  # one host owns an address
    unsubscribe = world.source.subscribe(
        pending.name, pending.rdtype, lambda a, r: pending.note_answer()
    )
    world.link.run(world.now + 0.5)
    assert pending.ready(world.now)
    message = dns.message.from_wire(world.answerer.finish(pending, world.now).wire)
    unsubscribe()
    assert [r.target for r in message.answer[0]] == [dns.name.from_text(f"printer.{DOMAIN}")]


def test_rfc8766_s5_4_a_negative_reverse_answer_carries_the_reverse_zones_soa() -> None:
    world = World(wait=1.0)
    pending = world.answerer.handle(query("77.0.0.10.in-addr.arpa", "PTR"), world.now)
    assert isinstance(pending, Pending)
    message = dns.message.from_wire(world.answerer.finish(pending, world.now + 1).wire)
    assert message.authority[0].name == dns.name.from_text("0.0.10.in-addr.arpa")


@pytest.mark.parametrize("rdtype", ["SOA", "NS", "DS"])
def test_rfc8766_s6_3_no_zone_cut_below_the_apex(world: World, rdtype: str) -> None:
    message = reply(world.answerer.handle(query(f"printer.{DOMAIN}", rdtype), world.now))
    assert message.rcode() == dns.rcode.NOERROR and not message.answer
    assert message.authority[0].rdtype == dns.rdatatype.SOA
    assert world.link.queries_started == 0


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [
        ("_dns-update._udp", "SRV"),
        ("_dns-llq._udp", "SRV"),
        ("_dns-push-tls._tcp", "SRV"),  # RFC 8765 §6.1, while no Push server is added
        ("r._dns-sd._udp", "PTR"),
    ],
)
def test_rfc8766_s6_4_services_not_offered_have_an_immediate_negative_answer(
    world: World, name: str, rdtype: str
) -> None:
    message = reply(world.answerer.handle(query(f"{name}.{DOMAIN}", rdtype), world.now))
    assert message.rcode() == dns.rcode.NOERROR and not message.answer
    assert world.link.queries_started == 0


@pytest.mark.parametrize("name", ["_tcp", "_ipp._tcp", "_printer._sub._ipp._tcp"])
@pytest.mark.parametrize("rdtype", ["A", "AAAA"])
def test_rfc9156_minimised_qnames_have_an_immediate_negative_answer(
    world: World, name: str, rdtype: str
) -> None:
    # A resolver minimising QNAMEs asks A for each label on the way down: a service
    # type is never a host name, so nothing waits for the link.
    message = reply(world.answerer.handle(query(f"{name}.{DOMAIN}", rdtype), world.now))
    assert message.rcode() == dns.rcode.NOERROR and not message.answer
    assert message.authority[0].rdtype == dns.rdatatype.SOA
    assert world.link.queries_started == 0


# -- what is not a plain query -------------------------------------------------------------------
@pytest.mark.parametrize("rdtype", ["AXFR", "IXFR"])
def test_zone_transfers_are_refused(world: World, rdtype: str) -> None:
    message = reply(world.answerer.handle(query(DOMAIN, rdtype), world.now))
    assert message.rcode() == dns.rcode.REFUSED


def test_update_gets_notimp(world: World) -> None:
    update = dns.update.UpdateMessage(DOMAIN)
    update.add("x", 10, "A", "10.0.0.9")
    message = reply(world.answerer.handle(update.to_wire(), world.now))
    assert message.rcode() == dns.rcode.NOTIMP
    assert message.opcode() == dns.opcode.UPDATE


def test_two_questions_get_formerr(world: World) -> None:
    message = dns.message.make_query(f"_ipp._tcp.{DOMAIN}", "PTR")
    message.question.append(dns.message.make_query(DOMAIN, "SOA").question[0])
    assert reply(world.answerer.handle(message.to_wire(), world.now)).rcode() == dns.rcode.FORMERR


def test_garbage_after_a_header_gets_formerr_with_the_id(world: World) -> None:
    wire = struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + b"\x07garbage"
    result = world.answerer.handle(wire, world.now)
    assert isinstance(result, Reply)
    ident, flags = struct.unpack_from("!HH", result.wire)
    assert ident == 0xBEEF and flags & 0x8000 and flags & 0xF == dns.rcode.FORMERR
    assert world.answerer.statistics().formerr == 1


def test_too_short_and_responses_are_dropped_and_counted(world: World) -> None:
    assert world.answerer.handle(b"\x00\x01\x02", world.now) is None
    response = dns.message.make_response(dns.message.make_query(DOMAIN, "SOA")).to_wire()
    assert world.answerer.handle(response, world.now) is None
    stats = world.answerer.statistics()
    assert stats.malformed_dropped == 1 and stats.responses_dropped == 1


def test_edns_version_1_gets_badvers(world: World) -> None:
    message = reply(world.answerer.handle(query(DOMAIN, "SOA", edns=1), world.now))
    assert message.rcode() == dns.rcode.BADVERS


# -- size: RFC 1035 §4.2.1, RFC 6891 -----------------------------------------------------------
def test_additional_records_are_dropped_before_truncating(world: World) -> None:
    # Without EDNS: 512 octets. Five PTRs fit, their SRV, TXT and addresses do not.
    for i in range(4):
        service = ServiceRecords(f"Printer {i}", "_ipp._tcp", 631, (b"x" * 60,))
        world.printer.engine.register(service, world.now)
    world.link.run(world.now + 5.0)
    big = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR", edns=-1), world.now)
    assert isinstance(big, Reply) and len(big.wire) <= 512
    message = dns.message.from_wire(big.wire)
    assert not message.flags & dns.flags.TC and message.answer
    assert not message.additional and world.answerer.statistics().additional_dropped == 1
    with_edns = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR"), world.now)
    assert dns.message.from_wire(with_edns.wire).additional  # type: ignore[union-attr]


def test_an_answer_larger_than_the_udp_size_is_truncated_and_whole_over_tcp() -> None:
    world = World()
    for i in range(30):
        service = ServiceRecords(f"A rather long instance name number {i:02}", "_ipp._tcp", 631)
        world.printer.engine.register(service, world.now)
    world.link.run(world.now + 5.0)
    udp = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR", edns=-1), world.now)
    assert isinstance(udp, Reply) and len(udp.wire) <= 512
    truncated = dns.message.from_wire(udp.wire)
    assert truncated.flags & dns.flags.TC and not truncated.answer
    sized = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR", payload=1232), world.now)
    assert isinstance(sized, Reply) and len(sized.wire) <= 1232
    tcp = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR", edns=-1), world.now, tcp=True)
    whole = reply(tcp)
    assert not whole.flags & dns.flags.TC and len(whole.answer[0]) == 31
    assert world.answerer.statistics().truncated >= 1


# -- rendered answers reused -----------------------------------------------------------------------
def test_a_repeated_query_reuses_the_rendered_answer_with_its_own_id(world: World) -> None:
    first = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR", ident=1), world.now)
    again = world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR", ident=2), world.now + 0.5)
    assert isinstance(first, Reply) and isinstance(again, Reply)
    assert again.wire[:2] == b"\x00\x02" and again.wire[2:] == first.wire[2:]
    stats = world.answerer.statistics()
    assert stats.reused == 1 and stats.answered == 2 and stats.queries == 2
    for _ in range(2):
        world.answerer.handle(query("example.org", "A"), world.now)
    stats = world.answerer.statistics()
    assert stats.reused == 2 and stats.refused == 2


def test_a_kept_answer_is_reused_while_its_ttls_stay_right(world: World) -> None:
    # The SRV was announced with 120 s. With 15 s left its TTL is capped at 10, which
    # stays right for 5 s: the rendered answer serves until then, then is made anew.
    (cached,) = world.link.cached(Name("Office Printer._ipp._tcp.local"), 33, interface=INDEX)
    start = cached.expires - 15.0
    world.link.run(start)
    srv = query(INSTANCE, "SRV")
    first = reply(world.answerer.handle(srv, start))
    assert first.answer[0].ttl == 10
    world.answerer.handle(srv, start + 4.9)
    assert world.answerer.statistics().reused == 1
    world.link.run(start + 5.5)
    later = reply(world.answerer.handle(srv, start + 5.5))
    assert world.answerer.statistics().reused == 1
    assert later.answer[0].ttl == 9  # what is left, no longer capped


def test_an_answer_under_the_cap_is_kept_one_second_only(world: World) -> None:
    (cached,) = world.link.cached(Name("Office Printer._ipp._tcp.local"), 33, interface=INDEX)
    start = cached.expires - 8.0
    world.link.run(start)
    srv = query(INSTANCE, "SRV")
    world.answerer.handle(srv, start)
    world.answerer.handle(srv, start + 0.9)
    world.answerer.handle(srv, start + 1.0)
    assert world.answerer.statistics().reused == 1


def test_a_change_on_the_link_is_answered_at_once_not_from_the_kept_answer(world: World) -> None:
    before = reply(world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR"), world.now))
    # Another responder announces a new instance 100 ms later.
    world.link.run(world.now + 0.1)
    announcement = Message(
        flags=Flag.QR | Flag.AA,
        answers=(Record.of(Name("_ipp._tcp.local"), PTR(Name("New._ipp._tcp.local")), 4500),),
    )
    world.fake.inject(world.proxy_node, announcement, EngineEndpoint(IPv4Address("10.0.0.9"), 5353))
    world.link.pump()
    after = reply(world.answerer.handle(query(f"_ipp._tcp.{DOMAIN}", "PTR"), world.now))
    assert len(after.answer[0]) == len(before.answer[0]) + 1
    assert world.answerer.statistics().reused == 0


def test_rfc8765_s6_1_an_added_push_srv_is_answered(world: World) -> None:
    owner = dns.name.from_text(f"_dns-push-tls._tcp.{DOMAIN}")
    srv = dns.rrset.from_text(owner, 120, "IN", "SRV", f"0 0 853 {DOMAIN}.")
    world.zone.add(srv)
    message = reply(world.answerer.handle(query(owner.to_text(), "SRV"), world.now))
    assert [r.port for r in message.answer[0]] == [853]
