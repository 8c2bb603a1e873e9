"""The link side of a Discovery Proxy: its zones' records, read from mDNS (RFC 8766 §5).

:class:`LinkSource` is the :class:`~lanwise.proxy.source.RecordSource` of a
running proxy. It reads the in-process mDNS engine's cache, per interface
index, through anything shaped like :class:`MdnsLink` (the asyncio
:class:`~lanwise.mdns.transport.MdnsTransport`, or a test driver around a
bare engine with a stepped clock), and answers the proxy's own records
(:mod:`lanwise.proxy.zones`) without asking the link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import inf
from typing import Any, Protocol

import dns.name
import dns.rdata
import dns.rrset

from lanwise.dns import Name, Rdata
from lanwise.dns import Record as MdnsRecord
from lanwise.mdns import Event, RecordAdded, RecordRemoved, RecordUpdated
from lanwise.mdns.cache import CachedRecord
from lanwise.proxy.names import to_lanwise
from lanwise.proxy.records import MAX_UNICAST_TTL, translate, unicast_rdata
from lanwise.proxy.source import ChangeCallback, Unsubscribe
from lanwise.proxy.zones import Zone

__all__ = ["LinkSource", "MdnsLink"]

_log = logging.getLogger(__name__)

_ANY = 255
# RFC 6762 §10.1/§10.2: a record condemned is dropped a second later unless announced
# again meanwhile; a sweep that reported it gone looks for it that long (and a margin).
_RESCUE_WINDOW = 2.0
RECONFIRM_HOLD = 10.0
"""Seconds after a reconfirmation starts in which the same record doubted again is
ignored (RFC 6762 §10.4's two queries and removal take about that long)."""
_MAX_RECONFIRMING = 1024  # records held at once; more are ignored until some expire


class MdnsLink(Protocol):
    """What the proxy needs of an mDNS querier (MdnsTransport has all of it)."""

    def now(self) -> float: ...

    def cached(
        self, name: Name, qtype: int, *, interface: int | None = None
    ) -> list[CachedRecord]: ...

    def start_query(
        self,
        name: Name,
        qtype: int,
        *,
        interface: int | None = None,
        unicast_first: bool = False,
        report_cached: bool = True,
    ) -> Any: ...

    def stop_query(self, query: Any) -> None: ...

    def add_listener(self, callback: Callable[[Event], None]) -> Callable[[], None]: ...

    @property
    def cache_revision(self) -> int: ...


_Key = tuple[int, Rdata]  # (type, rdata) of a record of one followed name


@dataclass
class _Follow:
    """One running continuous query on one link, shared by its subscribers.

    ``known`` is what its subscribers have been told is there: every change
    reported is a change of it, so a record is reported gone once, whether the
    goodbye (by :meth:`LinkSource.sweep`) or the cache's removal a second later
    (by its event) is seen first.
    """

    zone: Zone
    local: Name
    rdtype: int
    query: Any
    callbacks: list[ChangeCallback] = field(default_factory=list)
    known: dict[_Key, MdnsRecord] = field(default_factory=dict)
    recheck_until: float = 0.0  # a sweep took records away: look for their return until then


class LinkSource:
    """The records of ``zones``, each read from mDNS on its interface, in unicast names.

    Every name crossing it is rewritten (§5.1), TTLs are capped (§5.5.1) and
    unreachable addresses left out (§5.5.2): see :mod:`lanwise.proxy.records`.
    """

    def __init__(
        self,
        zones: Sequence[Zone],
        link: MdnsLink,
        *,
        reconfirm: Callable[[MdnsRecord, int], bool] | None = None,
    ) -> None:
        self.zones = list(zones)
        self.link = link
        self._reconfirm = reconfirm
        # (local name, interface) -> the queries following it, by type.
        self._follows: dict[tuple[Name, int], dict[int, _Follow]] = {}
        self._remove_listener: Callable[[], None] | None = None
        self._swept: object = None
        # (local name, type, rdata, interface) -> until when another RECONFIRM of it is ignored.
        self._reconfirming: dict[tuple[Name, int, bytes, int], float] = {}
        self.reconfirms_ignored = 0

    def close(self) -> None:
        """Stop every query still running and stop listening to the link."""
        for by_type in list(self._follows.values()):
            for follow in list(by_type.values()):
                self.link.stop_query(follow.query)
        self._follows.clear()
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None

    # -- RecordSource -----------------------------------------------------------------
    def zone_of(self, name: dns.name.Name) -> Zone | None:
        """The zone serving ``name`` (the deepest one when domains nest)."""
        best: Zone | None = None
        for zone in self.zones:
            if zone.owns(name) and (best is None or zone.domain.is_subdomain(best.domain)):
                best = zone
        return best

    def serves(self, name: dns.name.Name) -> bool:
        return self.zone_of(name) is not None

    def cached(self, name: dns.name.Name, rdtype: int) -> list[dns.rrset.RRset]:
        return self.cached_until(name, rdtype)[0]

    def cached_until(self, name: dns.name.Name, rdtype: int) -> tuple[list[dns.rrset.RRset], float]:
        """:meth:`cached`, and until when those record sets stay exactly right.

        A TTL capped at 10 s (§5.5.1) stays 10 while the record has more than 10 s
        left: the sets are right as they are until the first of them gets there
        (on the link's clock), unless the link's cache changes before
        (:attr:`revision`). The proxy's own records and empty answers: ``inf``.
        """
        zone = self.zone_of(name)
        if zone is None:
            return [], inf
        if zone.is_own(name, rdtype):
            return zone.own(name, rdtype), inf
        local = zone.local_name(name)
        if local is None:
            return [], inf
        found = self.link.cached(to_lanwise(local), rdtype, interface=zone.interface)
        if not found:
            return [], inf
        now = self.link.now()
        pairs = [(c.record, c.remaining(now)) for c in found]
        until = now + min(remaining for _, remaining in pairs) - MAX_UNICAST_TTL
        return translate(pairs, zone.names), until

    def subscribe(self, name: dns.name.Name, rdtype: int, on_change: ChangeCallback) -> Unsubscribe:
        zone = self.zone_of(name)
        local = zone.local_name(name) if zone is not None else None
        if zone is None or local is None or zone.is_own(name, rdtype):
            return _nothing  # the proxy's own records, or nothing: no query to run
        if self._remove_listener is None:
            self._remove_listener = self.link.add_listener(self._on_event)
        lname = to_lanwise(local)
        by_type = self._follows.setdefault((lname, zone.interface), {})
        follow = by_type.get(rdtype)
        if follow is None:
            # QU first (RFC 6762 §5.4): responders that answered lately reply at once.
            query = self.link.start_query(
                lname, rdtype, interface=zone.interface, unicast_first=True, report_cached=False
            )
            follow = by_type[rdtype] = _Follow(zone, lname, rdtype, query)
            follow.known = self._current(follow)
        follow.callbacks.append(on_change)
        done = False

        def unsubscribe() -> None:
            nonlocal done
            if done:
                return
            done = True
            follow.callbacks.remove(on_change)
            if not follow.callbacks:
                self.link.stop_query(follow.query)
                current = self._follows.get((lname, follow.zone.interface), {})
                if current.get(rdtype) is follow:
                    del current[rdtype]
                    if not current:
                        del self._follows[(lname, follow.zone.interface)]

        return unsubscribe

    def reconfirm(self, name: dns.name.Name, rdtype: int, rdata: dns.rdata.Rdata) -> bool:
        """A client doubts a record (RFC 8765 §6.5): have the link confirm it (RFC 6762 §10.4).

        The link asks for it twice; if nobody answers, it is removed and
        subscribers see the removal. False when the record is not cached (or the
        proxy's own), or no link can reconfirm.

        The same record doubted again within RECONFIRM_HOLD seconds is ignored and
        counted (``reconfirms_ignored``): each reconfirmation sends queries on the link,
        and RFC 8765 §6.5 leaves to the server what it does with a RECONFIRM.
        """
        zone = self.zone_of(name)
        if zone is None or self._reconfirm is None or zone.is_own(name, rdtype):
            return False
        local = zone.local_name(name)
        if local is None:
            return False
        now = self.link.now()
        key = (to_lanwise(local), rdtype, rdata.to_digestable(), zone.interface)
        held = self._reconfirming
        if held.get(key, -inf) > now:
            self.reconfirms_ignored += 1
            return False
        if len(held) >= _MAX_RECONFIRMING:
            for old in [k for k, until in held.items() if until <= now]:
                del held[old]
            if len(held) >= _MAX_RECONFIRMING:
                self.reconfirms_ignored += 1
                return False
        for cached in self.link.cached(key[0], rdtype, interface=zone.interface):
            if unicast_rdata(cached.record, zone.names) == rdata:
                held[key] = now + RECONFIRM_HOLD
                return self._reconfirm(cached.record, zone.interface)
        return False

    @property
    def revision(self) -> object:
        """Equal between two readings unless something :meth:`cached` answers may have
        changed (the link's cache, or a zone's own records)."""
        zones = self.zones
        if len(zones) == 1:
            return (self.link.cache_revision, zones[0].version)
        return (self.link.cache_revision, *(zone.version for zone in zones))

    # -- the link's changes ----------------------------------------------------------
    def _current(self, follow: _Follow) -> dict[_Key, MdnsRecord]:
        found = self.link.cached(follow.local, follow.rdtype, interface=follow.zone.interface)
        return {(c.record.rtype, c.record.rdata): c.record for c in found}

    def sweep(self) -> None:
        """Report what left or came back without an event of its own; call it often
        (every 0.1 s: :func:`lanwise.proxy.serve` does).

        RFC 6762 §10.1: a goodbye (TTL 0) leaves a record in the cache for one more
        second, and only then comes its removal event; §10.2 likewise for records a
        cache-flush replaced. The cache stops answering with such a record at once,
        so a subscriber learns it is gone when the goodbye arrives, not a second
        later (RFC 8765 §6.3.1: removals pushed as they happen). A record announced
        again within that second is reported added again. Nothing is done while the
        cache's revision has not moved.
        """
        revision = self.link.cache_revision
        if revision == self._swept:
            return
        self._swept = revision
        now = self.link.now()
        for by_type in list(self._follows.values()):
            for follow in list(by_type.values()):
                if not follow.known and now > follow.recheck_until:
                    continue  # nothing to lose, and arrivals come as events
                current = self._current(follow)
                known = follow.known
                gone = [record for key, record in known.items() if key not in current]
                new = [record for key, record in current.items() if key not in known]
                follow.known = current
                if gone:
                    follow.recheck_until = now + _RESCUE_WINDOW
                for record in gone:
                    self._report(follow, record, added=False)
                for record in new:
                    self._report(follow, record, added=True)

    # -- the link's events ----------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, RecordAdded):
            self._dispatch(event.interface, event.record, added=True)
        elif isinstance(event, RecordRemoved):
            self._dispatch(event.interface, event.record, added=False)
        elif isinstance(event, RecordUpdated):
            self._dispatch(event.interface, event.old, added=False)
            self._dispatch(event.interface, event.new, added=True)

    def _dispatch(self, interface: int, record: MdnsRecord, *, added: bool) -> None:
        by_type = self._follows.get((record.name, interface))
        if not by_type:
            return
        key = (record.rtype, record.rdata)
        for follow in (by_type.get(record.rtype), by_type.get(_ANY)):
            if follow is None:
                continue
            if added:
                if key in follow.known:
                    continue  # already told (a refresh, or seen by a sweep)
                follow.known[key] = record
            elif follow.known.pop(key, None) is None:
                continue  # already told it is gone (its goodbye, by a sweep)
            self._report(follow, record, added=added)

    def _report(self, follow: _Follow, record: MdnsRecord, *, added: bool) -> None:
        remaining = float(record.ttl) if added else 0.0
        rrsets = translate([(record, remaining)], follow.zone.names)
        if not rrsets:
            return  # left out (§5.5.2) or not servable
        for callback in list(follow.callbacks):
            try:
                if added:
                    callback(rrsets, ())
                else:
                    callback((), rrsets)
            except Exception:
                _log.exception("proxy: a change callback failed")


def _nothing() -> None:
    return None
