"""The public API of lanwise.dns is deliberate: __all__ lists exactly what it exports."""

from __future__ import annotations

import importlib
import types

import lanwise.dns
from lanwise.dns import MessageBuilder, Record, RRClass, RRType

SUBMODULES = (
    "builder",
    "compression",
    "constants",
    "errors",
    "message",
    "name",
    "parser",
    "rdata",
    "record",
    "txt",
)


def test_all_matches_the_public_names() -> None:
    public = {
        name
        for name, value in vars(lanwise.dns).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    } - {"annotations"}
    assert public == set(lanwise.dns.__all__)


def test_every_submodule_export_is_reexported_or_internal() -> None:
    internal = {"read_name", "decode_rdata", "strings_from_mapping", "MAX_STRING_LENGTH"}
    for module_name in SUBMODULES:
        module = importlib.import_module(f"lanwise.dns.{module_name}")
        for name in module.__all__:
            assert name in lanwise.dns.__all__ or name in internal, (module_name, name)
            assert hasattr(module, name)


def test_contract_shapes() -> None:
    """The shapes promised in the cross-team contract exist."""
    assert int(RRType.NSEC) == 47 and int(RRType.ANY) == 255 and int(RRClass.IN) == 1
    for method in ("add_question", "add_answer", "add_authority", "add_additional", "to_wire"):
        assert callable(getattr(MessageBuilder, method))
    assert {"name", "rtype", "rclass", "ttl", "rdata", "cache_flush"} <= set(Record.__slots__)
