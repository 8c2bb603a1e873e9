"""DNS-SD in a unicast domain behind the ``.local`` calls: ``domain="example.test"``.

:func:`lanwise.browse`, :func:`lanwise.resolve` and the sync face take
``domain=`` (default ``"local"``); any other domain is served over unicast DNS
(RFC 6763 §11) with the same events and :class:`ServiceInfo`. That code lives in
:mod:`lanwise.widearea`, which builds on this package, so this package does not
import it (arrows point down): ``lanwise.widearea`` installs itself here with
:func:`install` when imported, and lanwise's top-level names import it first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Generic, Protocol, cast

from lanwise.dnssd.browse_queue import AddedT, BrowseQueue
from lanwise.dnssd.model import (
    BrowseEvent,
    ResolvedServiceAdded,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.dnssd.names import ServiceType
from lanwise.errors import UsageError

__all__ = [
    "LOCAL",
    "UnicastBrowseSession",
    "UnicastBrowser",
    "UnicastDiscovery",
    "install",
    "is_local",
    "unicast_discovery",
]

LOCAL = "local"


class UnicastDiscovery(Protocol):
    """What serves a unicast domain (:mod:`lanwise.widearea` installs one)."""

    def browse(
        self, type: ServiceType | str, domain: str, *, resolve: bool
    ) -> AsyncIterator[BrowseEvent]:
        """Browse events for ``type`` in ``domain`` until closed."""
        ...

    async def resolve(
        self, name: str, type: ServiceType | str, domain: str, *, timeout: float
    ) -> ServiceInfo:
        """Resolve one instance in ``domain``."""
        ...


_installed: UnicastDiscovery | None = None


def install(discovery: UnicastDiscovery) -> None:
    """Serve every domain other than ``local`` with ``discovery``."""
    global _installed
    _installed = discovery


def is_local(domain: str) -> bool:
    """True for ``local`` (any case, with or without the final dot): multicast DNS."""
    if not isinstance(domain, str):
        raise UsageError(
            "domain", "must be a domain name such as 'local' or 'example.test'", domain
        )
    return domain.rstrip(".").lower() == LOCAL


def unicast_discovery(domain: str) -> UnicastDiscovery:
    """The installed implementation for a unicast ``domain``."""
    if _installed is None:
        raise UsageError(
            "domain",
            "unicast domains are served by lanwise.widearea: import it (lanwise.browse and "
            "lanwise.resolve do)",
            domain,
        )
    return _installed


class UnicastBrowser(BrowseQueue[AddedT]):
    """The events of a browse in a unicast domain, as a ``.local`` browse gives them.

    ``async for event in browser`` (``ServiceAdded``/``ResolvedServiceAdded``,
    ``ServiceUpdated``, ``ServiceRemoved``, interface index 0), :meth:`current`,
    :meth:`wait_settled` and :meth:`aclose` work as on
    :class:`~lanwise.dnssd.responder.Browser`.
    """

    def __init__(self, events: AsyncIterator[BrowseEvent]) -> None:
        super().__init__()
        self._events = events
        self._current: dict[str, ServiceAdded] = {}
        # One task reads the stream, so waiting with a timeout never cancels it midway.
        self._pump = asyncio.create_task(self._read(), name="lanwise-unicast-browse")

    async def _read(self) -> None:
        try:
            async for event in self._events:
                self._note(event)
                self._push(event)
        finally:
            self._queue.put_nowait(None)

    def _note(self, event: BrowseEvent) -> None:
        key = event.name.casefold()
        if isinstance(event, ServiceRemoved):
            self._current.pop(key, None)
        elif isinstance(event, ServiceUpdated):
            self._current[key] = ResolvedServiceAdded(
                event.name, event.type, event.interface, event.info
            )
        else:
            self._current[key] = event

    def current(self) -> list[AddedT]:
        """The instances seen now (resolved ones with their latest info)."""
        return [cast(AddedT, event) for event in self._current.values()]

    def _settle_over(self) -> bool:
        return self._closed or self._pump.done()

    def _ended(self) -> None:
        self._queue.put_nowait(None)  # every later call ends too
        if not self._pump.cancelled() and self._pump.exception() is not None:
            raise self._pump.exception()  # type: ignore[misc]

    async def __anext__(self) -> AddedT | ServiceUpdated | ServiceRemoved:
        return cast("AddedT | ServiceUpdated | ServiceRemoved", await super().__anext__())

    async def aclose(self) -> None:
        """Stop browsing."""
        self._closed = True
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()


class UnicastBrowseSession(Generic[AddedT]):
    """What ``lanwise.browse(type, domain="example.test")`` returns: an async context
    manager yielding a :class:`UnicastBrowser`, closed when the block ends."""

    def __init__(self, type: ServiceType | str | None, resolve: bool, domain: str) -> None:
        if type is None:
            raise UsageError("type", "browsing a unicast domain needs a service type", type)
        self._type = type
        self._resolve = resolve
        self._domain = domain
        self._browser: UnicastBrowser[AddedT] | None = None

    async def __aenter__(self) -> UnicastBrowser[AddedT]:
        if self._browser is not None:
            raise UsageError("lanwise.browse", "each call's result is entered once")
        discovery = unicast_discovery(self._domain)
        events = discovery.browse(self._type, self._domain, resolve=self._resolve)
        self._browser = UnicastBrowser[AddedT](events)
        return self._browser

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._browser is not None:
            await self._browser.aclose()
