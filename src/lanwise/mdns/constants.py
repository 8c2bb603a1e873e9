"""Multicast DNS constants: ports, groups, sizes and every timing rule of RFC 6762.

All times are in seconds. Each constant names the section that sets it.
"""

from __future__ import annotations

from typing import Final

from lanwise.dns import RRClass, RRType

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

# The cache (lanwise.mdns.cache).
# §5.2: with an active interest, query again at 80 %, 85 %, 90 % and 95 % of the TTL ...
REFRESH_FRACTIONS: Final = (0.80, 0.85, 0.90, 0.95)
# ... each point moved later by a random 0–2 % of the TTL, so queriers do not synchronise.
REFRESH_JITTER: Final = 0.02
# §10.1: a goodbye (TTL 0) is kept as TTL 1: the record is deleted one second later.
GOODBYE_DELAY: Final = 1.0
# §10.2: a cache-flush record set makes members received more than one second ago ...
CACHE_FLUSH_AGE: Final = 1.0
# ... expire one second later (not at once: the rest of the set may be in the next packet).
CACHE_FLUSH_DELAY: Final = 1.0
# §10.5: two or more unanswered queries for a record ...
POOF_QUERY_COUNT: Final = 2
# ... and no multicast answer within ten seconds: the record is flushed.
POOF_WINDOW: Final = 10.0
# §10.4: a record the caller doubts is flushed unless answered within ten seconds.
RECONFIRM_WINDOW: Final = 10.0
# §7.1: a known answer is listed only while at least half its TTL remains.
KNOWN_ANSWER_MIN_FRACTION: Final = 0.5
# RFC 2181 §8: a TTL with the top bit set is treated as zero (here: as a goodbye).
MAX_TTL: Final = 0x7FFFFFFF

# The querier (lanwise.mdns.querier).
# §5.2: the first query of a series waits a random 20–120 ms ...
FIRST_QUERY_DELAY_MIN: Final = 0.020
FIRST_QUERY_DELAY_MAX: Final = 0.120
# ... the first two queries are at least one second apart, and each gap at least doubles ...
FIRST_QUERY_INTERVAL: Final = 1.0
# ... up to a cap of 60 minutes.
MAX_QUERY_INTERVAL: Final = 3600.0
# Ours (§7.2 allows several questions per packet): a repeat may wait this long for
# other questions due soon on the same interface, so they share a packet.
AGGREGATION_WINDOW: Final = 0.050
# §6: unicast responses are accepted only for a QU question sent within the last two seconds.
UNICAST_RESPONSE_WINDOW: Final = 2.0
# §17: a query fits the link MTU; 1500 − 40 (IPv6) − 8 (UDP) fits IPv4 and IPv6 alike.
DEFAULT_MAX_PACKET_SIZE: Final = 1452
# Ours: every link mDNS runs on carries 576-octet IPv4 datagrams (RFC 791); 512 octets of
# DNS message always fit, enough for any one question (names are at most 255 octets).
MIN_PACKET_SIZE: Final = 512

# DNS wildcards as plain ints (``int == IntEnum`` is slow enum arithmetic on the hot path).
ANY_TYPE: Final = int(RRType.ANY)
ANY_CLASS: Final = int(RRClass.ANY)

# Ours: float slack when comparing a deadline with now (the one tolerance of the engine).
EPSILON: Final = 1e-9
