"""The Discovery Proxy world, built once per test module."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _lab_reason
from tests.harness.dnsserver import dns_servers_unusable_reason
from tests.lab.proxy_lab.world import World, build_world

_TOOLS = ("avahi-daemon", "avahi-browse", "avahi-publish", "dnsperf", "openssl")


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """LAN A (publishers, proxy host), a router with BIND, LAN B (clients); no proxy yet."""
    reason = _lab_reason() or dns_servers_unusable_reason("bind")
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if reason is None and missing:
        reason = (
            f"missing {', '.join(missing)} (Debian avahi-daemon, avahi-utils, dnsperf, openssl)"
        )
    if reason is not None:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="lw-proxy-") as tmp:
        built = build_world(Path(tmp))
        try:
            yield built
        finally:
            built.close()
