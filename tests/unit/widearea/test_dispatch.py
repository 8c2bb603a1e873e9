"""One API: ``lanwise.browse``, ``lanwise.resolve`` and the sync face take ``domain=``;
a unicast domain gives the same events and ServiceInfo as ``.local`` (RFC 6763 §11).

Real DNS on loopback: a scripted server holds one instance in example.test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import lanwise
from lanwise.dnssd import ResolvedServiceAdded, ServiceInfo, sync, unicast
from lanwise.errors import UsageError
from lanwise.widearea import WideAreaDiscovery
from tests.unit.widearea.fakeserver import EVIL, serve

NAME = EVIL.decode()


@pytest.fixture
async def zone() -> AsyncIterator[None]:
    """The installed unicast discovery asks the scripted server."""
    from tests.unit.widearea.fakeserver import instance_zone  # noqa: PLC0415

    server, close = await serve(instance_zone)
    before = unicast._installed
    unicast.install(WideAreaDiscovery(servers=str(server)))
    try:
        yield
    finally:
        unicast._installed = before
        close()


def _check(info: ServiceInfo) -> None:
    assert (info.name, info.port, info.type.domain) == (NAME, 8080, "example.test")
    assert [str(a) for a in info.all_addresses] == ["10.0.0.5"]
    assert info.interfaces == (0,)  # a unicast answer is not tied to a link


@pytest.mark.usefixtures("zone")
async def test_top_level_browse_and_resolve_take_a_unicast_domain() -> None:
    async with lanwise.browse("_http._tcp", resolve=True, domain="example.test") as events:
        event = await asyncio.wait_for(anext(events), 5)
        assert isinstance(event, ResolvedServiceAdded) and event.interface == 0
        _check(event.info)
        assert [e.name for e in await events.wait_settled(quiet=0.2, minimum=0)] == [NAME]
    _check(await lanwise.resolve(NAME, "_http._tcp", domain="example.test"))


@pytest.mark.usefixtures("zone")
async def test_the_sync_face_takes_a_unicast_domain() -> None:
    found = await asyncio.to_thread(
        sync.browse, "_http._tcp", resolve=True, domain="example.test", timeout=3
    )
    assert [type(f) for f in found] == [ResolvedServiceAdded]
    _check(found[0].info)
    info = await asyncio.to_thread(sync.resolve, NAME, "_http._tcp", domain="example.test.")
    _check(info)


async def test_bad_domains_raise_usage_errors_naming_the_field() -> None:
    with pytest.raises(UsageError, match="domain"):
        async with lanwise.browse("_http._tcp", domain="bad..name"):
            pass
    with pytest.raises(UsageError, match="type"):
        lanwise.browse(None, domain="example.test")
    with pytest.raises(UsageError, match="domain"):
        await lanwise.resolve("x", "_http._tcp", domain=7)  # type: ignore[arg-type]


async def test_without_the_wide_area_package_a_unicast_domain_is_a_usage_error() -> None:
    before = unicast._installed
    unicast._installed = None
    try:
        with pytest.raises(UsageError, match=r"domain.*lanwise\.widearea"):
            await lanwise.resolve("x", "_http._tcp", domain="example.test")
    finally:
        unicast._installed = before


def test_local_stays_multicast() -> None:
    assert unicast.is_local("local") and unicast.is_local("LOCAL.")
    assert not unicast.is_local("example.test")
    assert isinstance(lanwise.browse("_http._tcp"), lanwise.dnssd.BrowseSession)
    assert isinstance(lanwise.browse("_http._tcp", domain="Local."), lanwise.dnssd.BrowseSession)
