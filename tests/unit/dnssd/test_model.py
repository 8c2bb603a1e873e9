"""The Service model: every rule checked on construction (RFC 6763 §4.1, §6, §7; RFC 2782)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.dnssd import Service, ServiceInfo, ServiceType
from lanwise.errors import UsageError


def test_service_normalises_its_fields() -> None:
    service = Service(
        "Living room",
        "_ipp._tcp.local.",
        631,
        {"rp": "printers/lr", "color": True},
        subtypes=["_universal._sub._ipp._tcp", "_print"],
        host="printer.local",
    )
    assert service.type == ServiceType.parse("_ipp._tcp")
    assert service.txt == (b"rp=printers/lr", b"color")
    assert service.subtypes == ("_universal", "_print")
    assert service.host == "printer"
    assert str(service) == "Living room._ipp._tcp.local"
    assert service.txt_mapping["RP"] == b"printers/lr"


@pytest.mark.parametrize("port", [0, -1, 65536, True, 80.0])
def test_port_out_of_range_is_refused(port: object) -> None:
    with pytest.raises(UsageError) as caught:
        Service("x", "_http._tcp", port)  # type: ignore[arg-type]
    assert caught.value.field == "port"


def test_port_zero_only_as_a_placeholder() -> None:
    """RFC 2782 / RFC 6763 §8: port 0 means 'no service here' and must be asked for."""
    assert Service("x", "_http._tcp", 0, placeholder=True).port == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "x" * 64}, "instance name"),
        ({"type": "_http._sctp"}, "service type"),
        ({"txt": {"a=b": "c"}}, "TXT key"),
        ({"subtypes": ["_a._sub._ipp._tcp"]}, "subtype"),
        ({"host": "bad_host"}, "host name"),
    ],
)
def test_each_rule_names_its_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"name": "x", "type": "_http._tcp", "port": 80, **kwargs}
    with pytest.raises(UsageError) as caught:
        Service(**args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_with_name_and_with_txt_revalidate() -> None:
    service = Service("a", "_http._tcp", 80)
    assert service.with_name("b").name == "b"
    assert service.with_txt({"k": "v"}).txt == (b"k=v",)
    with pytest.raises(UsageError):
        service.with_name("")


def test_service_info_lists_addresses_ipv4_first() -> None:
    info = ServiceInfo(
        name="a",
        type=ServiceType.parse("_http._tcp"),
        host="box.local",
        port=80,
        txt_strings=(b"",),
        addresses={
            3: (IPv6Address("fe80::1%eth1"),),
            2: (IPv4Address("10.0.0.2"), IPv6Address("fd00::2")),
        },
    )
    assert info.all_addresses == [
        IPv4Address("10.0.0.2"),
        IPv6Address("fd00::2"),
        IPv6Address("fe80::1%eth1"),
    ]
    assert dict(info.txt) == {}
