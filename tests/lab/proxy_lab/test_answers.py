"""Done-when (1) and (3) of the Discovery Proxy (RFC 8766): LAN B finds LAN A's services
through BIND's delegation (dig, ``lanwise browse -d``, avahi-browse with the browse domain),
answers carry no link-local address (§5.5.2), and nothing outside the proxy's domain is
answered (§5.4 / §6: REFUSED, no recursion, no zone transfer)."""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Iterator

import dns.message
import dns.rcode
import dns.rrset
import pytest

from tests.harness.avahi import start_avahi
from tests.lab.proxy_lab import hostile
from tests.lab.proxy_lab.answers import addresses, assert_no_link_local, link_local, records, status
from tests.lab.proxy_lab.world import (
    AVAHI_NAME,
    DOMAIN,
    LANWISE_NAME,
    LINK_DOMAIN,
    SERVICE_TYPE,
    ZEROCONF_NAME,
    Proxy,
    World,
    lanwise_publish,
    start_proxy,
    stop_process,
)

pytestmark = [pytest.mark.lab, pytest.mark.interop, pytest.mark.xdist_group(name="proxy-answers")]

NAMES = {AVAHI_NAME, ZEROCONF_NAME, LANWISE_NAME}
PTR_NAME = f"{SERVICE_TYPE}.{LINK_DOMAIN}"


@pytest.fixture(scope="module")
def proxy(world: World) -> Iterator[Proxy]:
    started = world.start_proxy()
    yield started
    assert started.running, started.log


def _instance(owner: str) -> str:
    """``Avahi\\032Web._http._tcp.lan-a.example.test.`` → ``Avahi Web``."""
    label = owner.split(f".{SERVICE_TYPE}.", maxsplit=1)[0]
    return label.replace("\\032", " ")


def _ptr_names(world: World, *, within: float = 10.0) -> set[str]:
    """The instances dig finds through the resolver; asks again until all three are in
    (the proxy's first answer may come before every publisher has replied, §5.6)."""
    deadline = time.monotonic() + within
    while True:
        out = world.dig("PTR", PTR_NAME)
        assert status(out) == "NOERROR", out
        found = {_instance(data) for _, kind, data in records(out) if kind == "PTR"}
        if found >= NAMES or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_dig_through_bind_lists_every_publisher(world: World, proxy: Proxy) -> None:
    assert _ptr_names(world) >= NAMES
    out = world.dig("PTR", PTR_NAME)
    # An answer the resolver got from the delegated server, not one it made up.
    assert "flags: qr rd ra" in out and status(out) == "NOERROR"
    for _, kind, data in records(out):
        if kind == "PTR":
            assert data.endswith(f".{PTR_NAME}."), data  # rewritten back from .local (§5.5)


def test_srv_txt_and_addresses_are_rewritten_and_routable(world: World, proxy: Proxy) -> None:
    _ptr_names(world)
    routable = world.routable_addresses()
    for name in NAMES:
        owner = name.replace(" ", "\\032") + f".{PTR_NAME}"
        srv = [data for _, kind, data in records(world.dig("SRV", owner)) if kind == "SRV"]
        assert len(srv) == 1, (name, srv)
        _, _, port, target = srv[0].split()
        assert port in ("8081", "8082", "8083")
        assert target.endswith(f".{LINK_DOMAIN}."), target
        txt = world.dig("TXT", owner)
        assert "peer=" in txt, txt
        found = addresses(world.dig("A", target)) + addresses(world.dig("AAAA", target))
        assert found and {str(a) for a in found} <= routable, (target, found)
        assert any(isinstance(a, ipaddress.IPv4Address) for a in found)
        assert any(isinstance(a, ipaddress.IPv6Address) for a in found)


def test_no_link_local_address_in_any_answer(world: World, proxy: Proxy) -> None:
    """§5.5.2: every publisher also holds 169.254/16 and fe80:: addresses, and mDNS on
    LAN A carries them; none may reach an answer, in any section, by any question."""
    _ptr_names(world)
    lab_link_local = world.link_local_addresses()
    assert any(a.version == 4 for a in lab_link_local)  # the premise: there are some
    outputs = [world.dig("PTR", PTR_NAME), world.dig("+norec", "PTR", PTR_NAME)]
    outputs.append(world.dig("+norec", "PTR", PTR_NAME, server=str(world.proxy_address)))
    targets = set()
    for name in NAMES:
        owner = name.replace(" ", "\\032") + f".{PTR_NAME}"
        for kind in ("SRV", "ANY", "TXT"):
            out = world.dig(kind, owner, server=str(world.proxy_address))
            outputs.append(out)
            targets |= {d.split()[-1] for _, k, d in records(out) if k == "SRV"}
    for target in targets:
        for kind in ("A", "AAAA", "ANY"):
            outputs.append(world.dig(kind, target))
            outputs.append(world.dig(kind, target, server=str(world.proxy_address)))
    seen = [a for out in outputs for a in addresses(out)]
    assert seen, outputs
    assert not link_local(seen), [o for o in outputs if link_local(addresses(o))]
    assert not set(seen) & lab_link_local


def test_lanwise_browse_resolves_each_to_a_routable_address(world: World, proxy: Proxy) -> None:
    _ptr_names(world)
    out = world.client.lanwise(
        "browse", "-r", "-t", "--json", "-d", LINK_DOMAIN, SERVICE_TYPE, timeout=60
    ).stdout
    events = [json.loads(line) for line in out.splitlines()]
    resolved = {e["name"]: e for e in events if e.get("addresses")}
    assert set(resolved) >= NAMES, out
    routable = world.routable_addresses()
    hosts = {AVAHI_NAME: world.avahi_host, ZEROCONF_NAME: world.zeroconf_host}
    hosts[LANWISE_NAME] = world.lanwise_host
    for name in NAMES:
        event = resolved[name]
        assert event["domain"] == LINK_DOMAIN
        found = {a["address"] for a in event["addresses"]}
        assert found <= routable, (name, found)
        assert str(hosts[name].ipv4(world.lan_a)) in found, (name, found)


def test_avahi_browse_on_lan_b_finds_them(world: World, proxy: Proxy) -> None:
    """avahi-daemon on LAN B, wide-area on, browse-domains=lan-a.example.test."""
    _ptr_names(world)
    avahi = start_avahi(world.client, host_name="client", wide_area_domains=[LINK_DOMAIN])
    try:
        deadline = time.monotonic() + 20
        resolved: dict[str, list[str]] = {}
        while time.monotonic() < deadline:
            out = avahi.run(
                "avahi-browse", "-d", LINK_DOMAIN, "-r", "-t", "-p", SERVICE_TYPE, check=False
            )
            resolved = {}
            for line in out.splitlines():
                fields = line.split(";")
                if fields[0] == "=" and len(fields) > 8:
                    resolved.setdefault(fields[3].replace("\\032", " "), []).append(fields[7])
            if set(resolved) >= NAMES:
                break
            time.sleep(1)
    finally:
        avahi.stop()
    assert set(resolved) >= NAMES, resolved
    for name in NAMES:
        assert set(resolved[name]) <= world.routable_addresses(), (name, resolved[name])


def test_an_answer_from_a_partial_cache_is_completed_from_the_link(world: World) -> None:
    """§5.6: a cache filled by announcements the proxy overheard may hold only part of a
    shared record set. A proxy started after avahi announced ``Avahi Partial`` overhears
    lanwise announcing ``Lanwise Partial`` (same type); a client asking for the PTR set
    must come to see both, so the proxy has to ask the link rather than trust its cache."""
    kind = "_partial._tcp"
    with world.avahi.publish_service("Avahi Partial", kind, 7001) as publication:
        publication.wait_established()
        time.sleep(6)  # avahi's announcements (1 s, 2 s apart) are over before the proxy starts
        late = start_proxy(world.proxy_host, world.lan_a, world.client, port=5301)
        announcer = lanwise_publish(world.lanwise_host, "Lanwise Partial", 7002, service_type=kind)
        try:
            found: set[str] = set()
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline and len(found) < 2:
                out = world.dig("+norec", "-p", "5301", "PTR", f"{kind}.{LINK_DOMAIN}",
                                server=str(late.address))  # fmt: skip
                found = {d for _, k, d in records(out) if k == "PTR"}
                time.sleep(0.5)
        finally:
            stop_process(announcer)
            late.stop()
    assert {d.split("\\032")[0] for d in found} == {"Avahi", "Lanwise"}, found


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("A", "example.com"), {"REFUSED"}),
        (("SOA", "local"), {"REFUSED"}),
        (("PTR", f"{SERVICE_TYPE}.local"), {"REFUSED"}),
        (("A", f"dp.{DOMAIN}"), {"REFUSED"}),  # the parent zone is BIND's, not the proxy's
        (("A", "lan-a.example.test.evil"), {"REFUSED"}),
    ],
)
def test_only_its_domains_are_answered(
    world: World, proxy: Proxy, args: tuple[str, ...], expected: set[str]
) -> None:
    out = world.dig(*args, server=str(world.proxy_address))
    assert status(out) in expected, out
    assert not [r for r in records(out) if r[1] not in ("SOA", "OPT")], out
    assert "ra" not in out.split("flags:")[1].split(";")[0].split(), out  # no recursion


@pytest.mark.parametrize("rdtype", ["AXFR", "IXFR"])
def test_no_zone_transfer(world: World, proxy: Proxy, rdtype: str) -> None:
    """A transfer of the link's zone, over TCP as it is asked, is refused (or not
    implemented), never started: the zone is whatever the link holds now."""
    message = dns.message.make_query(LINK_DOMAIN, rdtype)
    if rdtype == "IXFR":
        soa = dns.rrset.from_text(f"{LINK_DOMAIN}.", 0, "IN", "SOA", "ns. admin. 1 1 1 1 1")
        message.authority.append(soa)
    wire = world.client.call(hostile.ask_tcp, str(proxy.address), 53, message.to_wire())
    assert wire, "closed without a reply"
    reply = dns.message.from_wire(wire)
    assert reply.rcode() in (dns.rcode.REFUSED, dns.rcode.NOTIMP), reply
    assert not reply.answer, reply


def test_lan_a_sees_every_publisher_over_mdns(world: World) -> None:
    """The premise: the three publishers are on LAN A's mDNS."""
    names = {e.name for e in world.avahi.browse(SERVICE_TYPE) if e.resolved}
    assert names >= NAMES


def test_multicast_does_not_cross_the_router(world: World) -> None:
    """The premise: LAN B sees none of LAN A's services over mDNS, only through the proxy."""
    out = world.client.lanwise("browse", "-t", "--json", SERVICE_TYPE, timeout=30).stdout
    local = [json.loads(line)["name"] for line in out.splitlines()]
    assert not NAMES & set(local), local


def test_router_delegates_the_link_domain(world: World) -> None:
    out = world.dig("+norec", "NS", LINK_DOMAIN)
    assert f"dp.{DOMAIN}." in out, out
    assert world.dig("+short", "A", f"dp.{DOMAIN}").split() == [str(world.proxy_address)]
    out = world.dig("+short", "PTR", f"b._dns-sd._udp.{DOMAIN}")
    assert out.split() == [f"{LINK_DOMAIN}."]
    world.client.run("ping", "-c", "1", "-W", "2", str(world.proxy_address))


def test_no_link_local_address_in_anything_dug(world: World, proxy: Proxy) -> None:
    """Runs last: every A/AAAA any test of this module got from dig (§5.5.2)."""
    _ptr_names(world)
    for target in ("avpub", "zc-peer"):  # avahi's and python-zeroconf's hosts
        world.dig("ANY", f"{target}.{LINK_DOMAIN}")
    assert assert_no_link_local(world.dug) > 0
