"""Shell completion (bash, zsh) and man pages, generated from the argparse definitions.

``python -m lanwise.cli.shellfiles DIR`` writes::

    DIR/completion/lanwise.bash   bash: source it, or install as
                                  /usr/share/bash-completion/completions/lanwise
    DIR/completion/_lanwise       zsh: put it in a directory on $fpath
    DIR/man/lanwise.1             the whole command, every sub-command included
    DIR/man/lanwise-COMMAND.1     one page per sub-command

It needs shtab and argparse-manpage (the ``test`` extra); ``scripts/test``
builds the files into ``build/`` before the tests run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lanwise.cli import build_parser

__all__ = ["build", "subcommands"]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-command parsers of ``parser``, by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def build(directory: Path) -> list[Path]:
    """Write the completion scripts and man pages under ``directory``; returns the paths."""
    import shtab  # noqa: PLC0415 - generator-only dependencies (the test extra)
    from argparse_manpage.manpage import Manpage  # noqa: PLC0415

    from lanwise import __version__  # noqa: PLC0415

    parser = build_parser()
    written: list[Path] = []
    completion = directory / "completion"
    completion.mkdir(parents=True, exist_ok=True)
    for shell, name in (("bash", "lanwise.bash"), ("zsh", "_lanwise")):
        path = completion / name
        path.write_text(shtab.complete(parser, shell=shell))
        written.append(path)
    man = directory / "man"
    man.mkdir(parents=True, exist_ok=True)
    pages = {"lanwise": parser} | {
        f"lanwise-{name}": sub for name, sub in subcommands(parser).items()
    }
    for page, page_parser in pages.items():
        path = man / f"{page}.1"
        text = Manpage(page_parser)
        text.source = f"lanwise {__version__}"
        text.manual = "lanwise manual"
        path.write_text(str(text))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m lanwise.cli.shellfiles DIR``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m lanwise.cli.shellfiles DIR", file=sys.stderr)
        return 2
    for path in build(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
