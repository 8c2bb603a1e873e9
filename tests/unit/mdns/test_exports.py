"""The engine's public names (lanwise.mdns.__all__) resolve and are what the modules define."""

from __future__ import annotations

import lanwise.mdns
from lanwise.mdns import endpoints, events, registration


def test_every_exported_name_resolves() -> None:
    for name in lanwise.mdns.__all__:
        assert getattr(lanwise.mdns, name) is not None, name


def test_public_engine_types_are_exported() -> None:
    expected = {
        *endpoints.__all__,
        *events.__all__,
        "EngineRegistration",
        "RegistrationKind",
        "ServiceRecords",
        "Engine",
    }
    missing = expected - set(lanwise.mdns.__all__)
    assert not missing
    assert registration.ServiceRecords is lanwise.mdns.ServiceRecords
