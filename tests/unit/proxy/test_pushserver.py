"""The Push server over real TLS on loopback, with the lanwise Push client and browser.

Run inside ``unshare --net`` (README): 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
from collections.abc import Callable
from pathlib import Path

import dns.message
import dns.name
import dns.rdatatype
import dns.rrset
import pytest

from lanwise.dnssd.model import BrowseEvent, ResolvedServiceAdded, ServiceAdded, ServiceRemoved
from lanwise.dso.push import Question
from lanwise.dso.wire import DsoMessage, StreamFramer, encode
from lanwise.errors import UsageError
from lanwise.proxy.push import PushLimits, PushServer
from lanwise.widearea.browse import browse
from lanwise.widearea.push import (
    PushError,
    PushSubscriber,
    push_ssl_context,
)
from lanwise.widearea.push import (
    PushServer as PushTarget,
)
from tests.unit.proxy.fakesource import (
    PUSH_HOST,
    SERVICE,
    FakeSource,
    make_certificate,
    server_context,
)
from tests.unit.widearea.fakeserver import Script, serve

PTR = dns.rdatatype.PTR
INSTANCE = "printer._http._tcp.lan-a.example.test."


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


def target(server: PushServer) -> PushTarget:
    return PushTarget(dns.name.from_text(PUSH_HOST), server.port, ("127.0.0.1",))


async def wait_for(
    condition: Callable[[], object], push: PushSubscriber, timeout: float = 1.0
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert await push.wait_changed(deadline - loop.time()), "no change within the bound"


async def test_subscribe_and_follow_changes_over_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    source = FakeSource()
    source.add(SERVICE, 120, "PTR", INSTANCE)
    async with PushServer(source, server_context(cert, key), "127.0.0.1", 0) as server:
        push = await PushSubscriber.connect(target(server), push_ssl_context(cert))
        async with push:
            await push.subscribe(Question(SERVICE, PTR))
            await wait_for(lambda: len(push.state.lookup(SERVICE, PTR)) == 1, push)
            loop = asyncio.get_running_loop()
            started = loop.time()
            source.add(SERVICE, 120, "PTR", "scanner._http._tcp.lan-a.example.test.")
            await wait_for(lambda: len(push.state.lookup(SERVICE, PTR)) == 2, push)
            source.remove(SERVICE, "PTR", INSTANCE, "scanner._http._tcp.lan-a.example.test.")
            await wait_for(lambda: push.state.lookup(SERVICE, PTR) == [], push)
            assert loop.time() - started < 1.0
            assert server.statistics.sessions_open == 1
            with pytest.raises(PushError, match="rcode 9"):
                await push.subscribe(Question(dns.name.from_text("example.org."), PTR))
        await asyncio.sleep(0.05)
        assert source.subscribers == []


async def test_certificate_not_trusted_fails(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, key = certificate
    other_cert, _other_key = make_certificate(tmp_path, "someone.else.test")
    async with PushServer(FakeSource(), server_context(cert, key), "127.0.0.1", 0) as server:
        with pytest.raises(PushError, match="cannot open TLS"):
            await PushSubscriber.connect(target(server), push_ssl_context(other_cert))


async def test_session_bound_per_client_refuses_with_retry_delay(
    certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = certificate
    source = FakeSource()
    limits = PushLimits(sessions_per_client=2)
    async with PushServer(
        source, server_context(cert, key), "127.0.0.1", 0, limits=limits
    ) as server:
        kept = [
            await PushSubscriber.connect(target(server), push_ssl_context(cert)) for _ in range(2)
        ]
        for i, push in enumerate(kept):
            await push.subscribe(Question(dns.name.from_text(f"h{i}.lan-a.example.test."), 1))
        extras = [
            await PushSubscriber.connect(target(server), push_ssl_context(cert)) for _ in range(2)
        ]
        for extra in extras:
            with pytest.raises(PushError, match="rcode 5"):
                await extra.subscribe(Question(SERVICE, PTR))
        await asyncio.sleep(0.1)
        assert all(extra.closed for extra in extras)
        assert "limit sessions_per_client" in caplog.text
        # Past twice the bound (2 kept + 2 refused still open) a connection is reset before TLS.
        held = [
            await PushSubscriber.connect(target(server), push_ssl_context(cert)) for _ in range(2)
        ]
        with pytest.raises(PushError, match="cannot open TLS"):
            await PushSubscriber.connect(target(server), push_ssl_context(cert))
        assert server.statistics.sessions_open == 4
        # The kept sessions still get their changes.
        source.add("h0.lan-a.example.test.", 60, "A", "192.0.2.1")
        await wait_for(
            lambda: kept[0].state.lookup(dns.name.from_text("h0.lan-a.example.test."), 1), kept[0]
        )
        for push in [*kept, *extras, *held]:
            await push.aclose()
        assert server.statistics.sessions_refused == 5


async def test_malformed_dso_closes_only_that_session(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    source = FakeSource()
    async with PushServer(source, server_context(cert, key), "127.0.0.1", 0) as server:
        good = await PushSubscriber.connect(target(server), push_ssl_context(cert))
        await good.subscribe(Question(SERVICE, PTR))
        context = push_ssl_context(cert)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.port, ssl=context, server_hostname=PUSH_HOST
        )
        bad = bytearray(encode(DsoMessage(5, False, 0)))
        bad[5] = 3  # QDCOUNT in a DSO message
        writer.write(StreamFramer.frame(bytes(bad)) + b"\x00\x10garbage")
        reply = await asyncio.wait_for(reader.read(100), 1.0)
        assert reply[2:4] == b"\x00\x05" and reply[5] & 0x0F == 1  # FORMERR for ID 5
        assert await asyncio.wait_for(reader.read(100), 5.0) == b""  # then closed
        writer.close()
        source.add(SERVICE, 60, "PTR", INSTANCE)
        await wait_for(lambda: good.state.lookup(SERVICE, PTR), good)
        await good.aclose()
        assert server.statistics.malformed == 1


def _zone(push_port: int) -> Script:
    push_name = dns.name.from_text("_dns-push-tls._tcp.lan-a.example.test.")
    host = dns.name.from_text(PUSH_HOST + ".")

    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        question = query.question[0]
        reply = dns.message.make_response(query)
        if question.name == push_name and question.rdtype == dns.rdatatype.SRV:
            reply.answer.append(
                dns.rrset.from_text(push_name, 60, "IN", "SRV", f"0 0 {push_port} {host}")
            )
        elif question.name == host and question.rdtype == dns.rdatatype.A:
            reply.answer.append(dns.rrset.from_text(host, 60, "IN", "A", "127.0.0.1"))
        return [reply.to_wire()]

    return script


async def test_browse_uses_push_and_sees_adds_and_removes_within_a_second(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    source = FakeSource()
    source.add(SERVICE, 4500, "PTR", INSTANCE)
    source.add(INSTANCE, 120, "SRV", f"0 0 631 {PUSH_HOST}.")
    source.add(INSTANCE, 4500, "TXT", '"rp=ipp"')
    source.add(PUSH_HOST + ".", 120, "A", "192.0.2.7")
    async with PushServer(source, server_context(cert, key), "127.0.0.1", 0) as server:
        dns_server, stop = await serve(_zone(server.port))
        stream = browse(
            "_http._tcp", "lan-a.example.test", resolve=True, servers=[dns_server],
            poll_floor=30.0, push_ca=cert,
        )  # fmt: skip
        try:
            first = await asyncio.wait_for(anext(stream), 3.0)
            assert isinstance(first, ResolvedServiceAdded)
            assert first.info.port == 631 and first.info.txt_strings == (b"rp=ipp",)
            assert [str(a) for a in first.info.addresses[0]] == ["192.0.2.7"]
            # The poll floor is 30 s and the TTLs long: only Push can bring these in time.
            loop = asyncio.get_running_loop()
            started = loop.time()
            source.add(SERVICE, 4500, "PTR", "scanner._http._tcp.lan-a.example.test.")
            source.add("scanner._http._tcp.lan-a.example.test.", 120, "SRV", f"0 0 80 {PUSH_HOST}.")
            source.add("scanner._http._tcp.lan-a.example.test.", 120, "TXT", '""')
            added = await asyncio.wait_for(anext(stream), 1.0)
            assert isinstance(added, ServiceAdded) and added.name == "scanner"
            source.remove(SERVICE, "PTR", INSTANCE)
            removed = await asyncio.wait_for(anext(stream), 1.0)
            assert isinstance(removed, ServiceRemoved) and removed.name == "printer"
            assert loop.time() - started < 1.0
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
            stop()


async def test_browse_polls_when_there_is_no_push_server() -> None:
    source_zone = {
        "_http._tcp.lan-a.example.test.": ("PTR", INSTANCE),
    }

    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        question = query.question[0]
        reply = dns.message.make_response(query)
        entry = source_zone.get(question.name.to_text())
        if entry and dns.rdatatype.from_text(entry[0]) == question.rdtype:
            reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", entry[0], entry[1]))
        return [reply.to_wire()]

    dns_server, stop = await serve(script)
    stream = browse("_http._tcp", "lan-a.example.test", servers=[dns_server], poll_floor=0.5)
    try:
        event = await asyncio.wait_for(anext(stream), 3.0)
        assert isinstance(event, ServiceAdded) and event.name == "printer"
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
        stop()


def test_push_ca_must_be_a_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="push_ca"):
        push_ssl_context(tmp_path / "missing.pem")
    assert isinstance(push_ssl_context(), ssl.SSLContext)


async def test_browse_falls_back_to_polling_when_the_push_server_goes(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    source = FakeSource()
    source.add(SERVICE, 1, "PTR", INSTANCE)
    server = PushServer(source, server_context(cert, key), "127.0.0.1", 0)
    await server.start()
    dns_server, stop = await serve(_ptr_zone(source, server.port))
    stream = browse(
        "_http._tcp", "lan-a.example.test", servers=[dns_server], poll_floor=0.5, push_ca=cert
    )
    try:
        first = await asyncio.wait_for(anext(stream), 3.0)
        assert isinstance(first, ServiceAdded) and first.name == "printer"
        await server.close()  # Retry Delay to every session (RFC 8490 §6.6.1)
        source.add(SERVICE, 1, "PTR", "scanner._http._tcp.lan-a.example.test.")
        # Polling now: the next answer is due after max(floor 0.5 s, TTL 1 s).
        added = await asyncio.wait_for(anext(stream), 3.0)
        assert isinstance(added, ServiceAdded) and added.name == "scanner"
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
        stop()
        await server.close()


async def test_a_refused_subscription_sends_the_browse_back_to_polling(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    source = FakeSource()
    source.add(SERVICE, 60, "PTR", INSTANCE)
    source.add(INSTANCE, 60, "SRV", "0 0 631 printer-host.lan-a.example.test.")
    source.add(INSTANCE, 60, "TXT", '"rp=ipp"')
    source.add("printer-host.lan-a.example.test.", 60, "A", "192.0.2.8")
    limits = PushLimits(subscriptions_per_session=2)  # PTR + SRV fit, TXT does not
    async with PushServer(
        source, server_context(cert, key), "127.0.0.1", 0, limits=limits
    ) as server:
        dns_server, stop = await serve(_zone_from(source, server.port))
        stream = browse(
            "_http._tcp", "lan-a.example.test", resolve=True, servers=[dns_server],
            poll_floor=30.0, push_ca=cert,
        )  # fmt: skip
        try:
            event = await asyncio.wait_for(anext(stream), 3.0)
            assert isinstance(event, ResolvedServiceAdded)
            assert event.info.port == 631 and event.info.txt_strings == (b"rp=ipp",)
            assert server.statistics.sessions_open == 0  # the browse left the Push session
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
            stop()


async def test_an_untrusted_push_server_is_one_warning_and_polling(
    certificate: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = certificate
    stranger, _key = make_certificate(tmp_path, PUSH_HOST)  # same name, another key
    source = FakeSource()
    source.add(SERVICE, 60, "PTR", INSTANCE)
    async with PushServer(source, server_context(cert, key), "127.0.0.1", 0) as server:
        dns_server, stop = await serve(_ptr_zone(source, server.port))
        stream = browse("_http._tcp", "lan-a.example.test", servers=[dns_server], push_ca=stranger)
        try:
            event = await asyncio.wait_for(anext(stream), 3.0)
            assert isinstance(event, ServiceAdded) and event.name == "printer"
            with pytest.raises(TimeoutError):  # Push is tried after the first poll, and fails
                await asyncio.wait_for(anext(stream), 1.0)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
            stop()
        warnings = [
            r for r in caplog.records if r.levelname == "WARNING" and "Push" in r.getMessage()
        ]
        assert len(warnings) == 1 and "cannot open TLS" in warnings[0].getMessage()
        assert server.statistics.sessions_open == 0 and source.subscribers == []


def _ptr_zone(source: FakeSource, push_port: int) -> Script:
    """``source``'s PTR records by unicast DNS, as the proxy's own DNS server gives them;
    every other question as :func:`_zone` answers it."""
    push_script = _zone(push_port)

    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        question = query.question[0]
        if question.rdtype == PTR:
            reply = dns.message.make_response(query)
            reply.answer.extend(source.cached(question.name, PTR))
            return [reply.to_wire()]
        return push_script(query, tcp)

    return script


def _zone_from(source: FakeSource, push_port: int | None) -> Script:
    """A DNS server holding ``source``'s records, and the Push SRV when ``push_port``;
    with no port, the SRV question gets no reply at all (a proxy holding it, §5.6)."""
    push_script = _zone(push_port or 0)

    def script(query: dns.message.Message, tcp: bool) -> list[bytes]:
        question = query.question[0]
        if question.name.to_text().startswith("_dns-push-tls"):
            return push_script(query, tcp) if push_port else []
        if question.name == dns.name.from_text(PUSH_HOST + "."):
            return push_script(query, tcp)
        reply = dns.message.make_response(query)
        reply.answer.extend(source.cached(question.name, question.rdtype))
        return [reply.to_wire()]

    return script


def _printer(source: FakeSource) -> None:
    source.add(SERVICE, 60, "PTR", INSTANCE)
    source.add(INSTANCE, 60, "SRV", "0 0 631 printer-host.lan-a.example.test.")
    source.add(INSTANCE, 60, "TXT", '"rp=ipp"')
    source.add("printer-host.lan-a.example.test.", 60, "A", "192.0.2.8")


async def test_first_answers_do_not_wait_for_push_discovery() -> None:
    # The SRV question is never answered: the browse still reports at once (it polls first).
    source = FakeSource()
    _printer(source)
    dns_server, stop = await serve(_zone_from(source, None))
    stream = browse("_http._tcp", "lan-a.example.test", resolve=True, servers=[dns_server])
    try:
        event = await asyncio.wait_for(anext(stream), 1.0)
        assert isinstance(event, ResolvedServiceAdded) and event.name == "printer"
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
        stop()


@pytest.mark.parametrize("resolve", [False, True])
async def test_taking_over_from_polling_adds_no_spurious_events(
    certificate: tuple[Path, Path], resolve: bool
) -> None:
    cert, key = certificate
    source = FakeSource()
    _printer(source)
    async with PushServer(source, server_context(cert, key), "127.0.0.1", 0) as server:
        dns_server, stop = await serve(_zone_from(source, server.port))
        stream = browse(
            "_http._tcp", "lan-a.example.test", resolve=resolve, servers=[dns_server],
            poll_floor=30.0, push_ca=cert,
        )  # fmt: skip
        events: list[BrowseEvent] = []

        async def read() -> None:
            async for event in stream:
                events.append(event)

        reader = asyncio.create_task(read())
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 3.0
            while len(source.subscribers) < (5 if resolve else 1) and loop.time() < deadline:
                await asyncio.sleep(0.02)  # polled, then Push found and subscribed
            await asyncio.sleep(0.5)  # the answers settle
            assert [(type(e).__name__, e.name) for e in events] == [
                ("ResolvedServiceAdded" if resolve else "ServiceAdded", "printer")
            ]
            source.add(SERVICE, 60, "PTR", "scanner._http._tcp.lan-a.example.test.")
            source.add("scanner._http._tcp.lan-a.example.test.", 60, "SRV", f"0 0 80 {PUSH_HOST}.")
            source.add("scanner._http._tcp.lan-a.example.test.", 60, "TXT", '""')
            await asyncio.sleep(0.5)
            assert [e.name for e in events] == ["printer", "scanner"]  # by Push: the floor is 30 s
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await stream.aclose()  # type: ignore[attr-defined]
            stop()


async def test_refused_sessions_count_until_their_tls_connection_is_gone(
    certificate: tuple[Path, Path],
) -> None:
    """A refused session is closed with close_notify, but its TLS connection (and its
    buffers) live until the client answers it or 5 s pass. A client that never reads must
    not get a new one admitted for each that lingers: past twice its bound they are
    reset before TLS, so one client's memory stays bounded."""
    cert, key = certificate
    limits = PushLimits(sessions_per_client=1)
    keepalive = struct.pack("!HHHHHH", 1, 6 << 11, 0, 0, 0, 0) + struct.pack("!HHII", 1, 8, 1, 1)
    async with PushServer(
        FakeSource(), server_context(cert, key), "127.0.0.1", 0, limits=limits
    ) as server:
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        writers: list[asyncio.StreamWriter] = []
        failed = 0
        for _ in range(8):
            try:
                _, writer = await asyncio.open_connection(
                    "127.0.0.1", server.port, ssl=client, ssl_handshake_timeout=2
                )
            except (OSError, ssl.SSLError):
                failed += 1
                continue
            transport = writer.transport
            assert isinstance(transport, asyncio.Transport)
            transport.pause_reading()  # never reads: the close_notify goes unanswered
            writer.write(struct.pack("!H", len(keepalive)) + keepalive)
            writers.append(writer)
            await asyncio.sleep(0.05)  # the server answers (NOERROR, then REFUSED) and closes
        assert server.statistics.sessions_open == 2  # one served, one refused and lingering
        assert (len(writers), failed) == (2, 6)
        for writer in writers:
            writer.transport.abort()
