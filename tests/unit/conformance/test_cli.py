"""``lanwise conformance``: usage errors are one line and exit status 2."""

from __future__ import annotations

import pytest

from lanwise.cli import main


def test_target_and_interface_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["conformance", "--target", "device.local"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--interface" in err[0]


def test_a_bad_service_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["conformance", "--target", "d.local", "-i", "lo", "--service", "_http._tcp"])
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "service" in err[0]


def test_an_unknown_interface_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["conformance", "--target", "d.local", "-i", "no-such-if0"])
    assert status == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_an_empty_restart_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["conformance", "--target", "d.local", "-i", "lo", "--restart-command", " "])
    assert status == 2


@pytest.mark.parametrize("command", ["", "echo 'unclosed", "/no/such/lanwise-restart-tool --now"])
def test_a_restart_command_that_cannot_run_is_a_usage_error(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["conformance", "--target", "d.local", "-i", "lo", "--restart-command", command])
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--restart-command" in err[0]


@pytest.mark.parametrize("target", ["", " "])
def test_an_empty_target_is_a_usage_error(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 19: ``--target ""`` used to run the whole suite against nothing."""
    status = main(["conformance", "--target", target, "-i", "lo"])
    assert status == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "target" in err[0]
    assert captured.out == ""


def test_link_local_target_must_be_an_address_or_a_mac(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["conformance", "--link-local", "--target", "device.local", "-i", "lo"])
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "MAC" in err[0]


def test_an_ipv4_target_in_an_ipv6_run_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["conformance", "--target", "10.0.0.1", "-i", "lo", "--family", "6"])
    assert status == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
