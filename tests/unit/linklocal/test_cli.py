"""``lanwise autoip``: argument errors, and the one-line and JSON forms of events."""

from __future__ import annotations

import json
from ipaddress import IPv4Address

import pytest

from lanwise.cli import main
from lanwise.cli.autoip import event_to_dict, format_event
from lanwise.linklocal import (
    AddressClaimed,
    AddressReleased,
    ConflictDetected,
    State,
    StateChanged,
    Trigger,
)

ADDRESS = IPv4Address("169.254.10.20")


def test_unknown_interface_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["autoip", "no-such-if0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-if0" in err


@pytest.mark.parametrize("bad", ["169.254.0.1", "10.1.2.3", "x"])
def test_requested_address_outside_the_range_is_refused(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["autoip", "no-such-if0", "--request", bad])
    assert info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_events_print_as_one_line_each() -> None:
    lines = [
        format_event(
            StateChanged(1.0, State.INIT, State.PROBING, Trigger.START, ADDRESS, "started")
        ),
        format_event(AddressClaimed(2.0, ADDRESS)),
        format_event(AddressReleased(3.0, ADDRESS, "stopped")),
        format_event(ConflictDetected(4.0, ADDRESS, "02:00:00:00:00:02", State.BOUND, "defended")),
    ]
    assert all("\n" not in line and str(ADDRESS) in line for line in lines)
    assert lines[0].startswith("probing") and "started" in lines[0]
    assert "02:00:00:00:00:02" in lines[3] and "defended" in lines[3]


def test_events_as_json() -> None:
    data = event_to_dict(
        StateChanged(1.0, State.PROBING, State.RATE_LIMITED, Trigger.CONFLICT, ADDRESS, "x")
    )
    assert json.loads(json.dumps(data)) == data
    assert (data["event"], data["old"], data["state"], data["address"]) == (
        "state",
        "probing",
        "rate-limited",
        "169.254.10.20",
    )
    stopped = event_to_dict(
        StateChanged(1.0, State.BOUND, State.STOPPED, Trigger.STOP, None, "stopped")
    )
    assert stopped["address"] is None
    conflict = event_to_dict(ConflictDetected(4.0, ADDRESS, "02:00:00:00:00:02", State.BOUND, "x"))
    assert conflict["hardware_address"] == "02:00:00:00:00:02"
