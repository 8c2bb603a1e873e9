"""The interfaces, monitor and overview commands: formatting and usage errors."""

from __future__ import annotations

import argparse
import json
from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.cli import main
from lanwise.cli.interfaces import format_table
from lanwise.cli.monitor import format_event
from lanwise.cli.overview import SECTIONS, Context, Section, render
from lanwise.interfaces import (
    Address,
    AddressAdded,
    AddressChanged,
    AddressScope,
    Interface,
    InterfaceDown,
    InterfaceFlags,
    InterfaceType,
    OperState,
)
from lanwise.interfaces.serialize import event_name, event_to_dict

LL = Address(IPv6Address("fe80::1%eth0"), 64, 2, scope=AddressScope.LINK, tentative=True)
V4 = Address(IPv4Address("10.0.0.2"), 24, 2, broadcast=IPv4Address("10.0.0.255"))
FLAGS = (
    InterfaceFlags.UP | InterfaceFlags.BROADCAST | InterfaceFlags.RUNNING | InterfaceFlags.MULTICAST
)
ETH = Interface(
    2, "eth0", InterfaceType.WIRED, "veth", FLAGS, 1500, "02:00:00:00:00:02", OperState.UP, (V4, LL)
)


def test_table_has_one_line_per_address() -> None:
    lines = format_table([ETH]).splitlines()
    assert lines[0].split() == ["INDEX", "NAME", "TYPE", "STATE", "FLAGS", "ADDRESSES"]
    assert "10.0.0.2/24 brd 10.0.0.255 scope global" in lines[1]
    assert lines[1].split()[:4] == ["2", "eth0", "wired", "(veth)"]
    assert lines[2].strip() == "fe80::1%eth0/64 scope link tentative"


def test_event_names_and_json() -> None:
    down = InterfaceDown(ETH, ETH)
    assert event_name(down) == "interface_down"
    assert event_name(AddressChanged(LL, LL)) == "address_changed"
    data = json.loads(json.dumps(event_to_dict(AddressAdded(LL))))
    assert data["event"] == "address_added" and data["index"] == 2
    assert data["address"]["address"] == "fe80::1%eth0" and data["address"]["tentative"] is True


def test_format_event_reads_well() -> None:
    line = format_event(AddressAdded(V4), "eth0")
    assert line.startswith("address added") and "eth0 (#2) 10.0.0.2/24" in line


@pytest.mark.parametrize(
    "argv",
    [
        ["interfaces", "--type", "bogus"],
        ["interfaces", "--frobnicate"],
        ["interfaces", "no-such-interface-here"],
        ["interfaces", "987654"],
        ["monitor", "--receive-buffer", "0"],
    ],
)
def test_bad_options_and_unknown_interfaces_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(argv)
    except SystemExit as exc:
        status = int(exc.code or 0)
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err


def test_loopback_is_listed_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["interfaces", "--json", "--type", "loopback"]) == 0
    [lo] = json.loads(capsys.readouterr().out)
    assert lo["type"] == "loopback" and lo["kind"] == "loopback"
    assert {"127.0.0.1"} <= {a["address"] for a in lo["addresses"]}


def test_overview_prints_its_sections_in_order() -> None:
    # The DNS-SD section listens on the host's real network, which a unit test must not
    # touch; the lab runs the whole overview (tests/lab/interfaces/test_list.py).
    local = [s for s in SECTIONS if "DNS-SD" not in s.title]
    assert len(local) == len(SECTIONS) - 1
    extra = Section("Extra section", lambda ctx: [f"{len(ctx.interfaces)} interfaces"])
    empty = Section("Empty section", lambda ctx: [])
    out = render(Context(argparse.Namespace(command=None)), [*local, empty, extra])
    assert out.index("Other interfaces") < out.index("Extra section")
    assert "lo (#1) loopback" in out and "Empty section" not in out
