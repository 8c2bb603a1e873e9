"""The compiled fast path's import rule: the pure sources stay reachable and never go stale.

These run on whichever path the process uses; the hashes are faked so that the
rule itself is tested even where nothing was compiled.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
from pathlib import Path

import lanwise.dns
import lanwise.mdns
from lanwise import _extensions

PARSER = Path(lanwise.dns.__file__).with_name("parser.py")


def _spec(finder: _extensions._SourceFinder, module: str = "lanwise.dns.parser") -> object:
    return finder.find_spec(module, list(lanwise.dns.__path__))


def test_a_build_of_these_exact_sources_is_left_to_the_normal_import() -> None:
    finder = _extensions._SourceFinder(force_source=False)
    finder.hashes = {"lanwise.dns.parser": hashlib.sha256(PARSER.read_bytes()).hexdigest()}
    assert _spec(finder) is None


def test_a_stale_build_never_shadows_the_source() -> None:
    finder = _extensions._SourceFinder(force_source=False)
    finder.hashes = {"lanwise.dns.parser": "0" * 64}  # built from other octets
    spec = _spec(finder)
    assert spec is not None and getattr(spec, "origin", None) == str(PARSER)


def test_one_stale_module_sends_every_compiled_module_to_its_source() -> None:
    # The compiled parser calls into the compiled rdata in C: beside an rdata imported
    # from an edited source it would fail to import, so it goes to its source too.
    finder = _extensions._SourceFinder(force_source=False)
    finder.hashes = {
        "lanwise.dns.parser": hashlib.sha256(PARSER.read_bytes()).hexdigest(),
        "lanwise.dns.rdata": "0" * 64,
    }
    spec = _spec(finder)
    assert spec is not None and getattr(spec, "origin", None) == str(PARSER)


def test_no_build_record_means_the_source() -> None:
    finder = _extensions._SourceFinder(force_source=False)
    finder.hashes = {}
    spec = _spec(finder)
    assert spec is not None and getattr(spec, "origin", None) == str(PARSER)


def test_forcing_pure_python_ignores_even_a_matching_build() -> None:
    finder = _extensions._SourceFinder(force_source=True)
    finder.hashes = {"lanwise.dns.parser": hashlib.sha256(PARSER.read_bytes()).hexdigest()}
    spec = _spec(finder)
    assert spec is not None and getattr(spec, "origin", None) == str(PARSER)


def test_the_mdns_engine_follows_the_same_rule() -> None:
    cache = Path(lanwise.mdns.__file__).with_name("cache.py")
    finder = _extensions._SourceFinder(force_source=False)
    finder.hashes = {"lanwise.mdns.cache": "0" * 64}  # built from other octets
    spec = finder.find_spec("lanwise.mdns.cache", list(lanwise.mdns.__path__))
    assert spec is not None and getattr(spec, "origin", None) == str(cache)
    finder.hashes = {"lanwise.mdns.cache": hashlib.sha256(cache.read_bytes()).hexdigest()}
    assert finder.find_spec("lanwise.mdns.cache", list(lanwise.mdns.__path__)) is None


def test_modules_outside_the_compiled_set_are_not_touched() -> None:
    finder = _extensions._SourceFinder(force_source=True)
    assert _spec(finder, "lanwise.dns.record") is None


def test_lanwise_no_extensions_gives_the_pure_path_in_a_fresh_process() -> None:
    code = (
        "import importlib, lanwise, sys\n"
        "from lanwise._extensions import COMPILABLE\n"
        "for m in COMPILABLE: importlib.import_module(m)\n"
        "assert lanwise.compiled == (), lanwise.compiled\n"
        "assert all(sys.modules[m].__file__.endswith('.py') for m in COMPILABLE)\n"
    )
    env = dict(os.environ, LANWISE_NO_EXTENSIONS="1")
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_compiled_names_only_modules_loaded_from_extensions() -> None:
    compiled = lanwise.compiled
    assert set(compiled) <= set(_extensions.COMPILABLE)
    for name in _extensions.COMPILABLE:
        origin = importlib.import_module(name).__file__ or ""
        assert (name in compiled) == (not origin.endswith(".py"))
