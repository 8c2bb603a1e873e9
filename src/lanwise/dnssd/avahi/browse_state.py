"""avahi's browse and resolve signals turned into lanwise browse events (sans-IO).

avahi reports an instance once per (interface, protocol): seen over IPv4 mDNS
and over IPv6 mDNS on ``eth0`` are two ``ItemNew`` signals, and each
ServiceResolver ``Found`` carries one address. lanwise reports an instance
once per interface index, with every address found there
(:class:`~lanwise.dnssd.model.ServiceAdded`). :class:`AvahiBrowseState` does
that merge, fed signal by signal, and returns the events to deliver; it keeps
the engine's rules: without ``resolve`` an instance is added when first seen
on an interface and removed when no protocol has it there; with ``resolve`` it
is added once resolved there, updated when what a resolver found changes, and
removed when it is gone or no resolver has it any more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv6Address, ip_address

from lanwise.dnssd.avahi.constants import family_of
from lanwise.dnssd.model import (
    BrowseEvent,
    IPAddress,
    ResolvedServiceAdded,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.dnssd.names import ServiceType
from lanwise.dnssd.resolution import scoped_address

__all__ = ["AvahiBrowseState", "Resolved"]

Key = tuple[int, str]  # (interface index, instance label)


@dataclass(frozen=True, slots=True)
class Resolved:
    """What one ServiceResolver ``Found`` said, for one (interface, protocol)."""

    host: str
    port: int
    txt: tuple[bytes, ...]
    address: IPAddress | None


def parse_address(text: str, aprotocol: int, scope: str | None) -> IPAddress | None:
    """avahi's address string as a lanwise address (IPv6 link-local with its zone)."""
    if family_of(aprotocol) is None:
        return None
    try:
        address = ip_address(text.split("%", 1)[0])
    except ValueError:
        return None  # avahi sent something that is no address: dropped
    if isinstance(address, IPv6Address):
        return scoped_address(address, scope)
    return address


def txt_strings(raw: list[bytes] | tuple[bytes, ...]) -> tuple[bytes, ...]:
    """avahi's ``aay`` TXT as lanwise's strings (an empty TXT is one empty string, §6.1)."""
    strings = tuple(bytes(s) for s in raw)
    return strings or (b"",)


class AvahiBrowseState:
    """The instances of one browsed type, per interface index, built from avahi's signals.

    ``families`` limits the addresses reported; ``scope(index)`` names an
    interface for IPv6 link-local zones.
    """

    def __init__(
        self,
        stype: ServiceType,
        *,
        resolve: bool,
        families: frozenset[int] = frozenset((4, 6)),
        scope: Callable[[int], str | None] = lambda index: None,
    ) -> None:
        self.type = stype
        self.resolve = resolve and not stype.is_enumeration
        self._families = families
        self._scope = scope
        self._seen: dict[Key, set[int]] = {}  # protocols avahi reports it on
        self._found: dict[Key, dict[int, Resolved]] = {}  # per protocol
        self._emitted: dict[Key, ServiceInfo | None] = {}

    # -- input ----------------------------------------------------------------------
    def item_new(self, interface: int, protocol: int, name: str) -> list[BrowseEvent]:
        """A ServiceBrowser ``ItemNew``."""
        key = (interface, name)
        self._seen.setdefault(key, set()).add(protocol)
        if self.resolve or key in self._emitted:
            return []
        self._emitted[key] = None
        return [ServiceAdded(name, self.type, interface)]

    def item_remove(self, interface: int, protocol: int, name: str) -> list[BrowseEvent]:
        """A ServiceBrowser ``ItemRemove``."""
        key = (interface, name)
        protocols = self._seen.get(key)
        if protocols is None:
            return []
        protocols.discard(protocol)
        self._found.get(key, {}).pop(protocol, None)
        if protocols:
            return self._settle(key) if self.resolve else []
        del self._seen[key]
        self._found.pop(key, None)
        return self._remove(key)

    def found(
        self,
        interface: int,
        protocol: int,
        name: str,
        *,
        host: str,
        aprotocol: int,
        address: str,
        port: int,
        txt: list[bytes] | tuple[bytes, ...],
    ) -> list[BrowseEvent]:
        """A ServiceResolver ``Found`` for an instance this browse has seen."""
        key = (interface, name)
        if key not in self._seen:
            return []  # removed meanwhile: the resolver's answer came late
        parsed = parse_address(address, aprotocol, self._scope(interface))
        if parsed is not None and parsed.version not in self._families:
            parsed = None
        self._found.setdefault(key, {})[protocol] = Resolved(
            host.rstrip("."), port, txt_strings(txt), parsed
        )
        return self._settle(key)

    def failed(self, interface: int, protocol: int, name: str) -> list[BrowseEvent]:
        """A ServiceResolver ``Failure``: what it found before no longer holds."""
        key = (interface, name)
        if self._found.get(key, {}).pop(protocol, None) is None:
            return []
        return self._settle(key)

    def clear(self) -> list[BrowseEvent]:
        """The daemon went away: all it reported is gone (it comes back if the daemon does)."""
        events: list[BrowseEvent] = []
        for key in list(self._emitted):
            events += self._remove(key)
        self._seen.clear()
        self._found.clear()
        self._emitted.clear()
        return events

    # -- output ---------------------------------------------------------------------
    def current(self) -> list[ServiceAdded]:
        """What has been reported and is still present."""
        return [
            ServiceAdded(name, self.type, interface)
            if info is None
            else ResolvedServiceAdded(name, self.type, interface, info)
            for (interface, name), info in self._emitted.items()
        ]

    def seen(self) -> list[tuple[int, int, str]]:
        """Every (interface, protocol, name) avahi reports now (resolvers to keep)."""
        return [(i, p, n) for (i, n), protocols in self._seen.items() for p in protocols]

    def _info(self, key: Key) -> ServiceInfo | None:
        found = self._found.get(key)
        if not found:
            return None
        interface, name = key
        # IPv4 transport first, as avahi numbers them; the addresses of every transport.
        first = found[min(found)]
        addresses = {r.address for r in found.values() if r.address is not None}
        ordered = tuple(sorted(addresses, key=lambda a: (a.version, a.packed)))
        return ServiceInfo(
            name=name,
            type=self.type,
            host=first.host,
            port=first.port,
            txt_strings=first.txt,
            addresses={interface: ordered} if ordered else {},
            interfaces=(interface,),
        )

    def _settle(self, key: Key) -> list[BrowseEvent]:
        info = self._info(key)
        interface, name = key
        if info is None or not info.addresses:
            return self._remove(key)
        if key not in self._emitted:
            self._emitted[key] = info
            return [ResolvedServiceAdded(name, self.type, interface, info)]
        if self._emitted[key] != info:
            self._emitted[key] = info
            return [ServiceUpdated(name, self.type, interface, info)]
        return []

    def _remove(self, key: Key) -> list[BrowseEvent]:
        if key not in self._emitted:
            return []
        del self._emitted[key]
        return [ServiceRemoved(key[1], self.type, key[0])]
