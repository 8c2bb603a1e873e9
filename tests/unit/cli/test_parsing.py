"""The shared parser: negative numbers are values, options go anywhere, --version."""

from __future__ import annotations

import pytest

import lanwise
from lanwise.cli import build_parser, main


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_a_negative_port_names_the_port_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """With -4/-6 defined argparse read -1 as an option: "required: PORT, key=value"."""
    assert "PORT: a port must be an integer 1-65535" in _error(
        ["publish", "X", "_http._tcp", "-1"], capsys
    )


@pytest.mark.parametrize("command", [["resolve", "x", "_http._tcp"], ["lookup", "box.local"]])
def test_a_negative_timeout_names_the_timeout_rule(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "expected one argument"."""
    error = _error([*command, "--timeout", "-1"], capsys)
    assert "--timeout: seconds must be a number > 0" in error


def test_options_may_come_among_txt_strings() -> None:
    args = build_parser("publish").parse_args(
        ["publish", "X", "_http._tcp", "80", "--subtype", "_a", "k=v", "-4", "flag"]
    )
    assert (args.port, args.txt, args.subtypes, args.family) == (80, ["k=v", "flag"], ["_a"], 4)


def test_four_and_six_are_still_options() -> None:
    args = build_parser("browse").parse_args(["browse", "-6", "_http._tcp", "-r"])
    assert (args.family, args.type, args.resolve) == (6, "_http._tcp", True)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([flag])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("lanwise 0.") and "Python 3." in out
    # It tells the truth about the code path this process runs.
    if lanwise.compiled:
        assert "compiled: " in out and "pure Python" not in out
    else:
        assert "pure Python: no compiled fast path" in out
