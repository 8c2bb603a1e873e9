"""What every check shares: the wire, what is known about the target, helpers.

The target is known by its host name and/or an address, and optionally one
service instance it publishes. Discovery (:meth:`Session.discover`) asks for
its records once; from then on a packet counts as the target's when it comes
from one of its addresses, or is a response carrying records of its names
(the source is then learnt: an IPv6 responder speaks from a link-local address
it may not publish).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from lanwise.conformance.report import Outcome, Report
from lanwise.conformance.wire import (
    RESPONSE_FLAGS,
    Captured,
    Wire,
    build_packet,
    describe,
    packet_json,
)
from lanwise.dns import (
    PTR,
    SRV,
    TXT,
    Name,
    Question,
    Record,
    RRType,
)
from lanwise.errors import UsageError

__all__ = ["Session", "Trigger", "split_service", "swapped_case"]

# §6.2: a record is multicast at most once a second per interface; waiting a
# little longer than that before a check that needs a multicast answer.
RATE_LIMIT_WAIT = 1.05
SERVICES_NAME = Name("_services._dns-sd._udp.local")

Trigger = Callable[[], None]


def split_service(text: str) -> tuple[Name, Name]:
    """``"My Service._http._tcp.local"`` -> (instance name, service type name)."""
    name = Name(text)
    labels = name.labels
    if len(labels) < 4 or not labels[-3].startswith("_") or labels[-2] not in ("_tcp", "_udp"):
        raise UsageError("service", "an instance name like 'My Service._http._tcp.local'", text)
    return name, Name.from_labels(labels[1:])


def swapped_case(name: Name) -> Name:
    """``name`` with the case of every letter swapped: the same name to a
    responder that compares names as §16 requires (BCT changes case this way)."""
    return Name.from_labels(tuple(label.swapcase() for label in name.labels))


@dataclass(slots=True)
class Session:
    wire: Wire
    report: Report
    host_name: Name | None = None
    addresses: set[IPv4Address | IPv6Address] = field(default_factory=set)
    tester_addresses: set[IPv4Address | IPv6Address] = field(default_factory=set)
    tester_networks: list[IPv4Network | IPv6Network] = field(default_factory=list)
    service: Name | None = None
    service_type: Name | None = None
    configured_service: Name | None = None
    subtypes: tuple[str, ...] = ()
    # the target's records as last seen, by identity
    records: dict[tuple[Name, int, int, object], Record] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    # packets shown since the last record(): the evidence of the next result
    shown: list[Captured] = field(default_factory=list)

    # -- who is the target ---------------------------------------------------------------
    def own_names(self) -> set[Name]:
        names: set[Name] = set()
        if self.host_name is not None:
            names.add(self.host_name)
        if self.service is not None:
            names.add(self.service)
        return names

    def is_service_instance(self, name: Name) -> bool:
        """A name of an instance of the target's service type (any instance label)."""
        return self.service_type is not None and name.parent() == self.service_type

    def from_target(self, packet: Captured) -> bool:
        if packet.source in self.tester_addresses:
            return False
        if packet.source in self.addresses:
            return True
        message = packet.message
        if message is None:
            return False
        names = self.own_names()
        for record in message.records:
            if record.name in names or (
                record.rtype == RRType.SRV and self.is_service_instance(record.name)
            ):
                self.addresses.add(packet.source)
                return True
        for q in message.questions:
            if message.authorities and (q.name in names):
                self.addresses.add(packet.source)
                return True
        return False

    def target_packets(self, start: float, end: float | None = None) -> list[Captured]:
        return [p for p in self.wire.since(start, self.from_target) if end is None or p.time <= end]

    def learn(self, packets: Iterable[Captured]) -> None:
        """Remember the target's records (those of its names) from its responses."""
        for packet in packets:
            message = packet.message
            if message is None or not message.is_response or packet.legacy:
                continue
            for record in message.records:
                if record.ttl > 0:
                    self.records[record.key] = record

    def known(self, name: Name, rtype: int) -> list[Record]:
        return [r for r in self.records.values() if r.name == name and r.rtype == rtype]

    # -- sending -----------------------------------------------------------------------
    def query(
        self,
        questions: Sequence[Question],
        known: Sequence[Record] = (),
        *,
        family: int | None = None,
        flags: int = 0,
        id: int = 0,
        legacy: bool = False,
        to: IPv4Address | IPv6Address | None = None,
        ttl: int | None = None,
    ) -> float:
        """Send a query (to the group of ``family``, the run's by default)."""
        data = build_packet(questions, known, id=id, flags=flags)
        return self.wire.send(
            data, family=family or self.wire.family, legacy=legacy, to=to, ttl=ttl
        )

    def respond(self, answers: Sequence[Record], *, family: int | None = None) -> float:
        """Multicast a response as another responder would."""
        data = build_packet((), answers, flags=RESPONSE_FLAGS)
        return self.wire.send(data, family=family or self.wire.family)

    def probe(self, name: Name, records: Sequence[Record], *, family: int | None = None) -> float:
        """Multicast a probe for ``name`` proposing ``records`` (§8.1)."""
        question = Question(name, RRType.ANY, unicast_response=True)
        data = build_packet((question,), (), records)
        return self.wire.send(data, family=family or self.wire.family)

    # -- waiting -------------------------------------------------------------------------
    def answer_of(
        self, packet: Captured, name: Name, rtype: int, *, multicast: bool | None = True
    ) -> bool:
        """The target's response with ``name``/``rtype`` in its Answer section."""
        message = packet.message
        if message is None or not message.is_response or not self.from_target(packet):
            return False
        if multicast is not None and packet.multicast != multicast:
            return False
        return any(r.name == name and (rtype in (RRType.ANY, r.rtype)) for r in message.answers)

    def wait_answer(
        self,
        name: Name,
        rtype: int,
        start: float,
        timeout: float,
        *,
        multicast: bool | None = True,
        family: int | None = None,
    ) -> Captured | None:
        """The target's first answer from ``start`` on; ``family`` is the IP version
        the answer must come over (the query's, the run's by default: a dual-stack
        responder's copy over the other version may be answering something else)."""
        family = family or self.wire.family

        def match(p: Captured) -> bool:
            if family is not None and p.family != family:
                return False
            return self.answer_of(p, name, rtype, multicast=multicast)

        found = self.wire.wait_for(match, start, timeout)
        if found is not None:
            self.learn([found])
        return found

    def last_multicast(self, name: Name, rtype: int) -> float | None:
        """When the target last multicast ``name``/``rtype`` (any section), if ever."""
        latest: float | None = None
        for p in self.wire.since(self.started, self.from_target):
            if not p.multicast or p.message is None or not p.message.is_response:
                continue
            if any(r.name == name and r.rtype == rtype for r in p.message.records):
                latest = p.time
        return latest

    def wait_quiet(self, *keys: tuple[Name, int]) -> None:
        """Wait until none of ``keys`` was multicast in the last second (§6.2),
        so a query for them must be answered by multicast."""
        for name, rtype in keys:
            last = self.last_multicast(name, rtype)
            if last is not None:
                delay = last + RATE_LIMIT_WAIT - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    def settle(self, seconds: float) -> None:
        time.sleep(seconds)

    # -- records the tester plays with ------------------------------------------------------
    def srv(self) -> Record | None:
        if self.service is None:
            return None
        found = self.known(self.service, RRType.SRV)
        return found[0] if found else None

    def txt(self) -> Record | None:
        if self.service is None:
            return None
        found = self.known(self.service, RRType.TXT)
        return found[0] if found else None

    def ptr(self) -> Record | None:
        if self.service_type is None or self.service is None:
            return None
        for r in self.known(self.service_type, RRType.PTR):
            if isinstance(r.rdata, PTR) and r.rdata.target == self.service:
                return r
        return None

    def conflicting(self, name: Name, *, later: bool = True) -> list[Record]:
        """Records for ``name`` that differ from anything the target has: TXT and
        SRV whose rdata sort after (``later``) or before any real data (§8.2.1)."""
        if later:
            txt = TXT((b"\xff" * 255,))
            srv = SRV(65535, 65535, 65535, Name("zzzz-conformance-tester.local"))
        else:
            txt = TXT((b"",))
            srv = SRV(0, 0, 0, Name("a.local"))
        return [Record.of(name, txt, 4500), Record.of(name, srv, 120)]

    # -- reporting -----------------------------------------------------------------------
    def show(self, packets: Iterable[Captured], since: float, limit: int = 6) -> str:
        shown = list(packets)
        self.shown += shown[:limit]
        lines = [describe(p, since) for p in shown[:limit]]
        if len(shown) > limit:
            lines.append(f"  ... {len(shown) - limit} more packets")
        return "\n".join(lines)

    def record(self, id: str, outcome: Outcome, detail: str = "") -> None:
        """Record a result; the packets :meth:`show` gave since the last one are
        its evidence (times from the start of the run)."""
        shown, self.shown = self.shown, []
        evidence = [packet_json(p, self.started) for p in sorted(shown, key=lambda p: p.time)]
        self.report.record(id, outcome, detail, evidence)


def host_of(text: str) -> tuple[Name | None, IPv4Address | IPv6Address | None]:
    """``--target``: a host name (``device`` or ``device.local``) or an address."""
    if not text.strip(".").strip():
        raise UsageError("target", "a host name (device.local) or an address", text)
    try:
        return None, ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    name = Name(text)
    if len(name.labels) == 1:
        name = Name.from_labels((*name.labels, "local"))
    return name, None


def is_probe(packet: Captured) -> bool:
    """A probe (§8.1): a query proposing records in Authority, or, malformed,
    a query asking only type ANY with no Authority section (judged by P3;
    it still tells which names the sender is claiming)."""
    message = packet.message
    if message is None or message.is_response or not message.questions:
        return False
    if message.authorities:
        return True
    return not message.answers and all(q.qtype == RRType.ANY for q in message.questions)


def probed_names(packet: Captured) -> set[Name]:
    message = packet.message
    if message is None or not is_probe(packet):
        return set()
    return {q.name for q in message.questions}
