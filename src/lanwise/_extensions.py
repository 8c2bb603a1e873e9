"""Which modules run compiled, and the import rule that keeps the pure sources whole.

The build may compile the modules in :data:`COMPILABLE` from their own ``.py``
sources with Cython (docs/compiled.md). An extension module sits beside its
source, and Python's import system prefers it. The finder installed here makes
the source win instead in two cases:

- ``LANWISE_NO_EXTENSIONS=1``: the pure-Python path, which the tests run too;
- the build is stale: an edited checkout with an old editable build must never
  let an extension shadow the code being tested. The build writes the SHA-256
  of each source it compiled to ``_extensions.json``; when any of them no
  longer matches, every compilable module is imported from source (they are
  compiled against each other's C declarations, so they go together).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Final

__all__ = ["COMPILABLE", "compiled_modules", "install_finder"]

#: The modules the build compiles (hatch_build.py reads this tuple as a literal): the DNS
#: codec's hot path and the mDNS engine's.
COMPILABLE: Final = (
    "lanwise.dns.name",
    "lanwise.dns.twins",
    "lanwise.dns._slots",
    "lanwise.dns.compression",
    "lanwise.dns.rdata",
    "lanwise.dns.parser",
    "lanwise.dns.builder",
    "lanwise.mdns.echoes",
    "lanwise.mdns.links",
    "lanwise.mdns.cache",
    "lanwise.mdns.querier",
    "lanwise.mdns.engine",
    "lanwise.mdns.answering",
    "lanwise.mdns.answers",
    "lanwise.mdns.published",
    "lanwise.mdns.outbox",
    "lanwise.mdns.packets",
    "lanwise.mdns.responder",
)
MANIFEST: Final = Path(__file__).with_name("_extensions.json")
_SUFFIXES: Final = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def _built_hashes() -> dict[str, str]:
    try:
        loaded = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _source_digest(module: str) -> str | None:
    """SHA-256 of a lanwise module's ``.py`` beside this file, or None when it is missing."""
    source = Path(__file__).parent.joinpath(*module.split(".")[1:]).with_suffix(".py")
    try:
        return hashlib.sha256(source.read_bytes()).hexdigest()
    except OSError:
        return None


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Imports a compilable module from its ``.py`` when the extension must not be used."""

    def __init__(self, force_source: bool) -> None:
        self.force_source = force_source
        self.hashes = {} if force_source else _built_hashes()
        self._checked: dict[str, str] | None = None  # the hashes _fresh was computed for
        self._fresh = False

    def _build_is_fresh(self) -> bool:
        """Does every module the build compiled still match its source?

        All or nothing: the extensions reach into each other in C (``cimport``), so a
        compiled module next to its dependency imported from an edited source fails
        to import ("size changed", a missing C function). One stale module sends
        every compilable module to its source.
        """
        if self._checked is not self.hashes:
            self._fresh = all(_source_digest(m) == d for m, d in self.hashes.items())
            self._checked = self.hashes
        return self._fresh

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILABLE or path is None:
            return None
        leaf = fullname.rpartition(".")[2]
        for directory in path:
            source = Path(directory, leaf + ".py")
            if not source.is_file():
                continue
            if not self.force_source and fullname in self.hashes and self._build_is_fresh():
                return None  # the build matches its sources: the default import takes it
            return importlib.util.spec_from_file_location(fullname, source)
        return None


def install_finder() -> None:
    """Put the source rule first on ``sys.meta_path`` (once; lanwise/__init__ calls it)."""
    if any(isinstance(finder, _SourceFinder) for finder in sys.meta_path):
        return
    force = os.environ.get("LANWISE_NO_EXTENSIONS", "") not in ("", "0")
    sys.meta_path.insert(0, _SourceFinder(force))


def compiled_modules() -> tuple[str, ...]:
    """The compilable modules that are running compiled in this process."""
    out = []
    for name in COMPILABLE:
        origin = getattr(importlib.import_module(name), "__file__", None) or ""
        if origin.endswith(_SUFFIXES):
            out.append(name)
    return tuple(out)
