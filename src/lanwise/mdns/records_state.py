"""The one table of record-group states (probing → announcing → announced; goodbye).

Every unique name the responder publishes — the host name, each service
instance name — moves through these states on each interface. The state of a
(registration, interface) pair changes only through :func:`transition`, which
looks the move up in :data:`TRANSITIONS` and logs it, so the table below is the
complete description of the life cycle (``docs/mdns.md`` renders it from here).
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lanwise.mdns.registration import Registration

__all__ = [
    "ANSWERING_STATES",
    "TRANSITIONS",
    "InvalidTransitionError",
    "RecordState",
    "StateEntry",
    "Trigger",
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


class StateEntry:
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
        registration: Registration,
        interface: int,
        scheduled: dict[StateEntry, None] | None = None,
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
        self.announce_count = 2  # this round's announcements (§8.3: two; three, see _rdata_changed)
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

    def __repr__(self) -> str:
        return (
            f"<StateEntry {self.registration.name} if={self.interface} {self.state}"
            f" probes={self.probes_sent} announcements={self.announcements_sent}>"
        )


def transition(entry: StateEntry, trigger: Trigger, now: float) -> RecordState:
    """Apply ``trigger`` to ``entry`` as the table says, log it, and return the new state."""
    old = entry.state
    try:
        new = TRANSITIONS[old, trigger]
    except KeyError:
        raise InvalidTransitionError(
            f"{entry.registration.name} on interface {entry.interface}: "
            f"no transition from {old} on {trigger}"
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
