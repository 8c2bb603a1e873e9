"""Telling our own multicast, looped back by the kernel, from everyone else's."""

from __future__ import annotations

import collections
from typing import Final

__all__ = ["ECHO_LIFETIME", "EchoFilter"]

# A looped-back copy of our own multicast arrives within microseconds; two
# seconds bounds how long an unmatched entry (the interface went down) lives.
ECHO_LIFETIME: Final = 2.0


class EchoFilter:
    """Recognises our own multicast datagrams when the kernel loops them back.

    Multicast loopback stays on so other mDNS stacks on this host hear us (see
    :mod:`lanwise.mdns.sockets`); we hear ourselves too. Each datagram sent to
    a group is expected back once per send; an arriving datagram with exactly
    the same bytes consumes one expectation and is dropped. Expectations lapse
    after :data:`ECHO_LIFETIME` seconds. A peer's datagram identical to one we
    just sent carries no information we lack, so mistaking it costs nothing.
    """

    __slots__ = ("_expected", "_order")

    def __init__(self) -> None:
        self._expected: dict[bytes, int] = {}
        self._order: collections.deque[tuple[float, bytes]] = collections.deque()

    def __len__(self) -> int:
        """How many echoes are still expected."""
        return sum(self._expected.values())

    def sent(self, data: bytes, now: float) -> None:
        """Record a multicast datagram just sent."""
        self._expire(now)
        self._expected[data] = self._expected.get(data, 0) + 1
        self._order.append((now + ECHO_LIFETIME, data))

    def is_echo(self, data: bytes) -> bool:
        """True (and forget it) if ``data`` is the echo of a datagram we sent."""
        count = self._expected.get(data)
        if not count:
            return False
        if count == 1:
            del self._expected[data]
        else:
            self._expected[data] = count - 1
        return True

    def _expire(self, now: float) -> None:
        order = self._order
        while order and order[0][0] <= now:
            _, data = order.popleft()
            count = self._expected.get(data)
            if count is None:
                continue  # its echo already came
            if count == 1:
                del self._expected[data]
            else:
                self._expected[data] = count - 1
