"""The link-local state machine's states and every allowed transition, in one table.

:class:`~lanwise.linklocal.machine.LinkLocalMachine` changes state only through
one method, which checks the move against :data:`TRANSITIONS` and logs it; this
table is therefore the complete diagram of the protocol:

- ``INIT`` → ``PROBING`` on start, with the requested address or one derived
  from the hardware address (§2.1).
- ``PROBING`` covers the PROBE_WAIT delay, the probes and the ANNOUNCE_WAIT
  after the last one (§2.2.1). A conflict picks a new address: ``PROBING``
  again, or ``RATE_LIMITED`` once there have been MAX_CONFLICTS (§2.2.1).
- ``ANNOUNCING``: the address is claimed and configured; announcements go out
  (§2.4), then ``BOUND``.
- ``DEFENDING``: a conflict on a claimed address was answered with one
  announcement (§2.5); a second one within DEFEND_INTERVAL loses the address
  (back to ``PROBING``/``RATE_LIMITED`` with a new one). Once the interval is
  over, back to ``BOUND`` (or ``ANNOUNCING`` if announcements remain).
- ``PAUSED``: the link is down or the caller asked the machine to stand aside
  (e.g. a routable address appeared); resuming probes the previous address
  first (BCT I.6).
- ``STOPPED``: final; any claimed address has been released.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

__all__ = ["TRANSITIONS", "State", "Trigger", "allowed", "render_table"]


class State(StrEnum):
    """Where the link-local machine is."""

    INIT = "init"
    PROBING = "probing"
    RATE_LIMITED = "rate-limited"
    ANNOUNCING = "announcing"
    BOUND = "bound"
    DEFENDING = "defending"
    PAUSED = "paused"
    STOPPED = "stopped"


class Trigger(StrEnum):
    """What caused a transition."""

    START = "start"
    CONFLICT = "conflict"
    PROBES_DONE = "probes-done"
    ANNOUNCED = "announced"
    RATE_LIMIT_OVER = "rate-limit-over"
    DEFEND_INTERVAL_OVER = "defend-interval-over"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


_S = State
_T = Trigger

# (state, trigger) → the states that trigger may lead to from there: the same shape
# as lanwise.mdns.records_state.TRANSITIONS (a flat table keyed by state and trigger),
# with a set of targets where the machine's guard picks one (a conflict's count, §2.2.1).
TRANSITIONS: Final[Mapping[tuple[State, Trigger], frozenset[State]]] = {
    (_S.INIT, _T.START): frozenset({_S.PROBING}),
    (_S.INIT, _T.STOP): frozenset({_S.STOPPED}),
    (_S.PROBING, _T.CONFLICT): frozenset({_S.PROBING, _S.RATE_LIMITED}),  # §2.2.1
    (_S.PROBING, _T.PROBES_DONE): frozenset({_S.ANNOUNCING}),  # §2.4
    (_S.PROBING, _T.PAUSE): frozenset({_S.PAUSED}),
    (_S.PROBING, _T.STOP): frozenset({_S.STOPPED}),
    (_S.RATE_LIMITED, _T.RATE_LIMIT_OVER): frozenset({_S.PROBING}),  # §2.2.1
    (_S.RATE_LIMITED, _T.PAUSE): frozenset({_S.PAUSED}),
    (_S.RATE_LIMITED, _T.STOP): frozenset({_S.STOPPED}),
    (_S.ANNOUNCING, _T.ANNOUNCED): frozenset({_S.BOUND}),  # §2.4
    (_S.ANNOUNCING, _T.CONFLICT): frozenset({_S.DEFENDING}),  # §2.5 (b)
    (_S.ANNOUNCING, _T.PAUSE): frozenset({_S.PAUSED}),
    (_S.ANNOUNCING, _T.STOP): frozenset({_S.STOPPED}),
    (_S.BOUND, _T.CONFLICT): frozenset({_S.DEFENDING}),  # §2.5 (b)
    (_S.BOUND, _T.PAUSE): frozenset({_S.PAUSED}),
    (_S.BOUND, _T.STOP): frozenset({_S.STOPPED}),
    # §2.5: a second conflict within DEFEND_INTERVAL loses the address; one after
    # it (before the timer was serviced) is defended afresh.
    (_S.DEFENDING, _T.CONFLICT): frozenset({_S.DEFENDING, _S.PROBING, _S.RATE_LIMITED}),
    (_S.DEFENDING, _T.DEFEND_INTERVAL_OVER): frozenset({_S.BOUND, _S.ANNOUNCING}),
    (_S.DEFENDING, _T.PAUSE): frozenset({_S.PAUSED}),
    (_S.DEFENDING, _T.STOP): frozenset({_S.STOPPED}),
    (_S.PAUSED, _T.RESUME): frozenset({_S.PROBING, _S.RATE_LIMITED}),  # BCT I.6
    (_S.PAUSED, _T.STOP): frozenset({_S.STOPPED}),
}


def allowed(old: State, trigger: Trigger, new: State) -> bool:
    """Whether the table permits ``old --trigger--> new``."""
    return new in TRANSITIONS.get((old, trigger), frozenset())


def render_table() -> str:
    """The transition table as Markdown, in the shape records_state.render_table prints."""
    lines = ["| state | trigger | next states |", "|---|---|---|"]
    lines.extend(
        f"| {state} | {trigger} | {', '.join(sorted(targets))} |"
        for (state, trigger), targets in TRANSITIONS.items()
    )
    return "\n".join(lines)
