"""`lanwise proxy` option errors: one line naming the option, exit 2, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanwise.cli import main
from tests.unit.proxy.fakesource import make_certificate

LINK = ["proxy", "--link", "lo=lan-a.example.test"]


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_bad_push_host_names_push_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cert, key = make_certificate(tmp_path)
    push = ["--push-port", "0", "--tls-cert", str(cert), "--tls-key", str(key)]
    error = _usage_error([*LINK, *push, "--push-host", "a..b"], capsys)
    assert error.startswith("lanwise: error: --push-host: a valid DNS domain name")


def test_a_bad_ns_name_names_ns(capsys: pytest.CaptureFixture[str]) -> None:
    error = _usage_error([*LINK, "--ns", "a..b"], capsys)
    assert error.startswith("lanwise: error: --ns: a valid DNS domain name")
