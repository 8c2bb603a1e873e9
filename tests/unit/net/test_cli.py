"""The share and dns commands: bad input is one line on stderr and exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanwise.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["share", "70000", "--once"],
        ["share", "8080", "--scheme", "1http", "--once", "--no-advertise"],
        ["dns", "--resolv-conf", "/no/such/resolv.conf"],
        ["dns", "--resolv-conf", "/"],
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lanwise: error:") and "\n" not in err


def test_dns_reads_the_file_it_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 192.0.2.1\nnameserver 2001:db8::1\n")
    # A bus address with no socket behind it: systemd-resolved counts as absent.
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    assert main(["dns", "--resolv-conf", str(conf)]) == 0
    out = capsys.readouterr().out
    assert "192.0.2.1" in out and "2001:db8::1" in out
