"""The proxy's caller-facing checks: a bad link, domain or address is a UsageError naming it."""

from __future__ import annotations

import math
import ssl
from ipaddress import IPv4Address

import dns.name
import dns.rdatatype
import dns.reversename
import pytest

from lanwise.cli import main
from lanwise.errors import UsageError
from lanwise.proxy import serve
from lanwise.proxy.api import build_zone, resolve_links
from lanwise.proxy.push import PushServer, push_service
from lanwise.proxy.server import ServerLimits
from lanwise.proxy.zones import enumeration_names
from tests.unit.net.factory import make_interface
from tests.unit.proxy.fakesource import FakeSource

ETH0 = make_interface(2, "eth0", addresses=("10.0.1.53/24", "fe80::53/64", "2001:db8:1::53/64"))
ETH1 = make_interface(3, "eth1", addresses=("10.0.2.53/24",))


@pytest.mark.parametrize(
    ("links", "field"),
    [
        ({}, "links"),
        ({"eth9": "lan-a.example.test"}, "interface"),
        ({"eth0": "printer.local"}, "domain"),
        ({"eth0": "bad..name"}, "domain"),
        ([("eth0", "lan-a.example.test"), ("2", "lan-b.example.test")], "interface"),
        ({"eth0": "lan.example.test", "eth1": "sub.lan.example.test"}, "domain"),
    ],
)
def test_bad_links_name_the_field(links: object, field: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_links(links, [ETH0, ETH1])  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_zone_takes_the_links_routable_addresses_and_subnets() -> None:
    ((interface, domain),) = resolve_links({"eth0": "lan-a.example.test"}, [ETH0, ETH1])
    zone = build_zone(interface, domain)
    assert [str(a) for a in zone.addresses] == ["10.0.1.53", "2001:db8:1::53"]  # no fe80
    assert zone.interface == 2
    # RFC 6763 §11: the subnet's address-derived browse names are the zone's.
    reverse = enumeration_names(dns.reversename.from_address("10.0.1.0"))
    assert reverse and all(zone.owns(name) for name in reverse)


async def test_serve_checks_its_arguments_before_opening_anything() -> None:
    with pytest.raises(UsageError) as caught:
        async with serve({"no-such-interface0": "lan-a.example.test"}):
            pass
    assert caught.value.field == "interface"
    with pytest.raises(UsageError) as caught:
        async with serve({"lo": "lan-a.example.test"}, wait=0):
            pass
    assert caught.value.field == "wait"


def test_cli_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["proxy", "--link", "no-such-interface0=lan-a.example.test"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "interface" in err
    with pytest.raises(SystemExit) as exited:
        main(["proxy", "--link", "eth0"])
    assert exited.value.code == 2


def test_the_ns_name_can_be_the_one_the_parent_delegates_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ((interface, domain),) = resolve_links({"eth0": "lan-a.example.test"}, [ETH0, ETH1])
    zone = build_zone(interface, domain, dns.name.from_text("proxy.example.test"))
    assert [r.target.to_text() for r in zone.ns] == ["proxy.example.test."]
    assert zone.soa[0].mname.to_text() == "proxy.example.test."
    assert zone.own(domain, dns.rdatatype.A) == []  # its address is the parent's glue
    assert main(["proxy", "--link", "eth9=lan-a.example.test", "--ns", "bad..name"]) == 2
    assert "--ns: " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argument", "field"),
    [
        ({"max_udp": 100}, "max_udp"),
        ({"max_udp": "x"}, "max_udp"),
        ({"wait": math.inf}, "wait"),
        ({"wait": "6"}, "wait"),
        ({"rate": "x"}, "rate"),
        ({"burst": math.inf}, "burst"),
        ({"families": (5,)}, "families"),
        ({"families": ()}, "families"),
        ({"port": "53"}, "port"),
        ({"port": 70000}, "port"),
        ({"listen": [(IPv4Address("127.0.0.1"), 70000)]}, "listen"),
        ({"listen": [("127.0.0.1", 53)]}, "listen"),
        ({"listen": "127.0.0.1"}, "listen"),
        ({"limits": "x"}, "limits"),
    ],
)
async def test_serve_names_a_bad_argument_before_opening_anything(
    argument: dict[str, object], field: str
) -> None:
    with pytest.raises(UsageError) as caught:
        async with serve({"lo": "lan-a.example.test"}, **argument):  # type: ignore[arg-type]
            pass
    assert caught.value.field == field


@pytest.mark.parametrize(
    "argument",
    [
        {"max_tcp_inflight": 0},  # reading would wait for a slot that never comes
        {"max_tcp": -1},
        {"max_pending": 1.5},
        {"tcp_idle": 0},
        {"tcp_idle": math.inf},
    ],
)
def test_server_limits_name_a_bad_field(argument: dict[str, object]) -> None:
    with pytest.raises(UsageError) as caught:
        ServerLimits(**argument)  # type: ignore[arg-type]
    assert caught.value.field == next(iter(argument))


def test_a_push_port_that_is_no_number_is_a_usage_error() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(UsageError) as caught:
        push_service(context, "x")  # type: ignore[arg-type]
    assert caught.value.field == "port"
    with pytest.raises(UsageError) as caught:
        PushServer(FakeSource(), context, "127.0.0.1", "x")  # type: ignore[arg-type]
    assert caught.value.field == "port"
