"""Browsing through avahi-daemon: ServiceBrowser (and ServiceTypeBrowser), ServiceResolver.

Every avahi object is prepared, watched, then started (see
:meth:`AvahiResponder._new_object`), so no signal is missed. The signals go
through :class:`~lanwise.dnssd.avahi.browse_state.AvahiBrowseState`, which
merges avahi's (interface, protocol) reports into lanwise's per-interface
browse events. With ``resolve``, each (interface, protocol) an instance is
seen on gets a ServiceResolver asking for the address family of that
protocol, so an interface reached over IPv4 and IPv6 reports both families.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar, cast

from lanwise.dnssd.avahi.browse_state import AvahiBrowseState
from lanwise.dnssd.avahi.client import AvahiError
from lanwise.dnssd.avahi.constants import (
    IF_UNSPEC,
    PROTO_INET,
    PROTO_INET6,
    PROTO_UNSPEC,
    SERVICE_BROWSER,
    SERVICE_RESOLVER,
    SERVICE_TYPE_BROWSER,
)
from lanwise.dnssd.avahi.names import interface_scope as _interface_scope
from lanwise.dnssd.avahi.names import type_text as _type_text
from lanwise.dnssd.avahi.owner import AvahiOwner
from lanwise.dnssd.browse_queue import BrowseQueue
from lanwise.dnssd.browser import BrowseTarget
from lanwise.dnssd.model import (
    BrowseEvent,
    ServiceAdded,
)
from lanwise.dnssd.names import SERVICE_TYPE_ENUMERATION, ServiceType
from lanwise.errors import UsageError

__all__ = ["AvahiBrowser"]

_log = logging.getLogger(__name__)


AddedT = TypeVar("AddedT", bound=ServiceAdded)


class AvahiBrowser(BrowseQueue[AddedT]):
    """Browse events from avahi-daemon, as an async iterator; see :meth:`AvahiResponder.browse`.

    ``AvahiBrowser[ResolvedServiceAdded]`` (from ``resolve=True``) reports
    additions whose ``info`` is never None, as the engine's ``Browser`` does.
    """

    def __init__(
        self,
        responder: AvahiOwner,
        target: BrowseTarget | None,
        *,
        resolve: bool,
        only_interfaces: frozenset[int] | None,
    ) -> None:
        self._responder = responder
        self._target = target
        self._resolve = resolve
        self._only = only_interfaces
        super().__init__()
        self._states: dict[str, AvahiBrowseState] = {}  # avahi type string → state
        self._paths: list[tuple[str, str]] = []  # (path, interface) to free
        self._resolvers: dict[tuple[str, int, int, str], str] = {}

    @property
    def closed(self) -> bool:
        return self._closed

    # -- avahi ------------------------------------------------------------------------
    async def _start(self) -> None:
        """Create the avahi browsers (again, after a daemon restart)."""
        client = self._responder._client
        if client is None or self._closed:
            return
        proto = self._responder._protocol
        target = self._target
        if target is None or target.type.is_enumeration:
            state = AvahiBrowseState(
                ServiceType.parse(".".join(SERVICE_TYPE_ENUMERATION)), resolve=False
            )
            self._states[""] = state
            path = await self._responder._new_object(
                SERVICE_TYPE_BROWSER,
                "ServiceTypeBrowser",
                "iisu",
                [IF_UNSPEC, proto, "local", 0],
                self._on_type_signal,
            )
            self._paths.append((path, SERVICE_TYPE_BROWSER))
            return
        name = _type_text(target.type)
        if target.subtype is not None:
            name = f"{target.subtype}._sub.{name}"
        await self._browse_type(name, target.type)

    async def _browse_type(self, name: str, stype: ServiceType) -> None:
        if name in self._states or self._closed:
            return
        self._states[name] = AvahiBrowseState(
            stype, resolve=self._resolve, families=self._responder.families, scope=_interface_scope
        )
        path = await self._responder._new_object(
            SERVICE_BROWSER,
            "ServiceBrowser",
            "iissu",
            [IF_UNSPEC, self._responder._protocol, name, "local", 0],
            lambda member, body: self._on_browse_signal(name, member, body),
        )
        self._paths.append((path, SERVICE_BROWSER))

    def _on_type_signal(self, member: str, body: list[Any]) -> None:
        if member not in ("ItemNew", "ItemRemove"):
            return
        interface, protocol, type_text = int(body[0]), int(body[1]), str(body[2])
        if self._only is not None and interface not in self._only:
            return
        if self._target is not None:  # browsing the §9 names themselves
            state = self._states[""]
            if member == "ItemNew":
                self._deliver(state.item_new(interface, protocol, type_text))
            else:
                self._deliver(state.item_remove(interface, protocol, type_text))
            return
        if member == "ItemNew":
            try:
                stype = ServiceType.parse(type_text)
            except UsageError:
                return  # a peer enumerated a type that breaks §7: not browsable
            self._responder._spawn(self._browse_type(type_text, stype))

    def _on_browse_signal(self, type_name: str, member: str, body: list[Any]) -> None:
        state = self._states.get(type_name)
        if state is None:
            return
        if member in ("ItemNew", "ItemRemove"):
            interface, protocol, name = int(body[0]), int(body[1]), str(body[2])
            if self._only is not None and interface not in self._only:
                return
            key = (type_name, interface, protocol, name)
            if member == "ItemNew":
                self._deliver(state.item_new(interface, protocol, name))
                if state.resolve and key not in self._resolvers:
                    self._resolvers[key] = ""
                    self._responder._spawn(self._new_resolver(key))
            else:
                self._deliver(state.item_remove(interface, protocol, name))
                path = self._resolvers.pop(key, None)
                client = self._responder._client
                if path and client is not None:
                    self._responder._spawn(client.free(path, SERVICE_RESOLVER))
        elif member == "Failure":
            _log.warning("avahi browse of %s failed: %s", type_name, body[0] if body else "")

    async def _new_resolver(self, key: tuple[str, int, int, str]) -> None:
        type_name, interface, protocol, name = key
        # The address family of the transport it was seen on: both transports, both families.
        aprotocol = protocol if protocol in (PROTO_INET, PROTO_INET6) else PROTO_UNSPEC
        stype = self._states[type_name].type

        def on_signal(member: str, body: list[Any]) -> None:
            state = self._states.get(type_name)
            if state is None:
                return
            if member == "Found":
                self._deliver(
                    state.found(
                        interface,
                        protocol,
                        name,
                        host=str(body[5]),
                        aprotocol=int(body[6]),
                        address=str(body[7]),
                        port=int(body[8]),
                        txt=list(body[9]),
                    )
                )
            elif member == "Failure":
                self._deliver(state.failed(interface, protocol, name))

        try:
            path = await self._responder._new_object(
                SERVICE_RESOLVER,
                "ServiceResolver",
                "iisssiu",
                [interface, protocol, name, _type_text(stype), "local", aprotocol, 0],
                on_signal,
            )
        except AvahiError as exc:
            _log.debug("avahi resolver for %s: %s", name, exc)
            self._resolvers.pop(key, None)
            return
        if key in self._resolvers and not self._closed:
            self._resolvers[key] = path
            self._paths.append((path, SERVICE_RESOLVER))
        else:
            client = self._responder._client
            if client is not None:
                await client.free(path, SERVICE_RESOLVER)

    def _deliver(self, events: list[BrowseEvent]) -> None:
        if self._closed or not events:
            return
        for event in events:
            self._push(event)

    def _lost(self) -> None:
        """The daemon went away: what it reported is gone; browse again when it is back."""
        for state in self._states.values():
            self._deliver(state.clear())
        self._states.clear()
        self._paths.clear()
        self._resolvers.clear()

    # -- the browser's face -------------------------------------------------------------
    def current(self) -> list[AddedT]:
        """The instances reported and still present, one entry per interface."""
        found: list[ServiceAdded] = []
        for key, state in self._states.items():
            if key or self._target is not None:
                found.extend(state.current())
        return cast(list[AddedT], found)

    async def aclose(self) -> None:
        """Stop browsing: free avahi's browsers and resolvers, end the iteration."""
        if self._closed:
            return
        self._closed = True
        self._responder._browsers.discard(self)
        client = self._responder._client
        paths, self._paths = self._paths, []
        if client is not None:
            for path, interface in paths:
                await client.free(path, interface)
        self._end()
