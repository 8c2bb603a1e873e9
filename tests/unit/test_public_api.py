"""The public API is deliberate: every package's ``__all__`` resolves, holds no
duplicates, and every exported class and function says what it is for."""

from __future__ import annotations

import importlib
import inspect

import pytest

import lanwise
import lanwise.dnssd

PACKAGES = [
    "lanwise",
    "lanwise.conformance",
    "lanwise.dns",
    "lanwise.dnssd",
    "lanwise.dnssd.avahi",
    "lanwise.dso",
    "lanwise.framing",
    "lanwise.interfaces",
    "lanwise.linklocal",
    "lanwise.mdns",
    "lanwise.net",
    "lanwise.proxy",
    "lanwise.widearea",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves_once(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    assert len(names) == len(set(names)), "duplicates in __all__"
    for name in names:
        assert getattr(module, name) is not None, f"{package}.{name}"


@pytest.mark.parametrize("package", PACKAGES)
def test_exported_classes_and_functions_have_docstrings(package: str) -> None:
    module = importlib.import_module(package)
    undocumented = [
        name
        for name in module.__all__
        if (inspect.isclass(value := getattr(module, name)) or inspect.isfunction(value))
        and not inspect.getdoc(value)
    ]
    assert not undocumented, f"{package}: no docstring on {undocumented}"


def test_top_level_names_load_lazily_and_match_their_home() -> None:
    for name in lanwise.__all__:
        value = getattr(lanwise, name)
        if hasattr(lanwise.dnssd, name):
            assert value is getattr(lanwise.dnssd, name)
    with pytest.raises(AttributeError):
        _ = lanwise.no_such_name
