"""The DNS-SD commands' formats and usage errors (no network: errors come before any socket)."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.cli import main
from lanwise.cli.browse import event_to_json, format_event, format_parsable
from lanwise.dnssd import ServiceAdded, ServiceInfo, ServiceRemoved, ServiceType
from tests.lab.avahi import BrowseEntry

HTTP = ServiceType.parse("_http._tcp")
INFO = ServiceInfo(
    name="My Site; 2.0",
    type=HTTP,
    host="box.local",
    port=8080,
    txt_strings=(b"path=/", b'q"uote', b"flag"),
    addresses={1: (IPv4Address("10.0.0.5"), IPv6Address("fe80::1%lo"))},
)


def test_parsable_lines_read_back_with_avahis_rules() -> None:
    """avahi-browse -p shape; our escaping reads back with the avahi harness's parser."""
    (plus,) = format_parsable(ServiceAdded("My Site; 2.0", HTTP, 1), (4,))
    entry = BrowseEntry.parse(plus)
    assert entry is not None
    assert (entry.event, entry.protocol, entry.name, entry.service_type) == (
        "+",
        "IPv4",
        "My Site; 2.0",
        "_http._tcp",
    )
    lines = format_parsable(ServiceAdded("My Site; 2.0", HTTP, 1, INFO))
    assert [line.split(";")[2] for line in lines] == ["IPv4", "IPv6"]
    first = BrowseEntry.parse(lines[0])
    assert first is not None and first.resolved
    assert (first.host_name, first.port, first.address) == ("box.local", 8080, INFO.addresses[1][0])
    assert first.txt == (b"path=/", b'q"uote', b"flag")
    (minus,) = format_parsable(ServiceRemoved("My Site; 2.0", HTTP, 1))
    assert minus.startswith("-;")


def test_json_events_carry_resolution() -> None:
    data = json.loads(json.dumps(event_to_json(ServiceAdded("My Site; 2.0", HTTP, 1, INFO))))
    assert data["event"] == "added" and data["interface_index"] == 1
    assert data["port"] == 8080 and data["txt"] == {"path": "/", 'q"uote': None, "flag": None}
    assert data["addresses"] == ["10.0.0.5", "fe80::1%lo"]


def test_readable_lines() -> None:
    lines = format_event(ServiceAdded("My Site; 2.0", HTTP, 1, INFO))
    assert lines[0].startswith("= ") and "box.local:8080" in lines[1]


@pytest.mark.parametrize(
    "argv",
    [
        ["browse", "_bad"],
        ["publish", "x", "_http._tcp", "0"],
        ["publish", "x", "_http._tcp", "80", "=v"],
        ["publish", "x" * 64, "_http._tcp", "80"],
        ["resolve", "x", "_toolongservicename._tcp"],
        ["lookup", "not_a_host.local"],
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf", "soon"])
@pytest.mark.parametrize("command", [["resolve", "x", "_http._tcp"], ["lookup", "box.local"]])
def test_a_timeout_that_is_not_a_positive_number_exits_2(
    command: list[str], timeout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*command, "--timeout", timeout])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--timeout" in err[0]
