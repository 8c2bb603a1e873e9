"""The RFC 3927 state machine for one interface, sans-IO.

The machine never reads a clock and never touches a socket. The caller feeds it
received ARP frames (:meth:`LinkLocalMachine.receive_arp`) and timer expiries
(:meth:`LinkLocalMachine.handle_timer`), both with the current time ``now`` in
seconds from any monotonic clock, and reads back ARP packets to broadcast
(:meth:`LinkLocalMachine.packets_to_send`), the next deadline
(:meth:`LinkLocalMachine.get_timer`) and events
(:meth:`LinkLocalMachine.next_event`). Randomness comes from an injected
:class:`random.Random`, so tests are deterministic.

Every state change goes through :meth:`LinkLocalMachine._transition`, which
checks it against the table in :mod:`lanwise.linklocal.states` and logs it.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections import deque
from dataclasses import dataclass
from ipaddress import IPv4Address

from lanwise.errors import ProtocolError, UsageError
from lanwise.linklocal.arp import ArpPacket, format_mac, parse_mac
from lanwise.linklocal.constants import (
    FIRST_ADDRESS,
    LAST_ADDRESS,
    RFC_TIMING,
    Timing,
    is_usable_address,
)
from lanwise.linklocal.events import (
    AddressClaimed,
    AddressReleased,
    ConflictDetected,
    Event,
    StateChanged,
)
from lanwise.linklocal.states import State, Trigger, allowed

__all__ = ["LinkLocalMachine", "Statistics", "address_for_hardware"]

_log = logging.getLogger(__name__)

# §2.1: the number of addresses in 169.254.1.0 - 169.254.254.255.
_RANGE_SIZE = int(LAST_ADDRESS) - int(FIRST_ADDRESS) + 1
_CLAIMED_STATES = frozenset({State.ANNOUNCING, State.BOUND, State.DEFENDING})


def address_for_hardware(hardware_address: bytes) -> IPv4Address:
    """The first candidate for a hardware address: stable across runs and hosts (§2.1).

    §2.1 asks for a generator seeded from something unique to the host, such as
    its MAC, so a host "will usually select the same IPv4 Link-Local address
    each time it is booted". A hash of the MAC spreads neighbouring MACs
    (often sequential) over the whole range.
    """
    digest = hashlib.sha256(b"lanwise ipv4ll\x00" + hardware_address).digest()
    return FIRST_ADDRESS + int.from_bytes(digest[:8], "big") % _RANGE_SIZE


@dataclass(slots=True)
class Statistics:
    """Counters for one machine; read with :meth:`LinkLocalMachine.statistics`."""

    received: int = 0
    malformed: int = 0
    probes_sent: int = 0
    announcements_sent: int = 0
    conflicts: int = 0
    defences: int = 0
    addresses_lost: int = 0
    addresses_claimed: int = 0


class LinkLocalMachine:
    """Chooses, probes, announces and defends one IPv4 link-local address (RFC 3927).

    ``hardware_address`` is the interface's MAC (6 bytes or ``"aa:bb:…"``);
    it goes into every packet and seeds the first candidate. ``requested``
    is probed first instead, e.g. the address held before a link went down
    or one saved from an earlier run. ``timing`` is :data:`RFC_TIMING` except
    in tests and labs. ``rng`` draws later candidates and the random delays.
    """

    def __init__(
        self,
        hardware_address: bytes | str,
        *,
        requested: IPv4Address | str | None = None,
        timing: Timing = RFC_TIMING,
        rng: random.Random | None = None,
    ) -> None:
        mac = parse_mac(hardware_address) if isinstance(hardware_address, str) else hardware_address
        if len(mac) != 6:
            raise UsageError("hardware address", "must be 6 bytes", hardware_address)
        first: IPv4Address
        if requested is None:
            first = address_for_hardware(mac)
        else:
            try:
                first = IPv4Address(requested)
            except ValueError:
                raise UsageError(
                    "requested address", "must be an IPv4 address", requested
                ) from None
            if not is_usable_address(first):
                raise UsageError(
                    "requested address",
                    "must be within 169.254.1.0-169.254.254.255 (RFC 3927 §2.1)",
                    str(first),
                )
        self._mac = mac
        self._timing = timing
        self._rng = rng if rng is not None else random.Random()
        self._state = State.INIT
        self._candidate: IPv4Address = first
        self._claimed: IPv4Address | None = None
        # When the next probe or announcement (or the end of a wait) is due.
        self._deadline: float | None = None
        self._probes_sent = 0
        self._announcements_sent = 0
        # §2.2.1: conflicts met while acquiring an address; reset once one is bound.
        self._conflicts = 0
        # When the current attempt began, or sent its first probe once it has.
        self._attempt_started: float | None = None
        # §2.5: when we last defended the claimed address.
        self._defended_at: float | None = None
        self._pause_reasons: set[str] = set()
        self._outbox: list[ArpPacket] = []
        self._events: deque[Event] = deque()
        self._stats = Statistics()

    # -- read-outs -----------------------------------------------------------------
    @property
    def state(self) -> State:
        return self._state

    @property
    def address(self) -> IPv4Address | None:
        """The claimed address (configured on the interface), or None."""
        return self._claimed

    @property
    def candidate(self) -> IPv4Address:
        """The address being probed, or held, or to be probed next."""
        return self._candidate

    @property
    def hardware_address(self) -> bytes:
        return self._mac

    @property
    def timing(self) -> Timing:
        return self._timing

    @property
    def conflicts(self) -> int:
        """Conflicts counted towards MAX_CONFLICTS (§2.2.1)."""
        return self._conflicts

    def statistics(self) -> Statistics:
        """A snapshot of the counters."""
        s = self._stats
        return Statistics(
            s.received,
            s.malformed,
            s.probes_sent,
            s.announcements_sent,
            s.conflicts,
            s.defences,
            s.addresses_lost,
            s.addresses_claimed,
        )

    def packets_to_send(self) -> list[ArpPacket]:
        """ARP packets to broadcast on the interface now, oldest first."""
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> Event | None:
        """The oldest unread event, or None."""
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or None for never."""
        deadline = self._deadline
        if self._state is State.DEFENDING and self._defended_at is not None:
            expiry = self._defended_at + self._timing.defend_interval
            deadline = expiry if deadline is None else min(deadline, expiry)
        return deadline

    # -- inputs --------------------------------------------------------------------
    def start(self, now: float) -> None:
        """Begin probing the first candidate (§2.2.1)."""
        if self._state is not State.INIT:
            raise UsageError("start", "the machine can be started only once", self._state.value)
        self._begin_attempt(Trigger.START, now, "started")

    def pause(self, now: float, reason: str) -> None:
        """Stand aside (link down, routable address present): release any claimed address.

        Pauses stack by ``reason``; the machine resumes when every reason is gone.
        """
        if self._state is State.INIT:
            raise UsageError("pause", "start the machine first", reason)
        self._pause_reasons.add(reason)
        if self._state in (State.PAUSED, State.STOPPED):
            return
        self._release(now, reason)
        self._deadline = None
        self._outbox.clear()
        self._transition(State.PAUSED, Trigger.PAUSE, now, reason)

    def resume(self, now: float, reason: str) -> None:
        """Withdraw a pause ``reason``; with none left, probe the previous address first.

        Probing the address held before (BCT I.6) keeps a host's address stable
        across a cable change whenever it is still free.
        """
        self._pause_reasons.discard(reason)
        if self._state is not State.PAUSED or self._pause_reasons:
            return
        self._begin_attempt(Trigger.RESUME, now, f"{reason} over")

    def stop(self, now: float) -> None:
        """Stop for good, releasing any claimed address."""
        if self._state is State.STOPPED:
            return
        self._release(now, "stopped")
        self._deadline = None
        self._outbox.clear()
        self._transition(State.STOPPED, Trigger.STOP, now, "stopped")

    def receive_arp(self, packet: bytes | ArpPacket, now: float) -> None:
        """Take one received ARP packet (an Ethernet frame, or parsed).

        Malformed frames are counted and dropped. Our own frames (sender
        hardware address ours) are never conflicts.
        """
        self._stats.received += 1
        if isinstance(packet, bytes):
            try:
                packet = ArpPacket.from_frame(packet)
            except ProtocolError as exc:
                self._stats.malformed += 1
                _log.debug("dropped: %s", exc)
                return
        if packet.sender_mac == self._mac:
            return
        state = self._state
        if state is State.PROBING:
            candidate = self._candidate
            # §2.2.1: any ARP packet whose sender IP is the candidate, or another
            # host's probe for the candidate, from the start of probing until
            # ANNOUNCE_WAIT after the last probe.
            if packet.sender_ip == candidate or (packet.is_probe and packet.target_ip == candidate):
                self._conflict_while_probing(packet, now)
        elif state in _CLAIMED_STATES and packet.sender_ip == self._claimed:
            # §2.5: an ARP packet whose sender IP is our address from another hardware address.
            self._conflict_while_claimed(packet, now)

    def handle_timer(self, now: float) -> None:
        """Do whatever is due at ``now``: send a probe or announcement, end a wait."""
        # Each step reschedules relative to ``now``, so a late call never bunches packets.
        while True:
            deadline = self.get_timer()
            if deadline is None or deadline > now:
                return
            self._step(now)

    # -- the protocol --------------------------------------------------------------
    def _step(self, now: float) -> None:
        state, t = self._state, self._timing
        if state is State.PROBING:
            if self._probes_sent < t.probe_num:
                if self._probes_sent == 0:
                    # The rate limit (§2.2.1) counts from when an address first goes on the wire.
                    self._attempt_started = now
                self._send(ArpPacket.probe(self._mac, self._candidate))
                self._probes_sent += 1
                if self._probes_sent < t.probe_num:
                    # §2.2.1: probes PROBE_MIN..PROBE_MAX seconds apart.
                    self._deadline = now + self._rng.uniform(t.probe_min, t.probe_max)
                else:
                    # §2.2.1/§2.4: conflicts still count until ANNOUNCE_WAIT after the last probe.
                    self._deadline = now + t.announce_wait
            else:
                self._claim(now)
        elif state is State.RATE_LIMITED:
            self._deadline = None
            self._begin_attempt(Trigger.RATE_LIMIT_OVER, now, "rate limit interval over")
        elif state is State.DEFENDING and self._defence_over(now):
            self._defended_at = None
            if self._announcements_sent < t.announce_num:
                self._transition(State.ANNOUNCING, Trigger.DEFEND_INTERVAL_OVER, now, "defended")
            else:
                self._transition(State.BOUND, Trigger.DEFEND_INTERVAL_OVER, now, "defended")
        elif state in (State.ANNOUNCING, State.DEFENDING):
            self._announce(now)
        else:  # pragma: no cover - no other state sets a deadline
            self._deadline = None

    def _begin_attempt(self, trigger: Trigger, now: float, reason: str) -> None:
        """Probe ``self._candidate`` from scratch, unless §2.2.1's rate limit says wait."""
        t = self._timing
        self._probes_sent = 0
        self._announcements_sent = 0
        self._defended_at = None
        started = self._attempt_started
        # §2.2.1: with more than MAX_CONFLICTS conflicts, at most one new address per
        # RATE_LIMIT_INTERVAL. Counting from MAX_CONFLICTS itself limits one attempt
        # sooner, which the rule permits.
        if (
            self._conflicts >= t.max_conflicts
            and started is not None
            and now < started + t.rate_limit_interval
            and trigger is not Trigger.RATE_LIMIT_OVER
        ):
            self._deadline = started + t.rate_limit_interval
            self._transition(State.RATE_LIMITED, trigger, now, reason)
            return
        self._attempt_started = now
        # §2.2.1: wait a random 0..PROBE_WAIT seconds before the first probe.
        self._deadline = now + self._rng.uniform(0.0, t.probe_wait)
        self._transition(State.PROBING, trigger, now, reason)

    def _conflict_while_probing(self, packet: ArpPacket, now: float) -> None:
        self._stats.conflicts += 1
        self._conflicts += 1
        lost = self._candidate
        self._events.append(
            ConflictDetected(now, lost, format_mac(packet.sender_mac), self._state, "new-address")
        )
        # §2.2.1: "MUST select a new pseudo-random address and repeat the process".
        self._candidate = self._random_address(avoid=lost)
        self._begin_attempt(
            Trigger.CONFLICT, now, f"{lost} in use by {format_mac(packet.sender_mac)}"
        )

    def _conflict_while_claimed(self, packet: ArpPacket, now: float) -> None:
        self._stats.conflicts += 1
        address = self._claimed
        assert address is not None
        other = format_mac(packet.sender_mac)
        if self._defended_at is not None and now - self._defended_at < self._timing.defend_interval:
            # §2.5: a second conflict within DEFEND_INTERVAL: cease using the address at once.
            self._events.append(ConflictDetected(now, address, other, self._state, "gave-up"))
            self._stats.addresses_lost += 1
            self._conflicts += 1
            self._release(now, f"lost to {other}")
            self._candidate = self._random_address(avoid=address)
            self._begin_attempt(Trigger.CONFLICT, now, f"{address} lost to {other}")
            return
        # §2.5 (b): record the time and broadcast one single announcement.
        self._events.append(ConflictDetected(now, address, other, self._state, "defended"))
        self._stats.defences += 1
        self._defended_at = now
        self._send(ArpPacket.announcement(self._mac, address))
        self._transition(State.DEFENDING, Trigger.CONFLICT, now, f"defending against {other}")

    def _claim(self, now: float) -> None:
        """Probing is over with no conflict: the candidate is ours (§2.4)."""
        address = self._candidate
        self._claimed = address
        self._stats.addresses_claimed += 1
        self._deadline = None
        self._transition(State.ANNOUNCING, Trigger.PROBES_DONE, now, "no conflict")
        # §2.4: the address may be used from the first announcement on.
        self._events.append(AddressClaimed(now, address))
        self._announce(now)

    def _announce(self, now: float) -> None:
        t = self._timing
        assert self._claimed is not None
        self._send(ArpPacket.announcement(self._mac, self._claimed))
        self._announcements_sent += 1
        if self._announcements_sent < t.announce_num:
            # §2.4: ANNOUNCE_NUM announcements, ANNOUNCE_INTERVAL seconds apart.
            self._deadline = now + t.announce_interval
            return
        self._deadline = None
        # §2.2.1 counts conflicts met while acquiring an address: with every announcement
        # out, the address is acquired, even if a defence (DEFENDING) came in between.
        self._conflicts = 0
        if self._state is State.ANNOUNCING:
            self._transition(State.BOUND, Trigger.ANNOUNCED, now, "announced")

    def _defence_over(self, now: float) -> bool:
        return self._defended_at is None or now >= self._defended_at + self._timing.defend_interval

    def _release(self, now: float, reason: str) -> None:
        if self._claimed is not None:
            self._events.append(AddressReleased(now, self._claimed, reason))
            self._claimed = None
        self._defended_at = None

    def _random_address(self, avoid: IPv4Address) -> IPv4Address:
        """A pseudo-random address in the §2.1 range, other than ``avoid``."""
        while True:
            address = FIRST_ADDRESS + self._rng.randrange(_RANGE_SIZE)
            if address != avoid:
                return address

    def _send(self, packet: ArpPacket) -> None:
        if packet.is_probe:
            self._stats.probes_sent += 1
        else:
            self._stats.announcements_sent += 1
        self._outbox.append(packet)

    def _transition(self, new: State, trigger: Trigger, now: float, reason: str) -> None:
        """The one place the state changes: checked against the table, logged, reported."""
        old = self._state
        if not allowed(old, trigger, new):
            raise AssertionError(f"illegal link-local transition {old} --{trigger}--> {new}")
        self._state = new
        address: IPv4Address | None
        if new in _CLAIMED_STATES:
            address = self._claimed
        elif new in (State.PROBING, State.RATE_LIMITED):
            address = self._candidate
        else:
            address = None
        _log.info("%s -> %s [%s] %s: %s", old, new, trigger, address or "-", reason)
        self._events.append(StateChanged(now, old, new, trigger, address, reason))
