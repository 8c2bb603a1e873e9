"""Completion scripts and man pages are generated from the parser and list every command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lanwise.cli import _COMMANDS
from lanwise.cli.shellfiles import build

pytest.importorskip("shtab")
pytest.importorskip("argparse_manpage")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("shell")
    build(directory)
    return directory


def test_bash_completion_lists_every_command(built: Path) -> None:
    script = (built / "completion" / "lanwise.bash").read_text()
    (line,) = [x for x in script.splitlines() if x.startswith("_shtab_lanwise_subparsers=")]
    assert line.split("=", 1)[1].strip("()").split() == list(_COMMANDS)
    assert "--parsable" in script and "--version" in script


def test_bash_completion_completes_commands_in_bash(built: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    script = built / "completion" / "lanwise.bash"
    done = subprocess.run(
        ["bash", "-c", f'source "{script}"; COMP_WORDS=(lanwise "")\n COMP_CWORD=1\n'
         ' COMP_LINE="lanwise "; COMP_POINT=8; _shtab_lanwise; printf "%s\\n" "${COMPREPLY[@]}"'],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert set(_COMMANDS) <= set(done.stdout.split()), done.stderr


def test_zsh_completion_lists_every_command(built: Path) -> None:
    script = (built / "completion" / "_lanwise").read_text()
    assert script.startswith("#compdef lanwise")
    for command in _COMMANDS:
        assert f"\n    {command}:'" in script, command
        assert f"_shtab_lanwise_{command}_options=(" in script, command


def test_the_test_commands_build_is_current(built: Path) -> None:
    """``scripts/test`` builds the files into build/ before pytest runs."""
    made = Path(__file__).resolve().parents[3] / "build"
    if not (made / "completion").is_dir():
        pytest.skip("build/ not made: run ./scripts/test")
    for name in ("lanwise.bash", "_lanwise"):
        assert (made / "completion" / name).read_text() == (
            built / "completion" / name
        ).read_text(), name
    assert {p.name for p in (made / "man").iterdir()} >= {p.name for p in (built / "man").iterdir()}


def test_man_pages_list_every_command(built: Path) -> None:
    page = (built / "man" / "lanwise.1").read_text()
    assert page.startswith(".TH LANWISE") and '"lanwise 0.' in page.splitlines()[0]
    for command in _COMMANDS:
        assert f"\\fI\\,{command}\\/\\fR" in page, command
        sub = (built / "man" / f"lanwise-{command}.1").read_text()
        assert f"lanwise {command}" in sub
