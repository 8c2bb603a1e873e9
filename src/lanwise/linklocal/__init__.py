"""IPv4 link-local addressing (RFC 3927): an address with no DHCP server.

Two layers:

- :class:`LinkLocalMachine` — the protocol, sans-IO: feed it ARP frames and
  timer expiries with the time ``now``; read back ARP packets to send, the next
  deadline and events. Deterministic, testable with a hand-stepped clock.
- :func:`open_link_local` — the Linux asyncio driver: an AF_PACKET socket on
  one interface (by index), the address configured over netlink, link and
  address changes followed through :func:`lanwise.interfaces.open_monitor`.

    async with open_link_local(index) as client:
        address = await client.wait_bound()
        async for event in client:
            print(event)
"""

from __future__ import annotations

from lanwise.linklocal.arp import ArpFormatError, ArpOperation, ArpPacket
from lanwise.linklocal.constants import (
    ANNOUNCE_INTERVAL,
    ANNOUNCE_NUM,
    ANNOUNCE_WAIT,
    DEFEND_INTERVAL,
    LINK_LOCAL_NETWORK,
    MAX_CONFLICTS,
    PROBE_MAX,
    PROBE_MIN,
    PROBE_NUM,
    PROBE_WAIT,
    RATE_LIMIT_INTERVAL,
    RFC_TIMING,
    Timing,
    is_usable_address,
)
from lanwise.linklocal.driver import LinkLocalClient, open_link_local
from lanwise.linklocal.events import (
    AddressClaimed,
    AddressReleased,
    ConflictDetected,
    Event,
    StateChanged,
)
from lanwise.linklocal.machine import LinkLocalMachine, Statistics, address_for_hardware
from lanwise.linklocal.states import State, Trigger

__all__ = [
    "ANNOUNCE_INTERVAL",
    "ANNOUNCE_NUM",
    "ANNOUNCE_WAIT",
    "DEFEND_INTERVAL",
    "LINK_LOCAL_NETWORK",
    "MAX_CONFLICTS",
    "PROBE_MAX",
    "PROBE_MIN",
    "PROBE_NUM",
    "PROBE_WAIT",
    "RATE_LIMIT_INTERVAL",
    "RFC_TIMING",
    "AddressClaimed",
    "AddressReleased",
    "ArpFormatError",
    "ArpOperation",
    "ArpPacket",
    "ConflictDetected",
    "Event",
    "LinkLocalClient",
    "LinkLocalMachine",
    "State",
    "StateChanged",
    "Statistics",
    "Timing",
    "Trigger",
    "address_for_hardware",
    "is_usable_address",
    "open_link_local",
]
