"""The sync face's error paths: a failed open leaves no thread or task behind."""

from __future__ import annotations

import threading

import pytest

from lanwise.dnssd import sync
from lanwise.errors import UsageError


def _dnssd_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lanwise-dnssd"]


def test_an_unknown_interface_raises_and_stops_the_background_loop() -> None:
    before = len(_dnssd_threads())
    with pytest.raises(UsageError) as exc:
        sync.SyncResponder(interfaces=["no-such-if0"], querier_only=True)
    assert exc.value.field == "interfaces"
    assert len(_dnssd_threads()) == before


def test_the_module_level_calls_raise_the_usage_error_too() -> None:
    before = len(_dnssd_threads())
    with pytest.raises(UsageError):
        sync.browse("_http._tcp", interfaces=["no-such-if0"], timeout=0.1)
    with pytest.raises(UsageError):
        sync.resolve("x", "_bad", timeout=0.1)
    assert len(_dnssd_threads()) == before
