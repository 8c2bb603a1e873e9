"""Multicast DNS constants: ports, groups, sizes and every timing rule of RFC 6762.

All times are in seconds. Each constant names the section that sets it.
"""

from __future__ import annotations

from typing import Final

# §5, §22: the mDNS port and link-local groups.
MDNS_PORT: Final = 5353

# §8.1: the first probe goes out after a random 0–250 ms wait ...
PROBE_WAIT_MAX: Final = 0.250
# ... then three probes 250 ms apart.
PROBE_INTERVAL: Final = 0.250
PROBE_COUNT: Final = 3
# §8.2: the loser of a simultaneous-probe tie-break waits one second, then probes again.
TIE_BREAK_DEFER: Final = 1.0
# §8.1: after 15 conflicts within 10 s, wait 5 s before each further probe attempt.
CONFLICT_RATE_COUNT: Final = 15
CONFLICT_RATE_WINDOW: Final = 10.0
CONFLICT_RATE_DELAY: Final = 5.0

# §8.3: at least two announcements, one second apart (the interval may double).
ANNOUNCE_COUNT: Final = 2
ANNOUNCE_INTERVAL: Final = 1.0

# §6: shared answers wait a random 20–120 ms so several responders do not collide.
SHARED_DELAY_MIN: Final = 0.020
SHARED_DELAY_MAX: Final = 0.120
# §6.4: a responder may hold answers up to 500 ms to aggregate them into one packet.
AGGREGATION_MAX: Final = 0.500
# §7.2: a query with the TC bit set: wait 400–500 ms for the rest of the known answers.
TRUNCATED_DELAY_MIN: Final = 0.400
TRUNCATED_DELAY_MAX: Final = 0.500
# §6.2: a record is multicast at most once per second per interface ...
MULTICAST_RATE_LIMIT: Final = 1.0
# ... except in answer to a probe, which may be answered after 250 ms.
PROBE_DEFENCE_RATE_LIMIT: Final = 0.250
# §5.4: a QU question is answered by multicast if the record was not multicast on the
# interface within the last quarter of its TTL.
QU_MULTICAST_FRACTION: Final = 0.25
# §7.1: a known answer suppresses ours if its TTL is at least half our TTL.
KNOWN_ANSWER_TTL_FRACTION: Final = 0.5
# §7.4: an answer seen from another responder suppresses ours if its TTL is not less than ours.
DUPLICATE_ANSWER_TTL_FRACTION: Final = 1.0
# §6.6: a copy of our record seen with less than half our TTL is corrected by multicast.
TTL_REPAIR_FRACTION: Final = 0.5

# §10: default TTLs: records carrying a host name (A, AAAA, SRV, reverse PTR, HINFO) ...
HOST_NAME_TTL: Final = 120
# ... and everything else.
OTHER_TTL: Final = 4500
# §6.7: legacy unicast answers carry a TTL of at most 10 s.
LEGACY_UNICAST_TTL: Final = 10

# §17: a message never exceeds 9000 octets; on a link it also fits the MTU.
MAX_MESSAGE_SIZE: Final = 9000
IPV4_HEADER: Final = 20
IPV6_HEADER: Final = 40
UDP_HEADER: Final = 8
DEFAULT_MTU: Final = 1500
