"""The wide-area world, built once per server kind for a test module."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _lab_reason
from tests.harness.dnsserver import dns_servers_unusable_reason
from tests.lab.widearea.world import World, build_world


@pytest.fixture(scope="module", params=["bind", "knot"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """BIND 9 or Knot DNS authoritative, a BIND resolver on the router, two LANs."""
    reason = _lab_reason() or dns_servers_unusable_reason(request.param)
    if reason is not None:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="lw-widearea-") as tmp:
        built = build_world(Path(tmp), request.param)
        try:
            yield built
        finally:
            built.close()
