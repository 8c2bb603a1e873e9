"""Registration leases (RFC 9664), sans-IO: when to refresh, when the lease is lost.

An UPDATE carries the Update Lease EDNS(0) option (option code 2, RFC 9664 §4):
a 4-octet LEASE in seconds, optionally followed by a 4-octet KEY-LEASE. The
server may grant a shorter lease in its reply. lanwise refreshes at
:data:`REFRESH_FRACTION` of the granted lease; a server whose reply carries no
option does not implement leases (RFC 9664 §4), and lanwise then keeps the
requested value as the refresh period so the records stay fresh wherever an
operator expires stale ones.

Leases granted together come due a few milliseconds apart; a refresh may go up
to :data:`BATCH_EARLY` of the lease early (:meth:`LeaseClock.due_soon`) so that
they go out as one batch instead of each waking the driver on its own.

A failed refresh is retried every :data:`RETRY_INTERVAL` while the lease lasts;
once the lease has run out without a successful refresh, the registration is
lost and the caller gets an event for it.

Time is an argument: nothing here reads a clock.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "BATCH_EARLY",
    "DEFAULT_LEASE",
    "LEASE_OPTION_CODE",
    "MIN_LEASE",
    "REFRESH_FRACTION",
    "RETRY_INTERVAL",
    "LeaseClock",
    "decode_lease_option",
    "encode_lease_option",
]

LEASE_OPTION_CODE = 2  # RFC 9664 §4: EDNS(0) option code "Update Lease"
DEFAULT_LEASE = 7200  # RFC 9664 §4: two hours suggested for DNS-SD registrations
MIN_LEASE = 1  # lanwise accepts short leases (tests, labs); servers may lengthen them
MAX_LEASE = 0xFFFFFFFF  # 32-bit field (RFC 9664 §4)
REFRESH_FRACTION = 0.8  # refresh at 80% of the granted lease, well before it ends
RETRY_INTERVAL = 5.0  # seconds between refresh attempts after a failure
# A due refresh takes along those due within 5% of their lease (so never before
# 75% of it): still well before expiry, as RFC 9664 §4 asks.
BATCH_EARLY = 0.05


def encode_lease_option(lease: int, key_lease: int | None = None) -> bytes:
    """The option data: LEASE, then KEY-LEASE if given (RFC 9664 §4)."""
    if key_lease is None:
        return struct.pack("!I", lease)
    return struct.pack("!II", lease, key_lease)


def decode_lease_option(data: bytes) -> tuple[int, int | None] | None:
    """(LEASE, KEY-LEASE or None) from option data; None when malformed (4 or 8 octets)."""
    if len(data) == 4:
        return struct.unpack("!I", data)[0], None
    if len(data) == 8:
        lease, key_lease = struct.unpack("!II", data)
        return lease, key_lease
    return None


@dataclass(slots=True)
class LeaseClock:
    """One registration's lease: granted at a time, refreshed, retried, or lost.

    ``granted(now, lease)`` after a successful UPDATE; :meth:`deadline` is when
    to act next; at that time :meth:`due` says ``"refresh"`` or ``"lost"``.
    ``failed(now)`` after a refresh that got no success reply.
    """

    requested: int
    lease: float = 0.0
    expires: float = 0.0
    next_refresh: float = 0.0
    refreshes: int = 0

    def granted(self, now: float, lease: int | None) -> None:
        """A success reply at ``now``; ``lease`` is what the server granted (None: no option)."""
        self.lease = float(self.requested if lease is None else lease)
        self.expires = now + self.lease
        self.next_refresh = now + REFRESH_FRACTION * self.lease

    def failed(self, now: float) -> None:
        """A refresh failed at ``now``: try again soon, but never past the expiry."""
        self.next_refresh = min(now + RETRY_INTERVAL, self.expires)

    def deadline(self) -> float:
        """When :meth:`due` next has something to say."""
        return self.next_refresh

    def due(self, now: float) -> str | None:
        """``"lost"`` once the lease ran out, ``"refresh"`` when it is time, else None."""
        if now >= self.expires:
            return "lost"
        if now >= self.next_refresh:
            return "refresh"
        return None

    def due_soon(self, now: float) -> bool:
        """True when a refresh is due within :data:`BATCH_EARLY` of the lease from
        ``now`` (and the lease has not run out): it may join a batch going now."""
        return self.due(now) == "refresh" or (
            now < self.expires and now + BATCH_EARLY * self.lease >= self.next_refresh
        )
