"""What each check's rule asks, in a sentence (paraphrased from the RFC section
the catalogue cites; the HTML report shows it beside the verdict)."""

from __future__ import annotations

__all__ = ["RULE_TEXT"]

RULE_TEXT: dict[str, str] = {
    "P1": "Before using a unique name a responder sends three probes 250 ms apart, "
    "the first within 250 ms of deciding to probe.",
    "P2": "A probe asks type ANY for each name it wants to own; the first probe "
    "should ask for a unicast reply (QU).",
    "P3": "A probe lists the records it proposes in its Authority section, with the "
    "cache-flush bit clear there.",
    "P4": "All the records a responder wants for one name go into the same probe: "
    "SRV and TXT of an instance, the addresses of a host.",
    "P5": "Two hosts probing at once compare their proposed records; the one whose "
    "data sorts earlier defers: it waits one second, does not announce, and probes again.",
    "P6": "The host whose proposed data sorts later wins the simultaneous probe and "
    "carries on probing and announcing.",
    "P7": "The tie-break compares class (without the cache-flush bit), then type, "
    "then rdata bytes, over the records sorted in that order.",
    "P8": "A response to a probe that carries a record of the probed name means the "
    "name is taken: the prober chooses another name and probes it.",
    "P9": "After fifteen conflicts within ten seconds a responder waits at least five "
    "seconds before each further probe.",
    "P10": "The host name is probed as well as every service instance name; probing "
    "a service need not wait until the host name is settled.",
    "P11": "Names compare without regard to case: a conflict or a question in "
    "another case is about the same name.",
    "P12": "A host that loses a tie-break probes the same name again after one second "
    "instead of giving it up at once.",
    "P13": "Responses seen before probing starts do not decide the outcome: a prober "
    "never looks in its cache to choose a name.",
    "P14": "Every unique record is probed before use, the address records of the "
    "host a service's SRV points to among them.",
    "A1": "After probing, a responder sends at least two unsolicited responses "
    "(announcements), one second or more apart.",
    "A2": "In announcements unique records carry the cache-flush bit, shared records (PTR) do not.",
    "A3": "The announcements carry every record the responder now owns: the "
    "instance's SRV and TXT and the host's addresses.",
    "A4": "When the data of a record changes, the new record is announced at once, "
    "without probing again.",
    "C1": "A responder that sees a conflicting record for a name it owns probes the "
    "name again and renames if the other owner defends it.",
    "C2": "A record identical to its own, from another responder, is no conflict.",
    "N1": "A renamed service says goodbye (TTL 0) to the old name's records, then "
    "probes and announces the new name.",
    "H1": "When a link comes back (cable, Wi-Fi), the responder probes and announces again on it.",
    "CH1": "Further announcements, up to eight in all, each wait at least twice as "
    "long as the gap before; nothing is announced periodically afterwards.",
    "G1": "On shutdown or withdrawal a responder sends its records once more with "
    "TTL 0 (goodbyes).",
    "R1": "A question about a unique record the responder owns is answered at once, "
    "without the random delay shared answers need.",
    "R2": "An answer with shared records waits a random 20-120 ms, so several "
    "responders' answers can be aggregated and suppressed.",
    "R3": "A record is multicast on an interface at most once a second (a quarter "
    "second when defending a probe).",
    "R4": "A known answer in the query with at least half its true TTL suppresses that answer.",
    "R5": "After a query with the TC bit the responder waits 400-500 ms for the rest "
    "of the known answers before it answers.",
    "R6": "A shared answer another responder multicasts first suppresses the same pending answer.",
    "R7": "A question asking for a unicast reply (QU) is answered by unicast to the "
    "querier, unless the record was not multicast recently.",
    "R8": "A query from a port other than 5353 gets a unicast reply to that port: "
    "the same ID, the question repeated, TTLs of at most 10 s, no cache-flush bits.",
    "R9": "A question for a type the owner of a name does not have is answered with "
    "an NSEC record listing the types it does have.",
    "R10": "A PTR answer brings the SRV, TXT and addresses along as additional "
    "records; an SRV answer the addresses.",
    "R11": "Host-name records (and SRV) carry a TTL of 120 s, other records 4500 s.",
    "R12": "Answers on one interface give only the addresses usable on that link.",
    "R13": "A query from a source address outside the link's prefixes is not answered.",
    "R14": "A query is accepted whatever its IP TTL; what the responder sends has "
    "TTL (hop limit) 255.",
    "R15": "A host with IPv4 and IPv6 answers over both, on 224.0.0.251 and ff02::fb.",
    "R16": "Shared answers' delays spread evenly over 20-120 ms.",
    "R17": "Answers due at about the same time go out in one packet.",
    "R18": "Every question of a query is answered, each by its own rules.",
    "R19": "A question of type ANY is answered with all the records of the name.",
    "R20": "Multicast responses have ID 0, AA set, no questions, TC clear, opcode and "
    "rcode 0; queries with another opcode or rcode are ignored.",
    "R21": "No record appears twice in a packet; address records have legal host names.",
    "R22": "Every mDNS packet is sent with IP TTL / hop limit 255.",
    "R23": "A known answer whose TTL is below half the true TTL no longer suppresses; "
    "known answers in a TC follow-up packet do.",
    "S1": "A PTR under the service type points to the instance; the instance has an "
    "SRV and a TXT record.",
    "S2": "A TXT record is never empty: with no data it holds one zero-length string.",
    "S3": "Service type enumeration (_services._dns-sd._udp) lists every type the "
    "responder offers.",
    "S4": "Each subtype of a service has its own PTR under _sub of the type.",
    "S5": "A renamed instance keeps a readable name, such as 'Name (2)'.",
    "S6": "The SRV target is a host name a client can resolve: a name in .local "
    "(answered over mDNS) or a name in a unicast DNS domain, not a bare single label.",
    "M1": "A commissionable node's instance name is a 64-bit random identifier written "
    "as 16 uppercase hex digits.",
    "M2": "A commissionable node is found by subtypes: _L<12-bit discriminator>, "
    "_S<upper 4 bits>, _V<vendor id>, _T<device type>, and _CM while a commissioning "
    "window is open; decimal, no leading zeros.",
    "M3": "Exactly one PTR answers for the node's long discriminator subtype.",
    "M4": "TXT keys: D the 12-bit discriminator (required), VP vendor[+product], CM 0-3, "
    "DT a 32-bit device type, DN at most 32 bytes, RI up to 100 uppercase hex digits, "
    "PH a non-zero 20-bit hint, PI at most 128 bytes; decimals without leading zeros.",
    "M5": "CM tells the commissioning mode: 1-3 with the _CM subtype (window open), "
    "0 or absent without it.",
    "M6": "An operational instance name is the compressed fabric id and the node id, "
    "each 16 uppercase hex digits, joined by a hyphen.",
    "M7": "The host name is the MAC address as 12 (Ethernet, Wi-Fi) or 16 (Thread) "
    "uppercase hex digits.",
    "M8": "The host has AAAA records: Matter runs over IPv6.",
    "M9": "SII and SAI (ms) are at most 3600000, SAT at most 65535, T a bitmap whose "
    "reserved bit 0 is clear; ICD 0 or 1.",
    "M10": "An operational node is also found under _I<compressed fabric id>, the "
    "fabric's subtype.",
    "L1": "A host waits a random 0-1 s, then sends three ARP probes for its candidate "
    "1-2 s apart, with sender IP 0.0.0.0 and its own hardware address.",
    "L2": "Any ARP from another host with the candidate as sender IP (or another's "
    "probe for it) during probing is a conflict: choose a new address and probe it.",
    "L3": "Having probed, a host waits 2 s and announces the address twice, 2 s apart, "
    "with sender and target IP both the address.",
    "L4": "On a conflict with a bound address a host may defend it once with an "
    "announcement; a second conflict within 10 s makes it give the address up.",
    "L5": "After ten conflicts a host chooses at most one new address a minute.",
    "L6": "Addresses come from 169.254.1.0 to 169.254.254.255; the first and last "
    "256 are reserved.",
    "L7": "A host sends mDNS from a link-local address only once its probes are done and "
    "its first announcement sent, and never from one lost in a conflict (so mDNS "
    "probing starts only once the address is claimed).",
    "L8": "When the link comes back a host probes again, its previous address first.",
}
