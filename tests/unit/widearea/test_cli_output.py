"""Wide-area output goes through the shared printer (docs/cli.md): names, host names
and TXT from the network are escaped, TXT is quoted once, ``--json`` is the one
documented shape, and a resolved service prints again only on a visible change.

The commands run for real against a scripted DNS server on loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from lanwise.cli import main
from lanwise.cli.widearea import _on_event
from lanwise.widearea import LeaseLost, LeaseRefreshFailed
from tests.unit.widearea.fakeserver import instance_zone, serve

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "cli-service.schema.json"


async def _run(argv: list[str]) -> int:
    server, close = await serve(instance_zone)
    try:
        return await asyncio.to_thread(main, [*argv[:1], "--server", str(server), *argv[1:]])
    finally:
        close()


async def test_browse_d_escapes_what_the_network_sent(capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run(["browse", "-d", "example.test", "-r", "-t", "_http._tcp"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    lines = out.splitlines()
    assert lines[0] == "= example.test evil\\027[31m  _http._tcp"
    assert lines[1] == "    host     b\\027x.example.test:8080"
    assert lines[2] == "    address  10.0.0.5"
    assert lines[3] == '    txt      "k=\\027]0;PWNED\\007"'
    assert len(lines) == 4  # printed once


async def test_browse_d_json_is_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    assert await _run(["browse", "-d", "example.test", "-r", "-t", "--json", "_http._tcp"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    data: dict[str, Any] = json.loads(line)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(data, {**schema, "$ref": "#/$defs/browse_event"})
    jsonschema.validate(data, {**schema, "$ref": "#/$defs/service"})
    assert (data["event"], data["interface"], data["interface_index"]) == ("added", "", 0)
    assert (data["name"], data["domain"]) == ("evil\x1b[31m", "example.test")
    assert data["addresses"] == [
        {"address": "10.0.0.5", "family": 4, "interface": "", "interface_index": 0}
    ]
    assert data["txt_raw"] == ["k=\x1b]0;PWNED\x07"]
    assert "\x1b" not in line  # JSON escapes control characters too


def test_lease_messages_escape_names(capsys: pytest.CaptureFixture[str]) -> None:
    _on_event(None, LeaseRefreshFailed("a\x1b[2Jb", "10.0.0.53: refresh a\x1b[2Jb failed"))  # type: ignore[arg-type]
    _on_event(None, LeaseLost("a\x1b[2Jb", "lease expired"))  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "lease refresh failed for 'a\\027[2Jb': 10.0.0.53: refresh a\\027[2Jb failed" in out
    assert "lease lost for 'a\\027[2Jb': lease expired" in out
