"""The one table of record-group states (probing → announcing → announced; goodbye).

Every unique name the responder publishes — the host name, each service
instance name — moves through these states on each interface. The state of a
(registration, interface) pair changes only through :func:`apply`, which looks
the move up with the pure :func:`transition` (in :data:`TRANSITIONS`) and logs
it, so the table below is the complete description of the life cycle
(``docs/mdns.md`` renders it from here).
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Generic, Protocol, TypeVar

from lanwise.mdns.constants import ANNOUNCE_COUNT, ANNOUNCE_INTERVAL, PROBE_COUNT, PROBE_INTERVAL

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lanwise.dns import Name


class _Owner(Protocol):
    """What an entry needs of its registration (a name to log): no import of it, no cycle."""

    @property
    def name(self) -> Name: ...


_R = TypeVar("_R", bound=_Owner)

__all__ = [
    "ANSWERING_STATES",
    "TRANSITIONS",
    "InvalidTransitionError",
    "RecordState",
    "StateEntry",
    "Trigger",
    "apply",
    "render_table",
    "transition",
]

_log = logging.getLogger("lanwise.mdns.state")


class RecordState(StrEnum):
    """Where a registration stands on one interface."""

    PROBING = "probing"  # §8.1: asking whether anyone else uses the name
    ANNOUNCING = "announcing"  # §8.3: the name is ours; telling the link
    ANNOUNCED = "announced"  # answering queries and defending the name (§6, §9)
    WITHDRAWN = "withdrawn"  # §10.1: goodbyes sent; nothing more on this interface


class Trigger(StrEnum):
    """What moves a registration from one state to another."""

    PROBES_DONE = "probes-done"  # §8.1: three probes and 250 ms without conflict
    ANNOUNCEMENTS_DONE = "announcements-done"  # §8.3: the announcements went out
    TIE_BREAK_LOST = "tie-break-lost"  # §8.2: a simultaneous probe won: wait 1 s, probe again
    CONFLICT = "conflict"  # §9: a conflicting record after probing: probe again
    RENAMED = "renamed"  # §8.1, §9: name lost (or caller renamed): probe the new name
    RDATA_CHANGED = "rdata-changed"  # §8.4: new TXT or addresses: announce again, no probe
    WITHDRAW = "withdraw"  # §10.1: unregistered or closed: goodbye


P, AI, A, W = (
    RecordState.PROBING,
    RecordState.ANNOUNCING,
    RecordState.ANNOUNCED,
    RecordState.WITHDRAWN,
)

#: (state, trigger) → next state. Pairs not listed are bugs and raise InvalidTransitionError.
TRANSITIONS: Final[Mapping[tuple[RecordState, Trigger], RecordState]] = {
    (P, Trigger.PROBES_DONE): AI,
    (P, Trigger.TIE_BREAK_LOST): P,
    (P, Trigger.RENAMED): P,
    (P, Trigger.RDATA_CHANGED): P,
    (P, Trigger.WITHDRAW): W,
    (AI, Trigger.ANNOUNCEMENTS_DONE): A,
    (AI, Trigger.CONFLICT): P,
    (AI, Trigger.RENAMED): P,
    (AI, Trigger.RDATA_CHANGED): AI,
    (AI, Trigger.WITHDRAW): W,
    (A, Trigger.CONFLICT): P,
    (A, Trigger.RENAMED): P,
    (A, Trigger.RDATA_CHANGED): AI,
    (A, Trigger.WITHDRAW): W,
}

#: States in which the records are ours and answer queries (§8.3: announcing counts).
ANSWERING_STATES: Final = frozenset({AI, A})


class InvalidTransitionError(RuntimeError):
    """A move the table does not allow: a bug in the responder, never the network's fault."""


class StateEntry(Generic[_R]):
    """One registration on one interface: its state and its probe/announce schedule."""

    __slots__ = (
        "_next_at",
        "_scheduled",
        "announce_count",
        "announced_at",
        "announcements_sent",
        "interface",
        "probes_sent",
        "published",
        "registration",
        "state",
    )

    def __init__(
        self,
        registration: _R,
        interface: int,
        scheduled: dict[StateEntry[_R], None] | None = None,
    ) -> None:
        self.registration = registration
        self.interface = interface
        self.state = RecordState.PROBING
        # Entries with a deadline are kept in ``scheduled`` (the responder's), so timers
        # cost the number of busy entries, not the number of registrations.
        self._scheduled = scheduled if scheduled is not None else {}
        self._next_at: float | None = None
        self.probes_sent = 0
        self.announcements_sent = 0
        self.announce_count = ANNOUNCE_COUNT  # §8.3: two; three, see start_announcing
        self.announced_at: float | None = None  # the last announcement sent here
        self.published = False  # announced here since the last goodbye: owes a goodbye

    @property
    def next_at(self) -> float | None:
        """When the next probe or announcement is due (None: nothing scheduled)."""
        return self._next_at

    @next_at.setter
    def next_at(self, value: float | None) -> None:
        self._next_at = value
        if value is None:
            self._scheduled.pop(self, None)
        else:
            self._scheduled[self] = None

    # The guards and counters of the table's moves: PROBES_DONE once these are true
    # at the next deadline, ANNOUNCEMENTS_DONE when announcement_sent says so.
    @property
    def probes_done(self) -> bool:
        """§8.1: three probes sent (with the 250 ms after the last, the name is ours)."""
        return self.probes_sent >= PROBE_COUNT

    def probe_sent(self, now: float) -> None:
        """§8.1: one more probe went at ``now``; the next step is 250 ms later."""
        self.probes_sent += 1
        self.next_at = now + PROBE_INTERVAL

    def announcement_sent(self, now: float) -> bool:
        """§8.3: one more announcement went at ``now``; True when that was the last."""
        self.announcements_sent += 1
        self.announced_at = now
        self.published = True
        if self.announcements_sent >= self.announce_count:
            self.next_at = None
            self.announce_count = ANNOUNCE_COUNT
            return True
        # §8.3: the interval may double; with two announcements it is 1 s.
        self.next_at = now + ANNOUNCE_INTERVAL * 2 ** (self.announcements_sent - 1)
        return False

    def start_announcing(self, at: float | None = None, *, rdata_changed: bool = False) -> None:
        """Announcements (§8.3, §8.4) start afresh, at ``at`` (None: keep the deadline).

        After an rdata change (§8.4), three (1 s, then 2 s apart: §8.3 lets the
        interval double) when the old rdata was announced less than a second ago:
        a cache keeps a record set's members received within the last second
        (§10.2), so the new value's second announcement may find the old one still
        that young on a querier that read it late, and flush nothing. The third
        flushes it; without it the old TXT would stay beside the new for its TTL.
        """
        recent = (
            rdata_changed
            and at is not None
            and self.announced_at is not None
            and at - self.announced_at < ANNOUNCE_INTERVAL
        )
        self.announce_count = ANNOUNCE_COUNT + 1 if recent else ANNOUNCE_COUNT
        self.announcements_sent = 0
        if at is not None:
            self.next_at = at

    def start_probing(self, at: float) -> None:
        """Probing (§8.1, §8.2, §9) starts afresh at ``at``."""
        self.probes_sent = 0
        self.announcements_sent = 0
        self.next_at = at

    def __repr__(self) -> str:
        return (
            f"<StateEntry {self.registration.name} if={self.interface} {self.state}"
            f" probes={self.probes_sent} announcements={self.announcements_sent}>"
        )


def transition(state: RecordState, trigger: Trigger) -> RecordState:
    """The state ``trigger`` moves ``state`` to, as the table says (a pure look-up)."""
    try:
        return TRANSITIONS[state, trigger]
    except KeyError:
        raise InvalidTransitionError(f"no transition from {state} on {trigger}") from None


def apply(entry: StateEntry[_R], trigger: Trigger, now: float) -> RecordState:
    """Move ``entry`` by :func:`transition`, log the move, and return the new state."""
    old = entry.state
    try:
        new = transition(old, trigger)
    except InvalidTransitionError as exc:
        raise InvalidTransitionError(
            f"{entry.registration.name} on interface {entry.interface}: {exc}"
        ) from None
    entry.state = new
    _log.debug(
        "%.3f %s if=%d: %s --%s--> %s",
        now,
        entry.registration.name,
        entry.interface,
        old,
        trigger,
        new,
    )
    return new


def render_table() -> str:
    """The transition table as Markdown (used to keep docs/mdns.md in step with the code)."""
    lines = ["| state | trigger | next state |", "|---|---|---|"]
    lines.extend(
        f"| {state} | {trigger} | {target} |" for (state, trigger), target in TRANSITIONS.items()
    )
    return "\n".join(lines)
