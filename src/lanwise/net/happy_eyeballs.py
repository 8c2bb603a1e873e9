"""Happy Eyeballs v2 (RFC 8305) connection scheduling, sans-IO.

The :class:`Planner` decides which connection attempt to start next and when;
it never opens a socket and never reads a clock. Its driver tells it what the
resolver answered (:meth:`Planner.resolved`) and how attempts ended
(:meth:`Planner.attempt_failed`, :meth:`Planner.attempt_succeeded`), asks
:meth:`Planner.next_attempt` for work, and sleeps until :meth:`Planner.get_timer`.

lanwise schedules attempts across every eligible interface: a candidate is an
(address, interface) pair, so one unreachable path is just one failed attempt.
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from lanwise.errors import UsageError

__all__ = [
    "CONNECTION_ATTEMPT_DELAY",
    "FIRST_ADDRESS_FAMILY_COUNT",
    "MAX_CONNECTION_ATTEMPT_DELAY",
    "MIN_CONNECTION_ATTEMPT_DELAY",
    "MIN_CONNECTION_ATTEMPT_SPACING",
    "RESOLUTION_DELAY",
    "Attempt",
    "PathInterface",
    "Planner",
    "Target",
]

# RFC 8305 §3: after a positive A answer, wait this long for the AAAA answer.
RESOLUTION_DELAY = 0.050
# RFC 8305 §5: recommended default delay between connection attempts.
CONNECTION_ATTEMPT_DELAY = 0.250
# RFC 8305 §5: the delay SHOULD be at least 100 ms and at most 2 s.
MIN_CONNECTION_ATTEMPT_DELAY = 0.100
MAX_CONNECTION_ATTEMPT_DELAY = 2.0
# RFC 8305 §5: a subsequent attempt MUST NOT start within 10 ms of the previous one,
# even when the previous one already failed.
MIN_CONNECTION_ATTEMPT_SPACING = 0.010
# RFC 8305 §4: addresses of the preferred family tried before interleaving starts.
FIRST_ADDRESS_FAMILY_COUNT = 1

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class Target:
    """One resolved destination address.

    ``scope`` is the interface index an IPv6 link-local (scoped) address is
    tied to; 0 when the address is not scoped.
    """

    address: IPAddress
    scope: int = 0


@dataclass(frozen=True, slots=True)
class PathInterface:
    """An interface attempts may go out of, and which families it can carry."""

    index: int
    ipv4: bool = True
    ipv6: bool = True
    loopback: bool = False

    def carries(self, family: int) -> bool:
        return self.ipv6 if family == socket.AF_INET6 else self.ipv4


@dataclass(frozen=True, slots=True)
class Attempt:
    """One connection attempt to start: an address over one interface."""

    number: int
    target: Target
    interface_index: int

    @property
    def family(self) -> int:
        return socket.AF_INET6 if self.target.address.version == 6 else socket.AF_INET

    @property
    def address(self) -> IPAddress:
        return self.target.address


class Planner:
    """The RFC 8305 scheduler for one logical connection.

    ``interfaces`` are the eligible interfaces in order of preference. The
    planner prefers IPv6 (RFC 8305 §4, following RFC 6724's default policy).
    """

    def __init__(
        self,
        interfaces: Sequence[PathInterface],
        *,
        connection_attempt_delay: float = CONNECTION_ATTEMPT_DELAY,
        resolution_delay: float = RESOLUTION_DELAY,
        first_address_family_count: int = FIRST_ADDRESS_FAMILY_COUNT,
    ) -> None:
        if connection_attempt_delay < MIN_CONNECTION_ATTEMPT_DELAY:
            raise UsageError(
                "connection_attempt_delay",
                "must be at least 100 ms (RFC 8305 §5)",
                connection_attempt_delay,
            )
        if connection_attempt_delay > MAX_CONNECTION_ATTEMPT_DELAY:
            raise UsageError(
                "connection_attempt_delay",
                "must be at most 2 s (RFC 8305 §5)",
                connection_attempt_delay,
            )
        if first_address_family_count < 1:
            raise UsageError("first_address_family_count", "must be at least 1")
        self._interfaces = tuple(interfaces)
        self._attempt_delay = connection_attempt_delay
        self._resolution_delay = resolution_delay
        self._first_count = first_address_family_count
        # Candidates not yet attempted, per family, in resolver order.
        self._pending: dict[int, deque[tuple[Target, int]]] = {
            socket.AF_INET6: deque(),
            socket.AF_INET: deque(),
        }
        self._answered: dict[int, bool] = {socket.AF_INET6: False, socket.AF_INET: False}
        self._resolution_deadline: float | None = None
        self._ready_at: float | None = None
        self._last_started: float | None = None
        self._last_family: int | None = None
        self._in_flight: dict[int, Attempt] = {}
        self._numbers = 0
        self._winner: Attempt | None = None
        self._failed: list[Attempt] = []
        self._targets: list[Target] = []

    # -- inputs ------------------------------------------------------------------
    def resolved(self, family: int, targets: Iterable[Target], now: float) -> None:
        """The resolver's answer for ``family`` (AF_INET6 = AAAA, AF_INET = A).

        An empty answer (or a failed query: pass no targets) is a negative answer.
        Answers arriving after attempts began join the remaining candidates
        (RFC 8305 §3, §4).
        """
        if family not in self._pending:
            raise UsageError("family", "must be AF_INET or AF_INET6", family)
        if self._answered[family]:
            return
        self._answered[family] = True
        queue = self._pending[family]
        seen: set[tuple[Target, int]] = set()
        for target in targets:
            self._targets.append(target)
            for iface in self._interfaces:
                if not iface.carries(family):
                    continue
                if target.scope and target.scope != iface.index:
                    continue
                # Loopback destinations go over loopback interfaces, and only they.
                if target.address.is_loopback != iface.loopback:
                    continue
                pair = (target, iface.index)
                if pair not in seen:
                    seen.add(pair)
                    queue.append(pair)
        self._update_readiness(family, bool(queue), now)

    def _update_readiness(self, family: int, positive: bool, now: float) -> None:
        if self._ready_at is not None:
            return
        v6, v4 = socket.AF_INET6, socket.AF_INET
        if family == v6 and positive:
            # §3: a positive AAAA answer starts connection attempts at once.
            self._ready_at = now
        elif self._answered[v6] and self._answered[v4]:
            # §3: both answered (AAAA negative or arriving within the delay).
            self._ready_at = now
        elif family == v4 and positive and self._resolution_deadline is None:
            # §3: A first: give AAAA the Resolution Delay before going on with IPv4.
            self._resolution_deadline = now + self._resolution_delay

    def attempt_failed(self, attempt: Attempt, now: float) -> None:
        """An attempt ended without a connection (refused, unreachable, timed out)."""
        if self._in_flight.pop(attempt.number, None) is not None:
            self._failed.append(attempt)

    def attempt_succeeded(self, attempt: Attempt, now: float) -> list[Attempt]:
        """An attempt connected: it wins; returns the other attempts to cancel (§5)."""
        self._in_flight.pop(attempt.number, None)
        if self._winner is None:
            self._winner = attempt
        losers = list(self._in_flight.values())
        self._in_flight.clear()
        # §5: addresses not yet attempted are ignored once one attempt succeeds.
        for queue in self._pending.values():
            queue.clear()
        return losers

    # -- outputs -----------------------------------------------------------------
    def next_attempt(self, now: float) -> Attempt | None:
        """The attempt to start at ``now``, or None when none is due yet."""
        if self._winner is not None:
            return None
        if self._ready_at is None:
            if self._resolution_deadline is not None and now >= self._resolution_deadline:
                self._ready_at = self._resolution_deadline
            else:
                return None
        due = self._due_time()
        if due is None or now < due:
            return None
        family = self._pick_family()
        if family is None:
            return None
        target, index = self._pending[family].popleft()
        self._last_family = family
        self._numbers += 1
        attempt = Attempt(self._numbers, target, index)
        self._in_flight[attempt.number] = attempt
        self._last_started = now
        return attempt

    def get_timer(self) -> float | None:
        """When :meth:`next_attempt` should next be called; None: wait for an input."""
        if self._winner is not None:
            return None
        if self._ready_at is None:
            return self._resolution_deadline
        return self._due_time()

    def _due_time(self) -> float | None:
        if not any(self._pending.values()):
            return None
        assert self._ready_at is not None
        if self._last_started is None:
            return self._ready_at
        if self._in_flight:
            # §5: the next attempt starts when the Connection Attempt Delay has passed.
            return self._last_started + self._attempt_delay
        # Every attempt so far failed: go on now, but never within 10 ms of the last (§5).
        return self._last_started + MIN_CONNECTION_ATTEMPT_SPACING

    def _pick_family(self) -> int | None:
        v6, v4 = socket.AF_INET6, socket.AF_INET
        have6, have4 = bool(self._pending[v6]), bool(self._pending[v4])
        if not (have6 and have4):
            return v6 if have6 else (v4 if have4 else None)
        # §4: First Address Family Count addresses of the preferred family, then alternate.
        if self._numbers < self._first_count:
            return v6
        return v4 if self._last_family == v6 else v6

    # -- state -------------------------------------------------------------------
    @property
    def winner(self) -> Attempt | None:
        """The attempt that connected, once one has."""
        return self._winner

    @property
    def exhausted(self) -> bool:
        """True when no connection can come any more: every candidate failed."""
        return (
            self._winner is None
            and all(self._answered.values())
            and not any(self._pending.values())
            and not self._in_flight
        )

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every address the resolver returned, whether or not an interface carries it."""
        return tuple(self._targets)

    @property
    def started_any(self) -> bool:
        """Whether any attempt was ever started."""
        return self._numbers > 0

    @property
    def failed_attempts(self) -> tuple[Attempt, ...]:
        return tuple(self._failed)

    @property
    def in_flight(self) -> tuple[Attempt, ...]:
        return tuple(self._in_flight.values())
