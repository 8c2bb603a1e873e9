"""The Discovery Proxy world, built once per test module."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _lab_reason
from tests.harness.dnsserver import dns_servers_unusable_reason
from tests.lab.proxy_lab.world import World, build_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """LAN A (publishers, proxy host), a router with BIND, LAN B (clients); no proxy yet."""
    reason = _lab_reason() or dns_servers_unusable_reason("bind")
    if reason is not None:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="lw-proxy-") as tmp:
        built = build_world(Path(tmp))
        try:
            yield built
        finally:
            built.close()
