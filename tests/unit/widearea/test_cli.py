"""Bad wide-area input on the command line: one line, exit status 2, no network."""

from __future__ import annotations

import pytest

from lanwise.cli import main


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["browse", "-d", "example.test"], "TYPE"),
        (["browse", "-d", "local", "_http._tcp"], "domain"),
        (
            [
                "publish",
                "-d",
                "example.test",
                "--tsig-key",
                "/nonexistent.key",
                "x",
                "_http._tcp",
                "80",
            ],
            "TSIG key file",
        ),
        (["publish", "-d", "example.test", "--lease", "0", "x", "_http._tcp", "80"], "lease"),
        (
            ["publish", "-d", "example.test", "--server", "ns.example", "x", "_http._tcp", "80"],
            "server",
        ),
        (["domains", "--server", "not-an-address"], "server"),
    ],
)
def test_bad_wide_area_input_exits_2_with_one_line(
    argv: list[str], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert field in err
