"""The DNS-SD commands' formats and usage errors (no network: errors come before any socket)."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

import pytest

from lanwise.cli import main
from lanwise.cli.browse import EventPrinter, event_to_json, format_event, format_parsable
from lanwise.cli.output import service_to_json
from lanwise.cli.resolve import format_info, split_instance
from lanwise.dnssd import (
    BrowseOverflow,
    Service,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceType,
    ServiceUpdated,
)
from lanwise.errors import UsageError
from tests.harness.avahi import BrowseEntry

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "cli-service.schema.json"

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


def _validate(data: Any, definition: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(data, {**schema, "$ref": f"#/$defs/{definition}"})


def test_json_events_carry_resolution() -> None:
    data = json.loads(json.dumps(event_to_json(ServiceAdded("My Site; 2.0", HTTP, 1, INFO))))
    assert data["event"] == "added" and data["interface_index"] == 1
    assert data["port"] == 8080 and data["txt"] == {"path": "/", 'q"uote': None, "flag": None}
    assert [a["address"] for a in data["addresses"]] == ["10.0.0.5", "fe80::1%lo"]
    _validate(data, "browse_event")


def test_browse_and_resolve_share_one_json_shape() -> None:
    """Issue 19: browse gave an address list, resolve a dict keyed by interface."""
    resolved = service_to_json(INFO)
    event = event_to_json(ServiceAdded("My Site; 2.0", HTTP, 1, INFO))
    _validate(resolved, "service")
    _validate(event, "browse_event")
    assert {k: event[k] for k in resolved} == resolved
    _validate(event_to_json(ServiceRemoved("My Site; 2.0", HTTP, 1)), "browse_event")
    with pytest.raises(Exception, match="'port' is a required property"):
        _validate({k: v for k, v in resolved.items() if k != "port"}, "service")


def test_resolve_quotes_txt_like_browse() -> None:
    """Issue 19: resolve printed ``note=hello world`` unquoted."""
    info = ServiceInfo("N", HTTP, "h.local", 1, (b"note=hello world", b"a=\x1b[2J"), {})
    (txt,) = [x for x in format_info(info).splitlines() if x.startswith("  txt")]
    assert txt == '  txt      "note=hello world" "a=\\027[2J"'
    assert format_event(ServiceAdded("N", HTTP, 1, info))[3].endswith(txt.split(None, 1)[1])


def test_readable_output_escapes_names_from_the_network() -> None:
    """Issue 17: plain browse printed instance names raw (NUL, ESC[31m)."""
    lines = format_event(ServiceAdded("evil\x00\x1b[31m", HTTP, 1))
    assert "\x1b" not in lines[0] and "\x00" not in lines[0]
    assert "evil\\000\\027[31m" in lines[0]
    info = ServiceInfo("e\x1b]0;T\x07", HTTP, "h\x1b.local", 1, (b"k=\x1b]0;PWNED\x07",), {})
    shown = format_info(info)
    assert "\x1b" not in shown and "\x07" not in shown


def test_type_enumeration_names_keep_their_dots_in_parsable_output() -> None:
    """Issue 19: ``-p`` on _services._dns-sd._udp printed ``_ipp\\._tcp``."""
    meta = ServiceType.parse("_services._dns-sd._udp")
    (line,) = format_parsable(ServiceAdded("_ipp._tcp", meta, 1))
    assert line.split(";")[3] == "_ipp._tcp"


def _updated(info: ServiceInfo) -> ServiceUpdated:
    return ServiceUpdated("My Site; 2.0", HTTP, 1, info)


@pytest.mark.parametrize("style", ["text", "parsable", "json"])
def test_an_update_that_changes_nothing_visible_is_not_printed(style: str) -> None:
    """Issue 19: "added" and "updated" both printed the same ``=`` lines."""
    printer = EventPrinter(style)
    first = printer.lines(ServiceAdded("My Site; 2.0", HTTP, 1, INFO))
    assert first
    assert printer.lines(_updated(INFO)) == []
    moved = ServiceInfo(INFO.name, HTTP, INFO.host, 9090, INFO.txt_strings, INFO.addresses)
    assert printer.lines(_updated(moved))
    assert printer.lines(ServiceRemoved("My Site; 2.0", HTTP, 1))
    assert printer.lines(ServiceAdded("My Site; 2.0", HTTP, 1, INFO)) == first


def test_parsable_terminate_prints_each_instance_interface_protocol_once() -> None:
    """Issue 19: ``-r -t -p`` repeated an IPv6 line."""
    printer = EventPrinter("parsable", once=True)
    v4_only = ServiceInfo(INFO.name, HTTP, INFO.host, 8080, (), {1: (IPv4Address("10.0.0.5"),)})
    both = ServiceInfo(
        INFO.name,
        HTTP,
        INFO.host,
        8080,
        (),
        {1: (IPv4Address("10.0.0.5"), IPv6Address("fd00::5"), IPv6Address("fe80::5%lo"))},
    )
    lines = printer.lines(ServiceAdded("My Site; 2.0", HTTP, 1, v4_only))
    lines += printer.lines(_updated(both))
    lines += printer.lines(_updated(both))
    assert [x.split(";")[2] for x in lines] == ["IPv4", "IPv6"]
    assert lines[1].split(";")[7] == "fd00::5"


@pytest.mark.parametrize(
    ("name", "type_text", "expected"),
    [
        ("Kitchen Display (3)._http._tcp.local", "_http._tcp", "Kitchen Display (3)"),
        ("Kitchen Display (3)._http._tcp.local.", None, "Kitchen Display (3)"),
        ("Kitchen Display (3)._HTTP._tcp", None, "Kitchen Display (3)"),
        ("My.Site", "_http._tcp", "My.Site"),
    ],
)
def test_resolve_accepts_a_full_instance_name(
    name: str, type_text: str | None, expected: str
) -> None:
    """Issue 19: it looked up ``…local._http._tcp.local``."""
    assert split_instance(name, type_text) == (expected, HTTP)


@pytest.mark.parametrize(
    ("name", "type_text", "field"),
    [("Kitchen._ipp._tcp.local", "_http._tcp", "NAME"), ("Kitchen", None, "TYPE")],
)
def test_resolve_says_what_is_wrong_with_a_name(
    name: str, type_text: str | None, field: str
) -> None:
    with pytest.raises(UsageError) as exc:
        split_instance(name, type_text)
    assert exc.value.field == field


def test_a_subtype_without_underscore_is_refused() -> None:
    """Issue 19: ``--subtype printer`` was accepted, then avahi refused it."""
    with pytest.raises(UsageError, match=r"RFC 6763 §7\.1") as exc:
        Service("X", "_http._tcp", 80, subtypes=["printer"])
    assert exc.value.field == "subtype"
    assert Service("X", "_http._tcp", 80, subtypes=["_printer"]).subtypes == ("_printer",)


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
        ["publish", "x", "_http._tcp", "80", "--subtype", "printer"],
        ["resolve", "Kitchen._ipp._tcp.local", "_http._tcp"],
        ["resolve", "Kitchen"],
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own checks (the port's range)
        status = int(str(exc.code))
    assert status == 2
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


@pytest.mark.parametrize("style", ["text", "parsable"])
def test_a_browse_overflow_is_one_line_on_stderr(
    style: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 17: the browse said nothing when its view became partial."""
    printer = EventPrinter(style)
    printer.write(BrowseOverflow(limit=2000, shed=150))
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "lanwise: the mDNS cache reached its bound of 2000 records asked for and shed 150: "
        "what follows may be incomplete\n"
    )


def test_a_browse_overflow_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    EventPrinter("json").write(BrowseOverflow(limit=2000, shed=150))
    out, err = capsys.readouterr()
    assert err == ""
    data = json.loads(out)
    assert data == {"event": "overflow", "limit": 2000, "shed": 150}
    _validate(data, "browse_overflow")
