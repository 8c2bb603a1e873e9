"""Browse refresh over unicast DNS, sans-IO: when to ask again, and what changed.

Unicast DNS has no announcements: a browser learns of additions and removals by
asking again. lanwise asks again when the shortest TTL of the answers it holds
runs out (RFC 1035 §3.2.1: a record may be cached for its TTL), but never more
often than the poll floor, :data:`DEFAULT_POLL_FLOOR` seconds (a zone with TTL
0 must not be hammered). A negative answer is held for the zone's SOA minimum
(RFC 2308 §5). DNS Push (RFC 8765) replaces polling and is a separate layer.

:class:`BrowseSnapshot` turns two successive answers into browse events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lanwise.dnssd.model import (
    BrowseEvent,
    ResolvedServiceAdded,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.dnssd.names import ServiceType

__all__ = [
    "DEFAULT_POLL_FLOOR",
    "MIN_POLL_FLOOR",
    "UNICAST_INTERFACE",
    "BrowseSnapshot",
    "PollTimer",
]

DEFAULT_POLL_FLOOR = 10.0  # seconds: never poll a domain more often than this
MIN_POLL_FLOOR = 0.5  # the smallest floor a caller may choose (tests, labs)
UNICAST_INTERFACE = 0  # unicast results are not tied to a link: interface index 0


@dataclass(slots=True)
class PollTimer:
    """When the next browse query is due: after the shortest TTL, not before the floor."""

    floor: float = DEFAULT_POLL_FLOOR
    next_poll: float = 0.0

    def answered(self, now: float, ttls: Iterable[int]) -> float:
        """A complete answer arrived at ``now`` with these TTLs; returns the next poll time."""
        shortest = min(ttls, default=0)
        self.next_poll = now + max(self.floor, float(shortest))
        return self.next_poll

    def failed(self, now: float) -> float:
        """No answer at ``now``: try again after the floor."""
        self.next_poll = now + self.floor
        return self.next_poll

    def due(self, now: float) -> bool:
        """True when it is time to ask again."""
        return now >= self.next_poll


@dataclass(slots=True)
class BrowseSnapshot:
    """The instances seen in the last answer; :meth:`update` yields events for the change.

    ``infos`` maps an instance name (case-insensitively, by its folded key) to its
    resolved info, or None when the browse does not resolve.
    """

    type: ServiceType
    infos: dict[str, tuple[str, ServiceInfo | None]] = field(default_factory=dict)
    # A resolving browse reports an instance once it is resolved, as on .local:
    # its additions are ResolvedServiceAdded, ``info`` always set.
    resolving: bool = False

    def update(self, found: Mapping[str, ServiceInfo | None]) -> list[BrowseEvent]:
        """Replace the snapshot with ``found`` (name → info); return the events, removals first."""
        new = {
            name.casefold(): (name, info)
            for name, info in found.items()
            if info is not None or not self.resolving
        }
        events: list[BrowseEvent] = []
        for key, (name, _info) in self.infos.items():
            if key not in new:
                events.append(ServiceRemoved(name, self.type, UNICAST_INTERFACE))
        for key, (name, info) in new.items():
            old = self.infos.get(key)
            if old is None and info is not None:
                events.append(ResolvedServiceAdded(name, self.type, UNICAST_INTERFACE, info))
            elif old is None:
                events.append(ServiceAdded(name, self.type, UNICAST_INTERFACE, info))
            elif info is not None and info != old[1]:
                events.append(ServiceUpdated(name, self.type, UNICAST_INTERFACE, info))
        self.infos = new
        return events
