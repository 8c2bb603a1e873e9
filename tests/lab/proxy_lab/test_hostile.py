"""Done-when (4) of the Discovery Proxy: a query flood from one LAN B host, oversized and
malformed queries over UDP and TCP, and idle TCP connections are each survived; the proxy's
memory stays bounded and the other client keeps being answered throughout.

The tests run in file order on one world (one xdist group); the last one compares the
proxy's VmRSS with what it was before the first."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.rcode
import pytest

from tests.lab.proxy_lab import hostile
from tests.lab.proxy_lab.answers import assert_no_link_local, records, status
from tests.lab.proxy_lab.world import LINK_DOMAIN, SERVICE_TYPE, Proxy, World

pytestmark = [pytest.mark.lab, pytest.mark.interop, pytest.mark.xdist_group(name="proxy-hostile")]

PTR_NAME = f"{SERVICE_TYPE}.{LINK_DOMAIN}"
# What the proxy may hold on to after everything here: a few MiB of caches and buffers,
# not one allocation per query, connection or malformed packet.
RSS_GROWTH_KIB = 30 * 1024
_rss: dict[str, int] = {}


@pytest.fixture(scope="module")
def proxy(world: World) -> Iterator[Proxy]:
    started = world.start_proxy("--stats", "1")
    # Warm: the PTR question starts the continuous query on LAN A (§5.6).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        out = world.dig("+norec", "PTR", PTR_NAME, server=str(started.address))
        if len([r for r in records(out) if r[1] == "PTR"]) >= 3:
            break
        time.sleep(0.5)
    _rss["before"] = started.rss_kib()
    yield started
    assert started.running, started.log


def _answered(world: World, proxy: Proxy, *extra: str) -> bool:
    """The bystander (another LAN B host) asks the proxy and gets the PTR list (dig's
    default retry: 3 tries, 1 s apart here, as a stub resolver would)."""
    out = world.dig("+norec", "+tries=3", "+time=1", *extra, "PTR", PTR_NAME,
                    host=world.bystander, server=str(proxy.address))  # fmt: skip
    return status(out) == "NOERROR" and len([r for r in records(out) if r[1] == "PTR"]) >= 3


def _bystander_ok(world: World, proxy: Proxy) -> None:
    assert proxy.running, proxy.log
    assert _answered(world, proxy), "the bystander was not answered over UDP"
    assert _answered(world, proxy, "+tcp"), "the bystander was not answered over TCP"


@pytest.mark.serial  # a query flood: the machine's CPU for 8 s
def test_query_flood_from_one_host(world: World, proxy: Proxy) -> None:
    """dnsperf from ``client`` at full speed (cached questions and a stream of names the
    proxy has never seen, each of which could become mDNS traffic on LAN A) while the
    bystander asks every 0.25 s: every bystander question is answered."""
    query_file = world.lab.workdir / "flood.txt"
    lines = [f"{PTR_NAME} PTR\n"] * 500
    lines += [f"flood{i}.{LINK_DOMAIN} A\n" for i in range(5000)]
    query_file.write_text("".join(lines))
    flood = world.client.popen(
        "dnsperf", "-s", str(proxy.address), "-d", str(query_file), "-l", "8", "-q", "500",
        "-t", "1", "-O", "suppress=timeout",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    misses: list[tuple[float, str]] = []
    asked = 0
    time.sleep(1)  # the flood is under way
    start = time.monotonic()
    while time.monotonic() - start < 6:
        asked += 1
        if not _answered(world, proxy):
            misses.append((time.monotonic() - start, world.dug[-1]))
        time.sleep(0.25)
    out, _ = flood.communicate(timeout=60)
    assert "Queries sent" in out, out
    assert asked >= 3
    assert not misses, (
        f"bystander unanswered at {misses} s of {asked} asks; flood: {out[-600:]}\n"
        f"proxy: {proxy.log[-4000:]}"
    )
    # The flooder was cut by the per-client limit (dropped, no reply), not just slowed.
    time.sleep(1.5)  # the next --stats line
    assert proxy.statistics()["servers"]["rate_limited"] > 0, proxy.statistics()
    _bystander_ok(world, proxy)


UDP_BAD = {
    "one byte": b"\x12",
    "truncated header": hostile.header()[:11],
    "header, no question": hostile.header(qd=1),
    "pointer loop": hostile.header() + b"\xc0\x0c" + b"\x00\x0c\x00\x01",
    "pointer past the end": hostile.header() + b"\xc0\xff" + b"\x00\x0c\x00\x01",
    "forward pointer": hostile.header() + b"\xc0\x0e\x00\x0c\x00\x01" + b"\x01a\x00",
    "label type 01": hostile.header() + b"\x41" + b"a" * 65 + b"\x00\x00\x0c\x00\x01",
    "name over 255": hostile.header() + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x0c\x00\x01",
    "five questions, one present": hostile.header(qd=5) + hostile.question(PTR_NAME),
    "two OPT records": hostile.header(ar=2) + hostile.question(PTR_NAME) + hostile.opt() * 2,
    "garbage": bytes(range(256)) * 5,
}


def test_malformed_udp_queries(world: World, proxy: Proxy) -> None:
    """Each bad packet gets no reply or an error reply (never an answer); the proxy
    stays up and answers the next good question, from the same client too."""
    good = hostile.query(PTR_NAME)
    payloads: list[bytes] = []
    for bad in UDP_BAD.values():
        payloads += [bad, good]
    replies = world.client.call(
        hostile.udp_exchange, str(proxy.address), 53, payloads, 1.0, timeout=120
    )
    for (what, _), bad_reply, good_reply in zip(
        UDP_BAD.items(), replies[::2], replies[1::2], strict=True
    ):
        if bad_reply is not None:
            assert len(bad_reply) >= 12, what
            rcode = bad_reply[3] & 0x0F
            assert rcode in (dns.rcode.FORMERR, dns.rcode.NOTIMP, dns.rcode.REFUSED), what
            assert bad_reply[6:8] == b"\0\0", what  # no answer records
        assert good_reply is not None, f"no answer to a good query after {what!r}"
        assert dns.message.from_wire(good_reply).rcode() == dns.rcode.NOERROR, what
    _bystander_ok(world, proxy)


def test_responses_and_other_opcodes_are_not_answered_as_queries(
    world: World, proxy: Proxy
) -> None:
    """A message with QR set is never answered (two servers must not echo each other);
    UPDATE and NOTIFY are not queries (NOTIMP or REFUSED, or silence)."""
    response = hostile.header(qr=True) + hostile.question(PTR_NAME)
    update = hostile.header(opcode=5, qd=1) + hostile.question(LINK_DOMAIN, 6)
    notify = hostile.header(opcode=4, qd=1) + hostile.question(LINK_DOMAIN, 6)
    replies = world.client.call(
        hostile.udp_exchange, str(proxy.address), 53, [response, update, notify], 1.0
    )
    assert replies[0] is None
    for reply in replies[1:]:
        assert reply is None or reply[3] & 0x0F in (dns.rcode.NOTIMP, dns.rcode.REFUSED)
    _bystander_ok(world, proxy)


def test_huge_edns_buffer_gets_a_bounded_udp_answer(world: World, proxy: Proxy) -> None:
    """EDNS 65535 is a client's claim, not a licence: the answer is a normal one; and a
    512-byte query without EDNS gets at most 512 bytes (RFC 1035 §4.2.1), TC when cut."""
    big = hostile.query(PTR_NAME, payload=65535)
    plain = hostile.query(f"{SERVICE_TYPE}.{LINK_DOMAIN}", payload=None)
    # RFC 6891 §6.1.2: an unknown option is ignored, whatever its size; not echoed back.
    option = b"\xfd\xe9" + (60000).to_bytes(2, "big") + b"\0" * 60000
    padded = hostile.header(ar=1) + hostile.question(PTR_NAME) + hostile.opt(65535, options=option)
    replies = world.client.call(
        hostile.udp_exchange, str(proxy.address), 53, [big, plain, padded], 2.0
    )
    assert replies[0] is not None and dns.message.from_wire(replies[0]).rcode() == 0
    assert replies[1] is not None and len(replies[1]) <= 512
    assert replies[2] is not None and len(replies[2]) < 4096
    _bystander_ok(world, proxy)


TCP_BAD = {
    "garbage": b"\x00\x10" + b"\xff" * 16,
    "65535 bytes of junk": hostile.framed(hostile.header() + b"\xc0\x0c" + b"\xee" * 65521),
    "64 KiB of unframed junk": b"\x7f" * 65536,
    "a length with too little after it": b"\xff\xff" + hostile.header(),
    "a response": hostile.framed(hostile.header(qr=True) + hostile.question(PTR_NAME)),
}


@pytest.mark.parametrize("what", list(TCP_BAD))
def test_bad_tcp_session_is_closed_alone(world: World, proxy: Proxy, what: str) -> None:
    """RFC 7766 / the issue: a malformed query closes only its own session. A good session
    open beside it answers before and after."""
    result = world.client.call(
        hostile.session_survives_a_bad_neighbour,
        str(proxy.address),
        53,
        hostile.query(PTR_NAME),
        TCP_BAD[what],
        timeout=60,
    )
    assert result["before"] == dns.rcode.NOERROR and result["after"] == dns.rcode.NOERROR, result
    if what != "a length with too little after it":  # that one waits for more: idle timeout
        assert result["bad_closed"], result
    _bystander_ok(world, proxy)


def test_many_idle_tcp_connections_from_one_host(world: World, proxy: Proxy) -> None:
    """500 idle connections from ``client``: the bystander is still answered over TCP, and
    by 12 s every one of them has been closed by the proxy (a per-client bound closes the
    excess at once; RFC 7766 §6.2.3: idle ones are closed, here after the documented 10 s)."""
    done: dict[str, dict[str, int]] = {}

    def hold() -> None:
        done["held"] = world.client.call(
            hostile.hold_tcp, str(proxy.address), 53, 500, 12.0, timeout=120
        )

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(3)
    try:
        _bystander_ok(world, proxy)
    finally:
        holder.join(120)
    held = done["held"]
    assert held["opened"] > 0, held
    assert held["closed"] == held["opened"], held
    _bystander_ok(world, proxy)


def test_memory_stays_bounded(world: World, proxy: Proxy) -> None:
    """After the flood, the malformed queries and the connections: VmRSS grew by less
    than RSS_GROWTH_KIB."""
    assert "before" in _rss, "runs last, after the fixture measured the start"
    after = proxy.rss_kib()
    assert after - _rss["before"] < RSS_GROWTH_KIB, (_rss["before"], after)
    assert Path(f"/proc/{proxy.process.pid}").exists()
    _bystander_ok(world, proxy)


def test_no_link_local_address_in_anything_dug(world: World, proxy: Proxy) -> None:
    """Runs last: every A/AAAA any test of this module got from dig (§5.5.2)."""
    for target in ("avpub", "zc-peer"):
        world.dig("ANY", f"{target}.{LINK_DOMAIN}", server=str(proxy.address))
    assert assert_no_link_local(world.dug) > 0
