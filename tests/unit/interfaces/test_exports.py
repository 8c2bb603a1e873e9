"""The public API of lanwise.interfaces is deliberate: __all__ is complete and importable."""

from __future__ import annotations

import types

import lanwise.interfaces as pkg
from lanwise.interfaces import events, filters, lookup, model, monitor


def test_all_names_exist() -> None:
    for name in pkg.__all__:
        assert hasattr(pkg, name), name


def test_every_public_name_of_the_api_modules_is_re_exported() -> None:
    modules: list[types.ModuleType] = [events, filters, lookup, model, monitor]
    # State-transition helpers and type aliases stay in their modules on purpose.
    internal = {
        "AddressKey", "State", "apply_event", "diff", "remove_address", "remove_link",
        "update_address", "update_link", "sort_addresses", "DEFAULT_MAX_QUEUED",
    }  # fmt: skip
    for module in modules:
        for name in module.__all__:
            if name not in internal:
                assert name in pkg.__all__, f"{module.__name__}.{name} is not re-exported"


def test_all_is_sorted_without_duplicates() -> None:
    assert list(pkg.__all__) == sorted(set(pkg.__all__))
