"""Events the link-local machine reports, read with ``next_event()``.

A driver acts on :class:`AddressClaimed` (configure the address) and
:class:`AddressReleased` (remove it); :class:`StateChanged` and
:class:`ConflictDetected` are for people and logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from lanwise.linklocal.states import State, Trigger

__all__ = ["AddressClaimed", "AddressReleased", "ConflictDetected", "Event", "StateChanged"]


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The machine moved from ``old`` to ``new`` (``old == new`` when only the address changed).

    ``address`` is the address being probed or held in the new state, if any.
    """

    time: float
    old: State
    new: State
    trigger: Trigger
    address: IPv4Address | None
    reason: str


@dataclass(frozen=True, slots=True)
class AddressClaimed:
    """Probing found ``address`` free: configure it on the interface now (§2.4)."""

    time: float
    address: IPv4Address


@dataclass(frozen=True, slots=True)
class AddressReleased:
    """Stop using ``address`` now: lost to a conflict (§2.5), paused or stopped."""

    time: float
    address: IPv4Address
    reason: str


@dataclass(frozen=True, slots=True)
class ConflictDetected:
    """Another host (``hardware_address``) uses or probes for ``address``.

    ``action`` is what the machine did: ``"new-address"`` (during probing,
    §2.2.1), ``"defended"`` (one announcement, §2.5) or ``"gave-up"``
    (second conflict within DEFEND_INTERVAL, §2.5).
    """

    time: float
    address: IPv4Address
    hardware_address: str
    state: State
    action: str


Event = StateChanged | AddressClaimed | AddressReleased | ConflictDetected
