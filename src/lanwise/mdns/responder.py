"""The responder: probing, announcing, answering, defending, goodbyes (RFC 6762 §6–§10, §15).

Sans-IO like the rest of the engine: it is told about links, registrations
and received messages with the time, and it appends datagrams to
:attr:`Responder.outgoing`. Record state lives in :mod:`records_state`;
what to answer with in :mod:`answers`; tie-breaks and the conflict rate limit
in :mod:`probing`. This module decides *when* and *where* things are sent.

Scheduling in brief:

- Probes and announcements are driven per (registration, interface) entry
  (``StateEntry.next_at``); every entry due on an interface goes into one
  batch of packets, so a thousand services probe in three rounds (§8.1).
- Multicast answers wait in a per-channel queue (channel = interface index
  and IP version) keyed by record, with their send time (§6, §6.2, §6.4,
  §7.2); another responder's identical answer removes ours (§7.4).
- Unicast and legacy-unicast answers are sent at once (§5.4, §6.7).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
)
from typing import Final

from lanwise.dns import SRV, Flag, Message, Name, Question, Rdata, Record, RRClass, RRType
from lanwise.errors import UsageError
from lanwise.mdns.answers import (
    additionals_for,
    answer_question,
    known_answer_suppressed,
    legacy_copy,
)
from lanwise.mdns.constants import (
    AGGREGATION_MAX,
    ANNOUNCE_COUNT,
    ANNOUNCE_INTERVAL,
    DEFAULT_MTU,
    DUPLICATE_ANSWER_TTL_FRACTION,
    IPV4_HEADER,
    IPV6_HEADER,
    MAX_MESSAGE_SIZE,
    MDNS_PORT,
    MULTICAST_RATE_LIMIT,
    PROBE_COUNT,
    PROBE_DEFENCE_RATE_LIMIT,
    PROBE_INTERVAL,
    PROBE_WAIT_MAX,
    QU_MULTICAST_FRACTION,
    SHARED_DELAY_MAX,
    SHARED_DELAY_MIN,
    TIE_BREAK_DEFER,
    TRUNCATED_DELAY_MAX,
    TRUNCATED_DELAY_MIN,
    TTL_REPAIR_FRACTION,
    UDP_HEADER,
)
from lanwise.mdns.endpoints import MDNS_IPV4_ENDPOINT, MDNS_IPV6_ENDPOINT, Datagram, Endpoint
from lanwise.mdns.events import (
    Event,
    RegistrationConflict,
    RegistrationEstablished,
    RegistrationRemoved,
    RegistrationRenamed,
)
from lanwise.mdns.packets import Packer
from lanwise.mdns.probing import ConflictRateLimiter, compare_probe_records
from lanwise.mdns.records_state import (
    ANSWERING_STATES,
    RecordState,
    StateEntry,
    Trigger,
    transition,
)
from lanwise.mdns.registration import (
    Registration,
    RegistrationKind,
    ServiceRecords,
    host_records,
    next_host_label,
    next_instance_label,
    service_records,
)
from lanwise.mdns.statistics import EngineStatistics, InterfaceStatistics

__all__ = ["Channel", "Link", "Responder"]

_log = logging.getLogger("lanwise.mdns.responder")

Channel = tuple[int, int]  # (interface index, IP version): one multicast "wire"
RecordKey = tuple[Name, int, int, Rdata]  # Record.key: identity without TTL and cache-flush
IPAddress = IPv4Address | IPv6Address
InterfaceAddress = IPv4Interface | IPv6Interface

_EPSILON: Final = 1e-9  # float slack when comparing a deadline with now
_RESPONSE_FLAGS: Final = int(Flag.QR | Flag.AA)  # §18: QR and AA set, opcode and rcode 0
_IPV4_LINK_LOCAL: Final = IPv4Network("169.254.0.0/16")
_ANY: Final = int(RRType.ANY)


@dataclass(slots=True)
class Link:
    """What the responder knows about one interface: its addresses and MTU."""

    index: int
    addresses: tuple[InterfaceAddress, ...]
    mtu: int = DEFAULT_MTU

    @property
    def versions(self) -> tuple[int, ...]:
        """IP versions with an address here: the multicast groups we speak on."""
        return tuple(v for v in (4, 6) if any(a.version == v for a in self.addresses))

    def payload_limit(self, version: int) -> int:
        """§17: the largest mDNS message that fits this interface's MTU."""
        header = IPV4_HEADER if version == 4 else IPV6_HEADER
        return max(512, min(MAX_MESSAGE_SIZE, self.mtu - header - UDP_HEADER))

    def on_link(self, address: IPAddress) -> bool:
        """§11: is ``address`` on this link (link-local, or inside one of our prefixes)?"""
        if address.is_link_local:
            return True
        if isinstance(address, IPv4Address) and address in _IPV4_LINK_LOCAL:
            return True
        return any(a.version == address.version and address in a.network for a in self.addresses)

    def owns(self, address: IPAddress) -> bool:
        """Is ``address`` one of ours on this link (a looped-back packet of our own)?"""
        # Compare as integers: an IPv6 link-local source may carry a scope id.
        return any(
            a.version == address.version and int(a.ip) == int(address) for a in self.addresses
        )


class _RecordSet:
    """The records one registration publishes on one interface."""

    __slots__ = ("all", "by_name", "probe", "probed", "shared", "unique")

    def __init__(
        self,
        probed: Sequence[Record],
        other_unique: Sequence[Record],
        shared: Sequence[Record],
    ) -> None:
        self.probed = tuple(probed)  # unique records at the registration's name (§8.1)
        self.unique = self.probed + tuple(other_unique)
        self.shared = tuple(shared)
        self.all = self.unique + self.shared
        # §8.1: proposed records go in the Authority Section with the cache-flush bit clear.
        self.probe = tuple(
            Record(r.name, r.rtype, r.rclass, r.ttl, r.rdata, False) for r in self.probed
        )
        self.by_name: dict[Name, list[Record]] = {}
        for record in self.all:
            self.by_name.setdefault(record.name, []).append(record)


@dataclass(slots=True)
class _Pending:
    """A record waiting to be multicast on one channel, with its additional records."""

    record: Record
    send_at: float
    additionals: list[Record] = field(default_factory=list)
    probe_defence: bool = False


@dataclass(slots=True)
class _Deferred:
    """§7.2: a query with the TC bit, waiting 400–500 ms for the rest of its known answers."""

    due: float
    questions: list[Question]
    known: dict[RecordKey, int]
    unicast: bool


class _View:
    """The records answerable on one interface (RecordView for the answers module)."""

    __slots__ = ("_index", "_responder")

    def __init__(self, responder: Responder, index: int) -> None:
        self._responder = responder
        self._index = index

    def at(self, name: Name) -> list[Record]:
        owners = self._responder._owners.get(name)
        if not owners:
            return []
        out: list[Record] = []
        for registration in owners:
            entry = registration._entries.get(self._index)
            if entry is None or entry.state not in ANSWERING_STATES:
                continue
            records = self._responder._record_set(registration, self._index)
            if records is not None:
                out.extend(records.by_name.get(name, ()))
        return out

    def owns_uniquely(self, name: Name) -> bool:
        return any(r.cache_flush for r in self.at(name))


class Responder:
    """The responder half of the engine. Driven by :class:`lanwise.mdns.engine.Engine`."""

    def __init__(
        self,
        host_name: Name,
        rng: random.Random,
        emit: Callable[[Event], None],
        statistics: EngineStatistics,
    ) -> None:
        self._rng = rng
        self._emit = emit
        self._stats = statistics
        self.host = Registration(RegistrationKind.HOST, host_name)
        self._services: dict[Registration, _RecordSet] = {}
        self._host_sets: dict[int, _RecordSet] = {}
        self._links: dict[int, Link] = {}
        self._owners: dict[Name, dict[Registration, None]] = {}
        self._probed_names: dict[Name, Registration] = {}
        self._keys: dict[Registration, frozenset[RecordKey]] = {}
        self._names_of: dict[Registration, set[Name]] = {}
        self._pending: dict[Channel, dict[RecordKey, _Pending]] = {}
        self._deferred: dict[tuple[int, int, Endpoint], _Deferred] = {}
        self._last_multicast: dict[Channel, dict[RecordKey, float]] = {}
        self._probe_round: dict[int, float] = {}
        self._scheduled: dict[StateEntry, None] = {}  # entries with a probe/announce deadline
        self._conflicts = ConflictRateLimiter()
        self.outgoing: list[Datagram] = []
        self._index_registration(self.host)

    # ------------------------------------------------------------------ links
    def add_link(self, link: Link, now: float) -> None:
        """§13: a new interface: probe and announce everything there."""
        self._links[link.index] = link
        self._host_sets[link.index] = self._build_host_set(link)
        self._reindex(self.host)
        if link.addresses:
            for registration in self._registrations():
                self._start_entry(registration, link.index, now)

    def update_link(self, link: Link, now: float) -> None:
        """§8.4: addresses changed: goodbye for the removed ones, announce the new set."""
        old_link = self._links.get(link.index)
        if old_link is None:
            self.add_link(link, now)
            return
        old_set = self._host_sets.get(link.index)
        self._links[link.index] = link
        new_set = self._build_host_set(link)
        self._host_sets[link.index] = new_set
        self._reindex(self.host)
        if not link.addresses:
            for registration in self._registrations():
                registration._entries.pop(link.index, None)
            self._forget_channels(link.index)
            return
        host_entry = self.host._entries.get(link.index)
        if host_entry is not None and old_set is not None:
            new_keys = {r.key for r in new_set.all}
            removed = [r for r in old_set.all if r.key not in new_keys]
            if removed and host_entry.published:
                self._send_goodbyes(link, removed, now, via=old_link)
            if {r.key for r in old_set.all} != new_keys:
                self._rdata_changed(host_entry, now)
        for registration in self._registrations():
            if link.index not in registration._entries:
                self._start_entry(registration, link.index, now)

    def remove_link(self, index: int, now: float) -> None:
        """The interface is gone: forget it (no goodbyes can be sent there)."""
        self._links.pop(index, None)
        self._host_sets.pop(index, None)
        for registration in self._registrations():
            registration._entries.pop(index, None)
        self._reindex(self.host)
        self._forget_channels(index)
        self._probe_round.pop(index, None)

    def _forget_channels(self, index: int) -> None:
        for version in (4, 6):
            self._pending.pop((index, version), None)
            self._last_multicast.pop((index, version), None)
        for key in [k for k in self._deferred if k[0] == index]:
            del self._deferred[key]

    # ---------------------------------------------------------- registrations
    def register(self, service: ServiceRecords, now: float) -> Registration:
        registration = Registration(RegistrationKind.SERVICE, service.instance_name, service)
        self._services[registration] = self._build_service_set(service)
        self._index_registration(registration)
        for link in self._links.values():
            if link.addresses:
                self._start_entry(registration, link.index, now)
        self._stats.registrations = len(self._services)
        return registration

    def update(
        self,
        registration: Registration,
        now: float,
        *,
        txt: Sequence[bytes] | None = None,
        port: int | None = None,
    ) -> None:
        """§8.4: new TXT or port: re-announce (no probe needed for a change of rdata)."""
        service = self._service_of(registration)
        new_service = replace(
            service,
            txt=service.txt if txt is None else tuple(txt),
            port=service.port if port is None else port,
        )  # __post_init__ validates
        self._set_service(registration, new_service)
        for entry in registration._entries.values():
            self._rdata_changed(entry, now)

    def rename(self, registration: Registration, instance: str, now: float) -> None:
        """BCT II.16, §8.4, §10.1: goodbye for the old name, then probe and announce the new one."""
        service = self._service_of(registration)
        self._goodbye_registration(registration, now, shared_only=False)
        self._rename_to(registration, service.with_instance(instance), now, after_conflict=False)

    def unregister(self, registration: Registration, now: float) -> None:
        """§10.1: goodbyes (TTL 0) for every record of the registration that was announced."""
        if registration not in self._services or not registration.active:
            return
        self._goodbye_registration(registration, now, shared_only=False)
        for entry in registration._entries.values():
            transition(entry, Trigger.WITHDRAW, now)
        registration.active = False
        self._unindex_registration(registration)
        del self._services[registration]
        self._drop_pending_of(registration)
        self._stats.registrations = len(self._services)
        self._emit(RegistrationRemoved(registration))

    def close(self, now: float) -> None:
        """§10.1: goodbyes for everything, host records included, one batch per interface."""
        for link in self._links.values():
            records: list[Record] = []
            seen: set[RecordKey] = set()
            for registration in self._registrations():
                entry = registration._entries.get(link.index)
                record_set = self._record_set(registration, link.index)
                if entry is None or record_set is None:
                    continue
                if entry.published:
                    entry.published = False
                    for record in record_set.all:
                        if record.key not in seen:
                            seen.add(record.key)
                            records.append(record)
                transition(entry, Trigger.WITHDRAW, now)
            if records:
                self._send_goodbyes(link, records, now)
        for registration in self._registrations():
            registration.active = False
        self._pending.clear()
        self._deferred.clear()

    def _registrations(self) -> list[Registration]:
        return [self.host, *self._services]

    def _service_of(self, registration: Registration) -> ServiceRecords:
        service = registration.service
        if service is None or registration not in self._services or not registration.active:
            raise UsageError("registration", "an active service registration of this engine")
        return service

    def _set_service(self, registration: Registration, service: ServiceRecords) -> None:
        self._unindex_registration(registration)
        registration._service = service
        registration._name = service.instance_name
        self._services[registration] = self._build_service_set(service)
        self._index_registration(registration)

    # ----------------------------------------------------------- record sets
    def _build_host_set(self, link: Link) -> _RecordSet:
        forward, reverse = host_records(self.host.name, link.addresses)
        return _RecordSet(forward, reverse, ())

    def _build_service_set(self, service: ServiceRecords) -> _RecordSet:
        unique, shared = service_records(service, self.host.name)
        return _RecordSet(unique, (), shared)

    def _record_set(self, registration: Registration, index: int) -> _RecordSet | None:
        if registration is self.host:
            return self._host_sets.get(index)
        return self._services.get(registration)

    def _all_sets(self, registration: Registration) -> Iterable[_RecordSet]:
        if registration is self.host:
            return self._host_sets.values()
        record_set = self._services.get(registration)
        return () if record_set is None else (record_set,)

    def _index_registration(self, registration: Registration) -> None:
        keys: set[RecordKey] = set()
        names: set[Name] = set()
        for record_set in self._all_sets(registration):
            for record in record_set.all:
                names.add(record.name)
                keys.add(record.key)
        for name in names:
            self._owners.setdefault(name, {})[registration] = None
        self._names_of[registration] = names
        self._keys[registration] = frozenset(keys)
        self._probed_names[registration.name] = registration

    def _unindex_registration(self, registration: Registration) -> None:
        for name in self._names_of.pop(registration, ()):
            owners = self._owners.get(name)
            if owners is not None:
                owners.pop(registration, None)
                if not owners:
                    del self._owners[name]
        self._keys.pop(registration, None)
        if self._probed_names.get(registration.name) is registration:
            del self._probed_names[registration.name]

    def _reindex(self, registration: Registration) -> None:
        self._unindex_registration(registration)
        self._index_registration(registration)

    # ------------------------------------------------------- probe schedule
    def _probe_start(self, index: int, now: float, *, after_conflict: bool) -> float:
        """§8.1: when a new probe sequence on ``index`` starts.

        Sequences started at the same moment share one random 0–250 ms wait, so
        their probes travel together; after 15 conflicts in 10 s, wait 5 s.
        """
        if after_conflict:
            limited = self._conflicts.earliest_probe(now)
            if limited is not None:
                return limited
        start = self._probe_round.get(index)
        if start is None or start <= now:
            start = now + self._rng.uniform(0.0, PROBE_WAIT_MAX)
            self._probe_round[index] = start
        return start

    def _start_entry(self, registration: Registration, index: int, now: float) -> None:
        old = registration._entries.get(index)
        if old is not None:
            old.next_at = None
        entry = StateEntry(registration, index, self._scheduled)
        registration._entries[index] = entry
        entry.next_at = self._probe_start(index, now, after_conflict=False)

    def _restart_probing(self, entry: StateEntry, now: float, *, after_conflict: bool) -> None:
        entry.probes_sent = 0
        entry.announcements_sent = 0
        entry.next_at = self._probe_start(entry.interface, now, after_conflict=after_conflict)

    def _rdata_changed(self, entry: StateEntry, now: float) -> None:
        """§8.4: announce again (twice) from now; while probing, the next probe carries it."""
        transition(entry, Trigger.RDATA_CHANGED, now)
        if entry.state is RecordState.ANNOUNCING:
            entry.announcements_sent = 0
            entry.next_at = now

    # ---------------------------------------------------------------- timers
    def get_timer(self) -> float | None:
        deadlines = [entry.next_at for entry in self._scheduled if entry.next_at is not None]
        deadlines.extend(p.send_at for items in self._pending.values() for p in items.values())
        deadlines.extend(d.due for d in self._deferred.values())
        return min(deadlines) if deadlines else None

    def service(self, now: float) -> None:
        """Send whatever is due at ``now``: deferred answers, probes, announcements, answers."""
        self._run_deferred(now)
        self._run_entries(now)
        self._flush_pending(now)

    def _run_entries(self, now: float) -> None:
        probing: dict[int, list[StateEntry]] = {}
        announcing: dict[int, list[StateEntry]] = {}
        for entry in list(self._scheduled):
            registration = entry.registration
            if registration._entries.get(entry.interface) is not entry or not registration.active:
                entry.next_at = None  # withdrawn, or its interface went away
                continue
            if entry.next_at is None or entry.next_at > now + _EPSILON:
                continue
            if entry.state is RecordState.PROBING:
                if entry.probes_sent >= PROBE_COUNT:
                    # §8.1: three probes and 250 ms of silence: the name is ours.
                    transition(entry, Trigger.PROBES_DONE, now)
                    entry.announcements_sent = 0
                    self._emit(
                        RegistrationEstablished(registration, entry.interface, registration.name)
                    )
                    announcing.setdefault(entry.interface, []).append(entry)
                else:
                    probing.setdefault(entry.interface, []).append(entry)
            elif entry.state is RecordState.ANNOUNCING:
                announcing.setdefault(entry.interface, []).append(entry)
            else:
                entry.next_at = None
        for index, entries in probing.items():
            link = self._links.get(index)
            if link is not None:
                self._send_probes(link, entries, now)
        for index, entries in announcing.items():
            link = self._links.get(index)
            if link is not None:
                self._send_announcements(link, entries, now)

    def _send_probes(self, link: Link, entries: list[StateEntry], now: float) -> None:
        """§8.1: one batch: a QU "ANY" question per name, proposed records in Authority."""
        groups: list[tuple[Question, tuple[Record, ...]]] = []
        for entry in entries:
            record_set = self._record_set(entry.registration, link.index)
            entry.probes_sent += 1
            entry.next_at = now + PROBE_INTERVAL
            if record_set is None or not record_set.probe:
                continue
            question = Question(entry.registration.name, _ANY, RRClass.IN, unicast_response=True)
            groups.append((question, record_set.probe))
        for version in link.versions:
            packer = Packer(link.payload_limit(version))
            for question, records in groups:
                if not packer.add(questions=(question,), authorities=records):
                    self._send(link, version, packer.build(), now)
                    packer = Packer(link.payload_limit(version))
                    packer.add(questions=(question,), authorities=records)
            if not packer.empty:
                self._send(link, version, packer.build(), now)

    def _send_announcements(self, link: Link, entries: list[StateEntry], now: float) -> None:
        """§8.3: unsolicited responses with every record of each name, twice, 1 s apart."""
        groups: list[tuple[tuple[Record, ...], list[Record]]] = []
        host_set = self._host_sets.get(link.index)
        host_entry = self.host._entries.get(link.index)
        host_ready = host_entry is not None and host_entry.state in ANSWERING_STATES
        for entry in entries:
            record_set = self._record_set(entry.registration, link.index)
            entry.announcements_sent += 1
            entry.published = True
            if entry.announcements_sent >= ANNOUNCE_COUNT:
                transition(entry, Trigger.ANNOUNCEMENTS_DONE, now)
                entry.next_at = None
            else:
                # §8.3: the interval may double; with two announcements it is 1 s.
                entry.next_at = now + ANNOUNCE_INTERVAL * 2 ** (entry.announcements_sent - 1)
            if record_set is None or not record_set.all:
                continue
            extra: list[Record] = []
            if entry.registration is not self.host and host_ready and host_set is not None:
                extra = [r for r in host_set.probed if self._is_srv_target(record_set, r.name)]
            groups.append((record_set.all, extra))
        for version in link.versions:
            sent: list[Record] = []
            packer = Packer(link.payload_limit(version), flags=_RESPONSE_FLAGS)
            for records, extra in groups:
                if not packer.add(answers=records, additionals=extra):
                    self._send(link, version, packer.build(), now)
                    packer = Packer(link.payload_limit(version), flags=_RESPONSE_FLAGS)
                    packer.add(answers=records, additionals=extra)
                sent.extend(records)
            if not packer.empty:
                self._send(link, version, packer.build(), now)
            self._mark_multicast((link.index, version), sent, now)

    @staticmethod
    def _is_srv_target(record_set: _RecordSet, host: Name) -> bool:
        return any(isinstance(r.rdata, SRV) and r.rdata.target == host for r in record_set.unique)

    # -------------------------------------------------------------- goodbyes
    def _goodbye_registration(
        self, registration: Registration, now: float, *, shared_only: bool
    ) -> None:
        for index, entry in registration._entries.items():
            link = self._links.get(index)
            record_set = self._record_set(registration, index)
            if link is None or record_set is None or not entry.published:
                continue
            entry.published = False
            records = record_set.shared if shared_only else record_set.all
            # A shared record another registration still publishes (the _services PTR of
            # a type with other instances) must not be said goodbye to.
            records = tuple(
                r
                for r in records
                if r.cache_flush or not self._published_by_other(registration, r, index)
            )
            if records:
                self._send_goodbyes(link, records, now)

    def _published_by_other(self, registration: Registration, record: Record, index: int) -> bool:
        for other in self._owners.get(record.name, ()):
            if other is registration:
                continue
            entry = other._entries.get(index)
            other_set = self._record_set(other, index)
            if entry is None or other_set is None or entry.state not in ANSWERING_STATES:
                continue
            if any(r.key == record.key for r in other_set.by_name.get(record.name, ())):
                return True
        return False

    def _send_goodbyes(
        self, link: Link, records: Sequence[Record], now: float, *, via: Link | None = None
    ) -> None:
        """§10.1: the records again with TTL 0 (cache-flush clear: remove just these)."""
        goodbyes = [Record(r.name, r.rtype, r.rclass, 0, r.rdata, False) for r in records]
        sender = via or link
        versions = tuple(dict.fromkeys((*sender.versions, *link.versions)))
        for version in versions:
            packer = Packer(link.payload_limit(version), flags=_RESPONSE_FLAGS)
            for record in goodbyes:
                if not packer.add(answers=(record,)):
                    self._send(link, version, packer.build(), now)
                    packer = Packer(link.payload_limit(version), flags=_RESPONSE_FLAGS)
                    packer.add(answers=(record,))
            if not packer.empty:
                self._send(link, version, packer.build(), now)
            pending = self._pending.get((link.index, version))
            if pending:
                for record in records:
                    pending.pop(record.key, None)

    def _drop_pending_of(self, registration: Registration) -> None:
        keys = self._keys_of(registration)
        for items in self._pending.values():
            for key in [k for k in items if k in keys]:
                del items[key]

    def _keys_of(self, registration: Registration) -> frozenset[RecordKey]:
        keys = self._keys.get(registration)
        if keys is None:
            keys = frozenset(r.key for s in self._all_sets(registration) for r in s.all)
        return keys

    # ------------------------------------------------------------- conflicts
    def _rename_to(
        self,
        registration: Registration,
        service: ServiceRecords | None,
        now: float,
        *,
        after_conflict: bool,
    ) -> None:
        old_name = registration.name
        if registration is self.host:
            self._unindex_registration(self.host)
            self.host._name = Name.from_labels(
                (next_host_label(old_name.labels[0]), *old_name.labels[1:])
            )
            for index, link in self._links.items():
                self._host_sets[index] = self._build_host_set(link)
            self._index_registration(self.host)
        elif service is not None:
            self._set_service(registration, service)
        for entry in registration._entries.values():
            transition(entry, Trigger.RENAMED, now)
            self._restart_probing(entry, now, after_conflict=after_conflict)
        self._stats.renames += 1
        _log.info("renamed %s to %s", old_name, registration.name)
        self._emit(RegistrationRenamed(registration, old_name, registration.name))
        if registration is self.host:
            # The services' SRV records follow the host name: new rdata, announce again (§8.4).
            for other, _record_set in list(self._services.items()):
                service_now = other.service
                if service_now is not None and service_now.host is None:
                    self._set_service(other, service_now)
                    for entry in other._entries.values():
                        self._rdata_changed(entry, now)

    def _lose_name(self, registration: Registration, index: int, now: float) -> None:
        """§8.1, §9: someone else holds the name: pick the next one and probe it everywhere."""
        self._conflicts.record(now)
        self._stats.conflicts += 1
        self._emit(RegistrationConflict(registration, index, registration.name, "probe-answered"))
        # §10.1: the old name's shared PTRs would otherwise linger in caches for 75 minutes.
        self._goodbye_registration(registration, now, shared_only=True)
        if registration is self.host:
            self._rename_to(registration, None, now, after_conflict=True)
        else:
            service = self._service_of(registration)
            new_service = service.with_instance(next_instance_label(service.instance))
            self._rename_to(registration, new_service, now, after_conflict=True)

    def _lose_tie_break(self, entry: StateEntry, now: float) -> None:
        """§8.2: the other prober's data is later: defer 1 s, then probe again from the start."""
        self._conflicts.record(now)
        self._stats.conflicts += 1
        registration = entry.registration
        self._emit(
            RegistrationConflict(registration, entry.interface, registration.name, "tie-break-lost")
        )
        transition(entry, Trigger.TIE_BREAK_LOST, now)
        entry.probes_sent = 0
        limited = self._conflicts.earliest_probe(now)
        entry.next_at = max(now + TIE_BREAK_DEFER, limited or 0.0)

    def _conflict_after_announce(self, entry: StateEntry, now: float) -> None:
        """§9: a conflicting record for an established name: probe again (rename if it holds)."""
        self._conflicts.record(now)
        self._stats.conflicts += 1
        registration = entry.registration
        self._emit(
            RegistrationConflict(
                registration, entry.interface, registration.name, "announced-conflict"
            )
        )
        transition(entry, Trigger.CONFLICT, now)
        self._restart_probing(entry, now, after_conflict=True)

    # ------------------------------------------------------------- receiving
    def handle_response(self, message: Message, link: Link, version: int, now: float) -> None:
        """A response from the link: conflicts (§8.1, §9), §7.4 suppression, §6.6 TTL repair."""
        channel = (link.index, version)
        pending = self._pending.get(channel)
        handled: set[Registration] = set()
        repair: list[Record] = []
        for record in message.records:
            key = record.key
            if pending:
                ours = pending.get(key)
                # §7.4: someone else just multicast our answer with a TTL not less than ours.
                if (
                    ours is not None
                    and not ours.probe_defence
                    and record.ttl >= ours.record.ttl * DUPLICATE_ANSWER_TTL_FRACTION
                ):
                    del pending[key]
                    self._mark_multicast(channel, (ours.record,), now)
            registration = self._probed_names.get(record.name)
            if (
                registration is not None
                and registration not in handled
                and self._check_conflict(registration, record, link, now)
            ):
                handled.add(registration)
                continue
            if record.ttl < self._our_ttl(link.index, record) * TTL_REPAIR_FRACTION:
                repair.append(record)
        if repair:
            self._repair_ttls(link, version, repair, now)

    def _our_ttl(self, index: int, record: Record) -> float:
        """Our TTL for an identical unique record answerable on ``index``, else 0."""
        for owned in _View(self, index).at(record.name):
            if owned.key == record.key and owned.cache_flush:
                return owned.ttl
        return 0.0

    def _repair_ttls(self, link: Link, version: int, records: list[Record], now: float) -> None:
        """§6.6: a copy of our unique record with under half our TTL: multicast the truth."""
        view = _View(self, link.index)
        for record in records:
            for owned in view.at(record.name):
                if owned.key == record.key:
                    self._schedule((link.index, version), owned, [], now, now, probe=False)

    def _check_conflict(
        self, registration: Registration, record: Record, link: Link, now: float
    ) -> bool:
        """§8.1, §9: does ``record`` (from a response) conflict with our unique name?"""
        entry = registration._entries.get(link.index)
        if entry is None or entry.state is RecordState.WITHDRAWN or not registration.active:
            return False
        if record.ttl == 0 or record.rclass != RRClass.IN:
            return False  # a goodbye claims nothing
        if record.key in self._keys_of(registration):
            return False  # identical rdata is never a conflict (§9): ours, or a cooperating host
        if entry.state is RecordState.PROBING:
            if entry.probes_sent == 0:
                return False  # §8.1: answers before our first probe are not about our probe
            _log.info("probe conflict for %s on %d: %s", registration.name, link.index, record)
            self._lose_name(registration, link.index, now)
            return True
        record_set = self._record_set(registration, link.index)
        if record_set is None:
            return False
        if any(r.rtype == record.rtype and r.name == record.name for r in record_set.probed):
            _log.info("conflict for %s on %d: %s", registration.name, link.index, record)
            self._conflict_after_announce(entry, now)
            return True
        return False

    def handle_query(
        self,
        message: Message,
        source: Endpoint,
        link: Link,
        version: int,
        now: float,
        *,
        unicast: bool,
    ) -> None:
        """A query from the link: tie-breaks (§8.2), then answers (§6, §7)."""
        if source.port != MDNS_PORT:
            self._answer_legacy(message, source, link, version)
            return
        if message.authorities:
            self._tie_break(message, link, now)
        known = {r.key: r.ttl for r in message.answers}
        deferred_key = (link.index, version, source)
        deferred = self._deferred.get(deferred_key)
        if message.is_truncated:
            # §7.2: more known answers follow; hold the questions 400–500 ms.
            if deferred is None:
                delay = self._rng.uniform(TRUNCATED_DELAY_MIN, TRUNCATED_DELAY_MAX)
                deferred = _Deferred(now + delay, [], {}, unicast)
                self._deferred[deferred_key] = deferred
            deferred.questions.extend(message.questions)
            deferred.known.update(known)
            deferred.unicast = deferred.unicast or unicast
            return
        if deferred is not None:
            deferred.known.update(known)  # the last packet of the known-answer list
            deferred.questions.extend(message.questions)
            return
        if message.questions:
            self._answer(
                link,
                version,
                source,
                message.questions,
                known,
                now,
                unicast=unicast,
                probe=bool(message.authorities),
            )

    def _run_deferred(self, now: float) -> None:
        for key, deferred in list(self._deferred.items()):
            if deferred.due > now + _EPSILON:
                continue
            del self._deferred[key]
            index, version, source = key
            link = self._links.get(index)
            if link is not None and deferred.questions:
                self._answer(
                    link,
                    version,
                    source,
                    deferred.questions,
                    deferred.known,
                    now,
                    unicast=deferred.unicast,
                    probe=False,
                    delayed=True,
                )

    def _tie_break(self, message: Message, link: Link, now: float) -> None:
        """§8.2: another host probes a name we are probing: the lexicographically later wins."""
        proposed: dict[Name, list[Record]] = {}
        for record in message.authorities:
            proposed.setdefault(record.name, []).append(record)
        for name, theirs in proposed.items():
            registration = self._probed_names.get(name)
            if registration is None:
                continue
            entry = registration._entries.get(link.index)
            if entry is None or entry.state is not RecordState.PROBING:
                continue
            keys = self._keys_of(registration)
            if all(r.key in keys for r in theirs):
                continue  # our own probe, looped back or from our other interface (§15)
            record_set = self._record_set(registration, link.index)
            if record_set is None:
                continue
            if compare_probe_records(record_set.probed, theirs) < 0:
                _log.info("tie-break lost for %s on %d", name, link.index)
                self._lose_tie_break(entry, now)

    def _answer(  # noqa: PLR0917
        self,
        link: Link,
        version: int,
        source: Endpoint,
        questions: Sequence[Question],
        known: dict[RecordKey, int],
        now: float,
        *,
        unicast: bool,
        probe: bool,
        delayed: bool = False,
    ) -> None:
        """§6: answer each question, each with its own suppression rules (§7.1, §5.4)."""
        view = _View(self, link.index)
        channel = (link.index, version)
        multicast: list[tuple[Record, list[Record]]] = []
        direct: list[tuple[Record, list[Record]]] = []
        for question in questions:
            answers = [
                a for a in answer_question(question, view) if not known_answer_suppressed(a, known)
            ]
            if not answers:
                continue
            extra = [
                r for r in additionals_for(answers, view) if not known_answer_suppressed(r, known)
            ]
            for answer in answers:
                if unicast or (
                    question.unicast_response and self._recently_multicast(channel, answer, now)
                ):
                    direct.append((answer, extra))  # §5.4, §5.5
                else:
                    multicast.append((answer, extra))
        if direct:
            self._send_unicast(link, version, source, direct, now)
        if not multicast:
            return
        if delayed or all(answer.cache_flush for answer, _ in multicast):
            send_at = now  # §6: unique answers go at once (and a TC wait has been served)
        else:
            send_at = self._shared_send_time(channel, now)  # §6: 20–120 ms, §6.4 aggregation
        for answer, extra in multicast:
            self._schedule(channel, answer, extra, send_at, now, probe=probe)

    def _shared_send_time(self, channel: Channel, now: float) -> float:
        pending = self._pending.get(channel)
        if pending:
            # §6.4: join answers already waiting (within 500 ms) so they leave as one packet.
            waiting = [p.send_at for p in pending.values() if p.send_at >= now]
            if waiting and min(waiting) <= now + AGGREGATION_MAX:
                return min(waiting)
        return now + self._rng.uniform(SHARED_DELAY_MIN, SHARED_DELAY_MAX)

    def _schedule(
        self,
        channel: Channel,
        record: Record,
        extra: list[Record],
        send_at: float,
        now: float,
        *,
        probe: bool,
    ) -> None:
        # §6.2: at most once per second per interface; 250 ms when defending against a probe.
        last = self._last_multicast.get(channel, {}).get(record.key)
        if last is not None:
            gap = PROBE_DEFENCE_RATE_LIMIT if probe else MULTICAST_RATE_LIMIT
            send_at = max(send_at, last + gap)
        pending = self._pending.setdefault(channel, {})
        item = pending.get(record.key)
        if item is None:
            pending[record.key] = _Pending(record, send_at, list(extra), probe)
            return
        item.send_at = min(item.send_at, send_at)
        item.probe_defence = item.probe_defence or probe
        have = {r.key for r in item.additionals}
        item.additionals.extend(r for r in extra if r.key not in have)

    def _recently_multicast(self, channel: Channel, record: Record, now: float) -> bool:
        """§5.4: multicast on this channel within the last quarter of the record's TTL?"""
        last = self._last_multicast.get(channel, {}).get(record.key)
        return last is not None and now - last < record.ttl * QU_MULTICAST_FRACTION

    def _mark_multicast(self, channel: Channel, records: Iterable[Record], now: float) -> None:
        table = self._last_multicast.setdefault(channel, {})
        for record in records:
            table[record.key] = now

    def _flush_pending(self, now: float) -> None:
        for channel, pending in self._pending.items():
            due = [p for p in pending.values() if p.send_at <= now + _EPSILON]
            if not due:
                continue
            link = self._links.get(channel[0])
            for item in due:
                del pending[item.record.key]
            if link is None:
                continue
            version = channel[1]
            packer = Packer(link.payload_limit(version), flags=_RESPONSE_FLAGS)
            for item in due:
                if not packer.add(answers=(item.record,), additionals=item.additionals):
                    self._send(link, version, packer.build(), now)
                    packer = Packer(link.payload_limit(version), flags=_RESPONSE_FLAGS)
                    packer.add(answers=(item.record,), additionals=item.additionals)
            if not packer.empty:
                self._send(link, version, packer.build(), now)
            self._mark_multicast(channel, (item.record for item in due), now)

    def _send_unicast(
        self,
        link: Link,
        version: int,
        source: Endpoint,
        groups: list[tuple[Record, list[Record]]],
        now: float,
    ) -> None:
        """§5.4, §6: a unicast response to a QU question (or a direct unicast query)."""
        limit = link.payload_limit(source.address.version)
        packer = Packer(limit, flags=_RESPONSE_FLAGS)
        for answer, extra in groups:
            if not packer.add(answers=(answer,), additionals=extra):
                self._send(link, version, packer.build(), now, destination=source)
                packer = Packer(limit, flags=_RESPONSE_FLAGS)
                packer.add(answers=(answer,), additionals=extra)
        if not packer.empty:
            self._send(link, version, packer.build(), now, destination=source)

    def _answer_legacy(self, message: Message, source: Endpoint, link: Link, version: int) -> None:
        """§6.7: a resolver not on port 5353: one unicast reply, its ID, its questions echoed,
        TTL at most 10 s, no cache-flush bits."""
        if not message.questions or message.is_response:
            return
        view = _View(self, link.index)
        answers: list[Record] = []
        for question in message.questions:
            answers.extend(answer_question(question, view))
        if not answers:
            return
        extra = additionals_for(answers, view)
        packer = Packer(
            link.payload_limit(source.address.version),
            id=message.id,
            flags=_RESPONSE_FLAGS | (message.flags & Flag.RD),
        )
        packer.add(questions=message.questions)
        truncated = False
        for answer in answers:
            if not packer.add(answers=(legacy_copy(answer),)):
                truncated = True
                break
        if not truncated:
            for record in extra:
                packer.add(additionals=(legacy_copy(record),))
        if truncated:
            packer.flags |= Flag.TC
        self._send(link, version, packer.build(), 0.0, destination=source)

    # ---------------------------------------------------------------- output
    def _send(
        self,
        link: Link,
        version: int,
        data: bytes,
        now: float,
        *,
        destination: Endpoint | None = None,
    ) -> None:
        if destination is None:
            destination = MDNS_IPV4_ENDPOINT if version == 4 else MDNS_IPV6_ENDPOINT
        self.outgoing.append(Datagram(data, destination, link.index))
        stats = self._stats.interfaces.setdefault(link.index, InterfaceStatistics())
        stats.packets_sent += 1
        stats.bytes_sent += len(data)
