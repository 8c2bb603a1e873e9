"""Events the engine reports through ``Engine.next_event()``: frozen, slotted dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lanwise.dns import Name, Record
    from lanwise.mdns.registration import EngineRegistration

__all__ = [
    "CacheOverflow",
    "Event",
    "RecordAdded",
    "RecordRemoved",
    "RecordUpdated",
    "RegistrationConflict",
    "RegistrationEstablished",
    "RegistrationFailed",
    "RegistrationRemoved",
    "RegistrationRenamed",
    "RemovalReason",
]


class RemovalReason(StrEnum):
    """Why a record left the cache (querier/cache engineer's; see lanwise.mdns.cache)."""

    EXPIRED = "expired"  # its TTL ran out
    GOODBYE = "goodbye"  # TTL 0 from its owner, removed one second later (§10.1)
    FLUSHED = "flushed"  # replaced by a cache-flush record set, one second later (§10.2)
    POOF = "poof"  # queries for it went unanswered (§10.5)
    RECONFIRM_FAILED = "reconfirm_failed"  # a caller doubted it and no answer came (§10.4)
    EVICTED = "evicted"  # the cache was full
    INTERFACE_REMOVED = "interface_removed"  # its interface went away


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every engine event."""


@dataclass(frozen=True, slots=True)
class RegistrationEstablished(Event):
    """Probing succeeded on ``interface``: the name is ours there and is being announced."""

    registration: EngineRegistration
    interface: int
    name: Name


@dataclass(frozen=True, slots=True)
class RegistrationConflict(Event):
    """Another responder claims ``name`` on ``interface`` (RFC 6762 §8.1, §8.2, §9).

    ``reason`` is ``"probe-answered"`` (a response during probing),
    ``"tie-break-lost"`` (a simultaneous probe won; we probe again in 1 s),
    ``"announced-conflict"`` (a conflicting record after announcing; we probe again)
    or ``"reverse-name-held"`` (another responder answers for the reverse-mapping
    ``name`` of an address in :class:`~lanwise.mdns.registration.AddressRecords`:
    that PTR is left to it, the rest stays published).
    """

    registration: EngineRegistration
    interface: int
    name: Name
    reason: str


@dataclass(frozen=True, slots=True)
class RegistrationFailed(Event):
    """The registration gave ``name`` up for good; a :class:`RegistrationRemoved` follows.

    ``reason`` is ``"name-taken"``: another host holds the name of address
    records registered without ``rename`` (RFC 6762 §9), as avahi does for a
    host name.
    """

    registration: EngineRegistration
    name: Name
    reason: str


@dataclass(frozen=True, slots=True)
class RegistrationRenamed(Event):
    """The name was lost to another responder (or renamed by the caller) and changed."""

    registration: EngineRegistration
    old_name: Name
    new_name: Name


@dataclass(frozen=True, slots=True)
class RegistrationRemoved(Event):
    """The registration was withdrawn and its goodbyes (TTL 0) queued."""

    registration: EngineRegistration


@dataclass(frozen=True, slots=True)
class RecordAdded(Event):
    """The cache learned a record on ``interface``."""

    interface: int
    record: Record


@dataclass(frozen=True, slots=True)
class RecordUpdated(Event):
    """The rdata of a unique record set on ``interface`` changed (RFC 6762 §10.2).

    A record with the cache-flush bit replaced ``old`` with ``new`` (same name,
    type and class). A TTL refresh of the same rdata is not an event.
    """

    interface: int
    old: Record
    new: Record


@dataclass(frozen=True, slots=True)
class RecordRemoved(Event):
    """A record left the cache on ``interface``; ``reason`` says why."""

    interface: int
    record: Record
    reason: RemovalReason


@dataclass(frozen=True, slots=True)
class CacheOverflow(Event):
    """The cache had to drop records an active query asked for: the view is partial.

    Raised once when the cache reaches ``max_wanted_records`` and sheds records
    some query wants (those of the source holding the most, oldest first). The
    shed records are not reported as :class:`RecordRemoved`: they are not known
    to be gone. It is raised again only after the cache fell back below three
    quarters of that bound. ``limit`` is the bound, ``shed`` how many went in
    the shedding that raised it.
    """

    limit: int
    shed: int
