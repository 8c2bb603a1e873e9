"""RFC 3927 constants: the address range and the protocol timings.

Every timing comes from RFC 3927 §9 ("Constants"); the comment beside each one
names the section whose rule uses it. :class:`Timing` bundles them so a driver
can be handed a scaled copy for tests and labs; production code uses
:data:`RFC_TIMING`, which is exactly the RFC's values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from lanwise.errors import UsageError

__all__ = [
    "ANNOUNCE_INTERVAL",
    "ANNOUNCE_NUM",
    "ANNOUNCE_WAIT",
    "BROADCAST_ADDRESS",
    "DEFEND_INTERVAL",
    "FIRST_ADDRESS",
    "LAST_ADDRESS",
    "LINK_LOCAL_NETWORK",
    "MAX_CONFLICTS",
    "PROBE_MAX",
    "PROBE_MIN",
    "PROBE_NUM",
    "PROBE_WAIT",
    "RATE_LIMIT_INTERVAL",
    "RFC_TIMING",
    "Timing",
    "is_usable_address",
]

# §2.1: the whole 169.254/16 prefix is link-local, but the first and the last 256
# addresses are reserved; hosts pick only from 169.254.1.0 to 169.254.254.255.
LINK_LOCAL_NETWORK = IPv4Network("169.254.0.0/16")
FIRST_ADDRESS = IPv4Address("169.254.1.0")  # §2.1
LAST_ADDRESS = IPv4Address("169.254.254.255")  # §2.1
# The prefix's directed broadcast address, configured alongside the /16 address.
BROADCAST_ADDRESS = IPv4Address("169.254.255.255")

PROBE_WAIT = 1.0  # §9, used in §2.2.1: initial random delay, 0..PROBE_WAIT seconds
PROBE_NUM = 3  # §9, §2.2.1: number of probe packets
PROBE_MIN = 1.0  # §9, §2.2.1: minimum delay between probes, seconds
PROBE_MAX = 2.0  # §9, §2.2.1: maximum delay between probes, seconds
ANNOUNCE_WAIT = 2.0  # §9, §2.2.1/§2.4: delay after the last probe before announcing
ANNOUNCE_NUM = 2  # §9, §2.4: number of announcement packets
ANNOUNCE_INTERVAL = 2.0  # §9, §2.4: time between announcement packets, seconds
MAX_CONFLICTS = 10  # §9, §2.2.1: conflicts before rate limiting
RATE_LIMIT_INTERVAL = 60.0  # §9, §2.2.1: at most one new address per this many seconds
DEFEND_INTERVAL = 10.0  # §9, §2.5: minimum interval between defensive ARPs, seconds


@dataclass(frozen=True, slots=True)
class Timing:
    """The RFC 3927 §9 constants as one value.

    :data:`RFC_TIMING` holds the RFC's values and is what every production
    caller uses. :meth:`scaled` makes a faster copy **for tests and labs only**:
    a host running scaled timings does not follow RFC 3927.
    """

    probe_wait: float = PROBE_WAIT
    probe_num: int = PROBE_NUM
    probe_min: float = PROBE_MIN
    probe_max: float = PROBE_MAX
    announce_wait: float = ANNOUNCE_WAIT
    announce_num: int = ANNOUNCE_NUM
    announce_interval: float = ANNOUNCE_INTERVAL
    max_conflicts: int = MAX_CONFLICTS
    rate_limit_interval: float = RATE_LIMIT_INTERVAL
    defend_interval: float = DEFEND_INTERVAL

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value < 0:
                raise UsageError(field.name, "must not be negative", value)
        if self.probe_num < 1:
            raise UsageError("probe_num", "must be at least 1", self.probe_num)
        if self.announce_num < 1:
            raise UsageError("announce_num", "must be at least 1", self.announce_num)
        if self.probe_min > self.probe_max:
            raise UsageError("probe_min", "must not exceed probe_max", self.probe_min)

    def scaled(self, factor: float) -> Timing:
        """A copy with every interval multiplied by ``factor`` (counts unchanged).

        For tests and labs only, where waiting out the real timings (a claim
        takes about seven seconds) would make a run too slow.
        """
        if not factor > 0:
            raise UsageError("factor", "must be positive", factor)
        return dataclasses.replace(
            self,
            probe_wait=self.probe_wait * factor,
            probe_min=self.probe_min * factor,
            probe_max=self.probe_max * factor,
            announce_wait=self.announce_wait * factor,
            announce_interval=self.announce_interval * factor,
            rate_limit_interval=self.rate_limit_interval * factor,
            defend_interval=self.defend_interval * factor,
        )


RFC_TIMING = Timing()


def is_usable_address(address: IPv4Address) -> bool:
    """Whether ``address`` lies in the §2.1 range hosts may choose from."""
    return FIRST_ADDRESS <= address <= LAST_ADDRESS
