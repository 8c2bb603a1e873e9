"""Module-level DNS-SD calls that open the responder they need for one job.

A program that browses or resolves now and then needs no responder of its own:
``await lanwise.resolve("Kitchen", "_http._tcp")`` opens one, asks, and closes
it. A program that does several things should open one responder
(:func:`~lanwise.dnssd.responder.open_responder`) and share it.

These calls open it querier-only (``querier_only=True``): a one-off question
does not probe, announce or defend a host name on the network.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from types import TracebackType
from typing import Any, Generic, Literal, NoReturn, overload

from lanwise.dnssd.browse_queue import AddedT
from lanwise.dnssd.browsing import Browser
from lanwise.dnssd.model import (
    AddressInfo,
    HostInfo,
    IPAddress,
    ResolvedServiceAdded,
    ServiceAdded,
    ServiceInfo,
)
from lanwise.dnssd.names import ServiceType
from lanwise.dnssd.responder import DEFAULT_RESOLVE_TIMEOUT, open_responder
from lanwise.dnssd.unicast import LOCAL, UnicastBrowseSession, is_local, unicast_discovery
from lanwise.errors import UsageError
from lanwise.mdns.selection import InterfaceSelection

__all__ = ["BrowseSession", "browse", "resolve", "resolve_address", "resolve_host"]


class BrowseSession(Generic[AddedT]):
    """What :func:`browse` returns: an async context manager yielding the events.

    ``async with lanwise.browse("_ipp._tcp") as events: async for event in events``.
    Entering opens a querier-only responder and starts the browse; leaving the
    block (a ``break``, an exception) closes both at once, sockets included. It
    is not itself iterable: ``async for event in lanwise.browse(...)`` (the old
    async-generator way, which held sockets until garbage collection) raises
    :class:`UsageError` saying how to write it.
    """

    def __init__(
        self,
        type: ServiceType | str | None,
        resolve: bool,
        interfaces: InterfaceSelection,
        families: Collection[int],
    ) -> None:
        self._type = type
        self._resolve = resolve
        self._interfaces = interfaces
        self._families = families
        self._stack: contextlib.AsyncExitStack | None = None

    async def __aenter__(self) -> Browser[AddedT]:
        if self._stack is not None:
            raise UsageError("lanwise.browse", "each call's result is entered once")
        stack = contextlib.AsyncExitStack()
        self._stack = stack
        try:
            responder = await stack.enter_async_context(
                open_responder(
                    interfaces=self._interfaces, families=self._families, querier_only=True
                )
            )
            browser: Browser[Any] = await stack.enter_async_context(
                responder.browse(self._type, resolve=self._resolve)
            )
        except BaseException:
            await stack.aclose()
            raise
        return browser

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stack is not None:
            await self._stack.aclose()

    def __aiter__(self) -> NoReturn:
        raise UsageError(
            "lanwise.browse",
            "is an async context manager: write `async with lanwise.browse(...) as events:` "
            "and then `async for event in events:`, so that its sockets close when the "
            "block ends",
        )


@overload
def browse(
    type: ServiceType | str | None = None,
    *,
    resolve: Literal[True],
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: Literal["local"] = "local",
) -> BrowseSession[ResolvedServiceAdded]: ...


@overload
def browse(  # type: ignore[overload-overlap]  # resolve=True with "local" matches the first
    type: ServiceType | str | None = None,
    *,
    resolve: bool = False,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: Literal["local"] = "local",
) -> BrowseSession[ServiceAdded]: ...


@overload
def browse(
    type: ServiceType | str | None = None,
    *,
    resolve: Literal[True],
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: str,
) -> BrowseSession[ResolvedServiceAdded] | UnicastBrowseSession[ResolvedServiceAdded]: ...


@overload
def browse(
    type: ServiceType | str | None = None,
    *,
    resolve: bool = False,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: str,
) -> BrowseSession[ServiceAdded] | UnicastBrowseSession[ServiceAdded]: ...


def browse(
    type: ServiceType | str | None = None,
    *,
    resolve: bool = False,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: str = LOCAL,
) -> (
    BrowseSession[ServiceAdded]
    | BrowseSession[ResolvedServiceAdded]
    | UnicastBrowseSession[ServiceAdded]
    | UnicastBrowseSession[ResolvedServiceAdded]
):
    """Browse for ``type`` (None: every type, RFC 6763 §9) for the length of a block.

    ::

        async with lanwise.browse("_ipp._tcp", resolve=True) as events:
            async for event in events:
                if isinstance(event, lanwise.ServiceAdded):
                    print(event.name, event.info.addresses)   # info: never None here

    With ``resolve=True`` additions are :class:`ResolvedServiceAdded` (``info``
    always set). ``interfaces`` and ``families`` choose where to ask (see
    :func:`open_responder`). ``domain`` other than ``"local"`` browses that
    unicast DNS domain instead (RFC 6763 §11, :mod:`lanwise.widearea`): the
    same events, interface index 0.
    """
    if not is_local(domain):
        if resolve:
            return UnicastBrowseSession[ResolvedServiceAdded](type, True, domain)
        return UnicastBrowseSession[ServiceAdded](type, False, domain)
    if resolve:
        return BrowseSession[ResolvedServiceAdded](type, True, interfaces, families)
    return BrowseSession[ServiceAdded](type, False, interfaces, families)


async def resolve(
    name: str,
    type: ServiceType | str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: str = LOCAL,
) -> ServiceInfo:
    """Resolve one instance: host, port, TXT and addresses per interface.

    ``domain`` other than ``"local"`` resolves in that unicast DNS domain
    (:mod:`lanwise.widearea`; addresses under interface index 0).
    """
    if not is_local(domain):
        return await unicast_discovery(domain).resolve(name, type, domain, timeout=timeout)
    async with open_responder(
        interfaces=interfaces, families=families, querier_only=True
    ) as responder:
        return await responder.resolve(name, type, timeout=timeout)


async def resolve_host(
    host: str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
) -> HostInfo:
    """The addresses of ``host.local`` per interface (IPv6 link-local with scope)."""
    async with open_responder(
        interfaces=interfaces, families=families, querier_only=True
    ) as responder:
        return await responder.resolve_host(host, timeout=timeout)


async def resolve_address(
    address: IPAddress | str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
) -> AddressInfo:
    """The ``.local`` name of an address from its reverse PTR, per interface
    (``"fe80::5%eth0"``: asked on that interface only), like ``avahi-resolve -a``."""
    async with open_responder(
        interfaces=interfaces, families=families, querier_only=True
    ) as responder:
        return await responder.resolve_address(address, timeout=timeout)
