"""Browsing and resolving as a sans-IO state machine over the mDNS cache.

A :class:`ServiceBrowser` follows one PTR name (``_http._tcp.local``, a subtype
name, or the §9 enumeration name) on every interface. It is fed the engine's
cache events one by one (:meth:`ServiceBrowser.record_changed`) and, after a batch,
:meth:`ServiceBrowser.flush` turns what changed into browse events, reading
the current records through a lookup into the cache. So the order in which the
records of one packet are reported never matters: PTR, SRV, TXT and addresses
answered together (RFC 6763 §12) produce one ``ServiceAdded``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lanwise.dns import PTR, Name, Record, RRType
from lanwise.dnssd.model import (
    BrowseEvent,
    ResolvedServiceAdded,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.dnssd.names import ServiceType
from lanwise.dnssd.resolution import AddressReader, CacheLookup, resolve_on
from lanwise.errors import UsageError

__all__ = ["BrowseTarget", "QueryKey", "ServiceBrowser"]

QueryKey = tuple[Name, int]
"""A query resolution needs: (name, record type)."""

ADDRESS_TYPES = (RRType.A, RRType.AAAA)
_INSTANCE_TYPES: tuple[int, ...] = (RRType.SRV, RRType.TXT)


@dataclass(frozen=True, slots=True)
class BrowseTarget:
    """What to browse: a service type, optionally narrowed to one subtype (RFC 6763 §7.1)."""

    type: ServiceType
    subtype: str | None = None

    @classmethod
    def parse(cls, text: str | ServiceType, *, field: str = "service type") -> BrowseTarget:
        """Accept ``_http._tcp``, ``_printer._sub._http._tcp`` or a ServiceType."""
        if isinstance(text, ServiceType):
            return cls(text)
        if not isinstance(text, str):
            raise UsageError(
                field,
                "must be a string like '_http._tcp' (or a subtype name) or a ServiceType",
                text,
            )
        labels = text.strip().rstrip(".").split(".")
        if len(labels) >= 4 and labels[1].lower() == "_sub":
            stype = ServiceType.parse(".".join(labels[2:]), field=field)
            return cls(stype, stype.parse_subtype(text, field=field))
        return cls(ServiceType.parse(text, field=field))

    @property
    def ptr_name(self) -> Name:
        """The name whose PTR records list the instances."""
        if self.subtype is not None:
            return Name.from_labels(self.type.subtype_labels(self.subtype))
        return Name.from_labels(self.type.labels)

    @property
    def instance_parent(self) -> Name:
        """The name every instance name sits directly under."""
        return Name.from_labels(self.type.labels)


class ServiceBrowser:
    """Tracks the instances of one browse target, per interface index.

    ``resolve`` asks for full :class:`ServiceInfo` (SRV, TXT and at least one
    address on that interface) before an instance is reported as added; a change
    to any of them is a ``ServiceUpdated``. An instance is reported while it is
    resolvable: when its SRV or TXT, or its last address on that interface,
    expires or says goodbye while its PTR stays, it is ``ServiceRemoved`` there,
    and ``ServiceAdded`` again (with the full info) once they are back.
    ``scope(index)`` names an interface for IPv6 link-local zones.
    ``families`` limits the addresses reported (4, 6 or both).

    Once the cache has shed records for memory (:meth:`set_partial`), a record
    missing from it no longer means it is gone: a resolved instance is then
    withdrawn only for a removal the cache reported (its PTR, SRV, TXT or an
    address left), never because a lookup came back short. No live service is
    reported removed.
    """

    def __init__(
        self,
        target: BrowseTarget,
        lookup: CacheLookup,
        *,
        resolve: bool = False,
        scope: Callable[[int], str | None] = lambda index: None,
        families: frozenset[int] = frozenset((4, 6)),
    ) -> None:
        self.target = target
        self.ptr_name = target.ptr_name
        self._parent = target.instance_parent
        self._lookup = lookup
        # Asked once per PTR received (a thousand per large browse): kept, not recomputed.
        self._is_enumeration = target.type.is_enumeration
        self._resolve = resolve and not self._is_enumeration
        self._addresses = AddressReader(lookup, families, scope)
        self._address_types = self._addresses.types
        self._present: dict[tuple[int, Name], str] = {}  # (interface, instance) -> label
        self._emitted: dict[tuple[int, Name], ServiceInfo | None] = {}
        self._by_host: dict[tuple[int, Name], set[Name]] = {}
        self._target_of: dict[tuple[int, Name], Name] = {}
        self._dirty: dict[tuple[int, Name], None] = {}
        # The queries resolution needs, kept up to date as entries come and go, so that
        # the caller syncs its queries by the change, not by the whole set each flush.
        self._wants: dict[QueryKey, int] = {}  # (name, type) → how many entries need it
        self._want_changes: dict[QueryKey, None] = {}
        self._partial = False  # the cache has shed records (see set_partial)
        self._lost: dict[tuple[int, Name], None] = {}  # a removal was reported for these

    def set_partial(self) -> None:
        """The cache shed records it was asked for: withdraw only on reported removals."""
        self._partial = True

    # -- input -----------------------------------------------------------------------
    def record_changed(self, interface: int, record: Record, present: bool) -> None:
        """One cache change on ``interface``: ``present`` false for a removal."""
        rtype = record.rtype
        if rtype == RRType.PTR:
            if record.name != self.ptr_name:
                return
            rdata = record.rdata
            if not isinstance(rdata, PTR):
                return
            instance = rdata.target
            label = self._label_of(instance)
            if label is None:
                return
            key = (interface, instance)
            if present:
                if self._resolve and key not in self._present:
                    self._want(instance, _INSTANCE_TYPES, 1)
                self._present[key] = label
            elif self._present.pop(key, None) is not None and self._resolve:
                self._want(instance, _INSTANCE_TYPES, -1)
            self._dirty[key] = None
        elif not self._resolve:
            return
        elif rtype in (RRType.SRV, RRType.TXT):
            key = (interface, record.name)
            if key in self._present:
                self._dirty[key] = None
                if not present:
                    self._lost[key] = None
        elif rtype in ADDRESS_TYPES:
            for instance in self._by_host.get((interface, record.name), ()):
                self._dirty[(interface, instance)] = None
                if not present:
                    self._lost[(interface, instance)] = None

    def seed(self, interfaces: list[int]) -> None:
        """Take in what the cache already holds for the PTR name on ``interfaces``."""
        for interface in interfaces:
            for record in self._lookup(self.ptr_name, RRType.PTR, interface):
                self.record_changed(interface, record, True)

    def _label_of(self, instance: Name) -> str | None:
        if self._is_enumeration:
            labels = instance.labels
            if len(labels) != 3:
                return None  # §9 answers are "_service._proto.local"
            return f"{labels[0]}.{labels[1]}"
        if not instance.is_child_of(self._parent):
            return None
        return instance.first_label

    # -- output ----------------------------------------------------------------------
    def flush(self) -> list[BrowseEvent]:
        """The browse events for everything changed since the last flush."""
        events: list[BrowseEvent] = []
        dirty, self._dirty = self._dirty, {}
        if not dirty:
            return events
        try:
            self._flush_dirty(dirty, events)
        finally:
            # The address memos live for one flush: the cache does not change
            # during one, and an interface renamed between flushes gets its new name.
            self._addresses.forget()
            self._lost.clear()
        return events

    def _flush_dirty(self, dirty: dict[tuple[int, Name], None], events: list[BrowseEvent]) -> None:
        stype = self._event_type()
        for key in dirty:
            interface, instance = key
            label = self._present.get(key)
            if label is None:
                # Forget the host even if the instance was never reported, or its
                # address queries would run for the rest of the browse.
                self._forget_host(key)
                if key in self._emitted:
                    del self._emitted[key]
                    events.append(ServiceRemoved(self._label_or(instance), stype, interface))
                continue
            if not self._resolve:
                if key not in self._emitted:
                    self._emitted[key] = None
                    events.append(ServiceAdded(label, stype, interface))
                continue
            info = self._info(interface, instance, label)
            if info is None:
                # Not resolvable here (any more): its SRV, TXT or last address on this
                # interface expired or said goodbye while the PTR stays. Reported ones
                # are withdrawn; an Added with the full info follows if they come back.
                # With a partial cache only a reported removal says so (set_partial).
                if key in self._emitted and (not self._partial or key in self._lost):
                    del self._emitted[key]
                    events.append(ServiceRemoved(label, stype, interface))
                continue
            if key not in self._emitted:
                self._emitted[key] = info
                events.append(ResolvedServiceAdded(label, stype, interface, info))
            elif self._emitted[key] != info:
                self._emitted[key] = info
                events.append(ServiceUpdated(label, stype, interface, info))

    def wanted(self) -> set[QueryKey]:
        """The (name, type) queries resolution needs now: SRV/TXT of instances, host addresses."""
        return set(self._wants)

    def wants(self, key: QueryKey) -> bool:
        """Whether resolution needs the (name, type) query ``key`` now."""
        return key in self._wants

    def take_wanted_changes(self) -> list[tuple[QueryKey, bool]]:
        """The queries that became needed (True) or unneeded (False) since the last call."""
        if not self._want_changes:
            return []
        changes, self._want_changes = self._want_changes, {}
        return [(key, key in self._wants) for key in changes]

    def _want(self, name: Name, rtypes: tuple[int, ...], delta: int) -> None:
        wants = self._wants
        for rtype in rtypes:
            key = (name, rtype)
            count = wants.get(key, 0) + delta
            if count > 0:
                wants[key] = count
            else:
                del wants[key]
            if count in (0, delta):  # crossed zero: needed now, or no longer
                self._want_changes[key] = None

    def current(self) -> list[ServiceAdded]:
        """What has been reported and is still present, as ``ServiceAdded`` events."""
        stype = self._event_type()
        return [
            ServiceAdded(self._present[key], stype, key[0])
            if info is None
            else ResolvedServiceAdded(self._present[key], stype, key[0], info)
            for key, info in self._emitted.items()
            if key in self._present
        ]

    def _event_type(self) -> ServiceType:
        return self.target.type

    def _label_or(self, instance: Name) -> str:
        return self._label_of(instance) or str(instance)

    # -- resolution --------------------------------------------------------------------
    def _info(self, interface: int, instance: Name, label: str) -> ServiceInfo | None:
        """The instance's info on ``interface`` if it resolves there (an address included)."""
        host, info = resolve_on(
            instance,
            label,
            self.target.type,
            interface,
            lookup=self._lookup,
            addresses=self._addresses,
        )
        if host is None:
            # No SRV, no host to resolve: stop its address queries until one comes.
            self._forget_host((interface, instance))
            return None
        self._track_host((interface, instance), host)
        return info

    def _track_host(self, key: tuple[int, Name], host: Name) -> None:
        old = self._target_of.get(key)
        if old == host:
            return
        self._forget_host(key)
        self._target_of[key] = host
        users = self._by_host.get((key[0], host))
        if users is None:
            users = self._by_host[(key[0], host)] = set()
            self._want(host, self._address_types, 1)
        users.add(key[1])

    def _forget_host(self, key: tuple[int, Name]) -> None:
        old = self._target_of.pop(key, None)
        if old is not None:
            users = self._by_host.get((key[0], old))
            if users is not None:
                users.discard(key[1])
                if not users:
                    del self._by_host[(key[0], old)]
                    self._want(old, self._address_types, -1)
