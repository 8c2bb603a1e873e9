"""Reply checks, TCP fallback and pipelining against a scripted server on loopback."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import dns.tsig
import pytest

from lanwise.widearea.client import DnsClient, ServerAddress, parse_server
from lanwise.widearea.errors import DnsServerError, ServerUnreachableError
from tests.unit.widearea.fakeserver import KEY, OTHER_KEY, answer, serve


async def test_spoofed_replies_are_dropped_and_counted() -> None:
    """RFC 5452 §9.1: a reply must match the query's ID and question."""

    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        wrong_id = answer(query, "10.6.6.6")
        wrong_id.id = (query.id + 1) & 0xFFFF
        other = dns.message.make_query("evil.test.", "A")
        other.id = query.id
        wrong_question = dns.message.make_response(other)
        return [wrong_id.to_wire(), wrong_question.to_wire(), b"\x00", answer(query).to_wire()]

    server, close = await serve(script)
    try:
        client = DnsClient(timeout=2)
        reply = await client.exchange(dns.message.make_query("a.test.", "A"), server, zone="test")
    finally:
        close()
    assert reply.answer[0][0].address == "10.0.0.1"
    assert client.statistics().dropped_replies == 3


async def test_bad_tsig_on_a_signed_reply_is_dropped() -> None:
    """RFC 8945 §5.3: a signed query only accepts a reply signed with the same key."""

    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        forged = answer(query, "10.6.6.6")
        forged.use_tsig(OTHER_KEY)
        good = answer(query)
        good.use_tsig(KEY)
        return [forged.to_wire(), good.to_wire()]

    server, close = await serve(script)
    try:
        client = DnsClient(timeout=2)
        query = dns.message.make_query("a.test.", "A")
        query.use_tsig(KEY)
        reply = await client.exchange(query, server, zone="test")
    finally:
        close()
    assert reply.answer[0][0].address == "10.0.0.1"
    assert client.statistics().dropped_replies == 1


async def test_truncated_udp_is_asked_again_over_tcp() -> None:
    """RFC 1035 §4.2.1 / RFC 7766 §5: TC set means: retry over TCP."""

    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        if tcp:
            return [answer(query, "10.0.0.9").to_wire()]
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.TC
        return [reply.to_wire()]

    server, close = await serve(script)
    try:
        client = DnsClient(timeout=2)
        reply = await client.exchange(dns.message.make_query("a.test.", "A"), server, zone="test")
    finally:
        close()
    assert reply.answer[0][0].address == "10.0.0.9"
    assert client.statistics().tcp_fallbacks == 1


async def test_pipelined_answers_match_their_queries_in_any_order() -> None:
    """RFC 7766 §6.2.1.1: many queries on one connection, matched by ID."""

    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        number = int(query.question[0].name.labels[0][1:])
        return [answer(query, f"10.0.{number // 256}.{number % 256}").to_wire()]

    server, close = await serve(script)
    try:
        client = DnsClient(timeout=2)
        queries = [dns.message.make_query(f"h{i}.test.", "A") for i in range(300)]
        replies = await client.pipelined(queries, server, zone="test")
    finally:
        close()
    for i, reply in enumerate(replies):
        assert reply is not None
        assert reply.answer[0][0].address == f"10.0.{i // 256}.{i % 256}"


async def test_error_rcode_names_server_zone_and_rcode() -> None:
    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        reply = dns.message.make_response(query)
        reply.set_rcode(dns.rcode.REFUSED)
        return [reply.to_wire()]

    server, close = await serve(script)
    try:
        with pytest.raises(DnsServerError) as info:
            await DnsClient(timeout=2).exchange(
                dns.message.make_query("a.test.", "A"), server, zone="example.test"
            )
    finally:
        close()
    assert info.value.rcode == "REFUSED"
    assert str(server) in str(info.value)
    assert "example.test" in str(info.value)


async def test_silent_server_is_unreachable() -> None:
    server, close = await serve(lambda query, tcp: [])
    try:
        with pytest.raises(ServerUnreachableError) as info:
            await DnsClient(timeout=0.3).exchange(
                dns.message.make_query("a.test.", "A"), server, zone="example.test"
            )
    finally:
        close()
    assert "unreachable" in str(info.value)
    assert str(server) in str(info.value)


def test_server_addresses_parse() -> None:
    assert parse_server("10.0.0.53") == ServerAddress("10.0.0.53", 53)
    assert parse_server("10.0.0.53:5300") == ServerAddress("10.0.0.53", 5300)
    assert parse_server("fd00::53") == ServerAddress("fd00::53", 53)
    assert parse_server("[fd00::53]:5300") == ServerAddress("fd00::53", 5300)
    assert str(ServerAddress("fd00::53", 5300)) == "[fd00::53]:5300"
    with pytest.raises(ValueError, match="server"):
        parse_server("ns.example.test")
    assert dns.name.from_text("x.") is not None
