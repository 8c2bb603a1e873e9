"""The responder: probing, announcing, answering, defending, goodbyes (RFC 6762 §6–§10, §15).

Sans-IO like the rest of the engine: it is told about links, registrations
and received messages with the time, and it puts datagrams in the engine's
:class:`~lanwise.mdns.outbox.Outbox`. It owns the life cycle of what is
published: the probe and announcement schedule, conflicts and renames,
goodbyes. What is published (record sets and their indexes) lives in
:mod:`published`; record state in :mod:`records_state`; the tie-break and the
conflict rate limit in :mod:`probing`; answering queries (what, when, where) in
:mod:`answering`.

Probes and announcements are driven per (registration, interface) entry
(``StateEntry.next_at``); every entry due on an interface goes into one batch
of packets, so a thousand services probe in three rounds (§8.1).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from lanwise.dns import Message, Name, Question, Record, RRClass
from lanwise.errors import UsageError
from lanwise.mdns.answering import AnswerQueue, RecordKey
from lanwise.mdns.constants import (
    ANY_TYPE,
    EPSILON,
    MDNS_PORT,
    PROBE_INTERVAL,
    PROBE_WAIT_MAX,
    TIE_BREAK_DEFER,
    TTL_REPAIR_FRACTION,
)
from lanwise.mdns.endpoints import EngineEndpoint
from lanwise.mdns.events import (
    Event,
    RegistrationConflict,
    RegistrationEstablished,
    RegistrationFailed,
    RegistrationRemoved,
    RegistrationRenamed,
)
from lanwise.mdns.links import Channel, Link
from lanwise.mdns.outbox import Group, Outbox
from lanwise.mdns.probing import ConflictRateLimiter, compare_probe_records
from lanwise.mdns.published import PublishedRecords, RecordSet
from lanwise.mdns.records_state import (
    ANSWERING_STATES,
    RecordState,
    StateEntry,
    Trigger,
    apply,
)
from lanwise.mdns.registration import (
    AddressRecords,
    EngineRegistration,
    RegistrationKind,
    ServiceRecords,
    address_records,
    host_records,
    next_host_label,
    next_instance_label,
    service_records,
)

__all__ = ["EngineResponder"]

_Entry = StateEntry[EngineRegistration]

_log = logging.getLogger("lanwise.mdns.responder")


class EngineResponder:
    """The responder half of the engine. Driven by :class:`lanwise.mdns.engine.Engine`."""

    def __init__(
        self,
        host_name: Name,
        rng: random.Random,
        emit: Callable[[Event], None],
        outbox: Outbox,
        *,
        publish_addresses: bool = True,
        shares_port: bool = False,
    ) -> None:
        self._rng = rng
        # False: the host name's A/AAAA and reverse PTRs are left to another responder
        # on this host (avahi-daemon); the host registration then holds no records and
        # never probes, while SRV records still point at the host name.
        self._publish_addresses = publish_addresses
        # True: another mDNS stack on this host is bound to port 5353 too. The kernel
        # hands a unicast packet to one socket only (§15.1), so we ask no QU questions
        # in probes (this may change, set_shares_port), and we leave the addresses'
        # reverse names to that stack, fixed from the start: two responders on one
        # host must not both claim them.
        self._shares_port = shares_port
        self._reverse_ptrs = not shares_port
        self._emit = emit
        self._stats = outbox.statistics
        self.host = EngineRegistration(RegistrationKind.HOST, host_name)
        # What is published, indexed by name, record and registration (published.py).
        self._published = PublishedRecords(self.host)
        self._links: dict[int, Link] = {}
        self._probe_round: dict[int, float] = {}
        self._scheduled: dict[_Entry, None] = {}  # entries with a probe/announce deadline
        # interface → when to pack the announcement its last probe round leads to.
        self._prepare_at: dict[int, float] = {}
        self._conflicts = ConflictRateLimiter()
        self._outbox = outbox  # the engine's, shared with its querier
        self._answers = AnswerQueue(rng, self._outbox, self._links, self._published.view)
        self._answers.shares_port = shares_port
        self._published.add(self.host)

    def set_shares_port(self, shares_port: bool) -> None:
        """Another stack is (or is no longer) bound to port 5353: probes QM, local replies."""
        if shares_port != self._shares_port:
            self._shares_port = shares_port
            self._answers.shares_port = shares_port
            for record_set in self._published.services.values():
                record_set.questions = ()  # rebuilt with the new QU bit at the next probe
            for record_set in self._published.host_sets.values():
                record_set.questions = ()

    def _transition(self, entry: _Entry, trigger: Trigger, now: float) -> None:
        apply(entry, trigger, now)
        self._published.changed()  # what is answerable changed: cached answers are stale

    # ------------------------------------------------------------------ links
    def add_link(self, link: Link, now: float) -> None:
        """§13: a new interface: probe and announce everything there."""
        self._links[link.index] = link
        self._published.host_sets[link.index] = self._build_host_set(link)
        self._forget_multicast_times(self._published.reindex(self.host))
        if link.addresses:
            for registration in self._registrations():
                self._start_entry(registration, link.index, now)

    def update_link(self, link: Link, now: float) -> None:
        """§8.4: addresses changed: goodbye for the removed ones, announce the new set."""
        old_link = self._links.get(link.index)
        if old_link is None:
            self.add_link(link, now)
            return
        old_set = self._published.host_sets.get(link.index)
        self._links[link.index] = link
        new_set = self._build_host_set(link)
        self._published.host_sets[link.index] = new_set
        self._forget_multicast_times(self._published.reindex(self.host))
        if not link.addresses:
            for registration in self._registrations():
                registration._entries.pop(link.index, None)
            self._published.changed()  # nothing answerable there any more
            self._answers.forget_interface(link.index)
            return
        host_entry = self.host._entries.get(link.index)
        if host_entry is not None and old_set is not None:
            new_keys = {r.key for r in new_set.all}
            removed = [r for r in old_set.all if r.key not in new_keys]
            if removed and host_entry.published:
                self._send_goodbyes(link, removed, now)
            if {r.key for r in old_set.all} != new_keys:
                self._rdata_changed(host_entry, now)
        for registration in self._registrations():
            if link.index not in registration._entries:
                self._start_entry(registration, link.index, now)

    def remove_link(self, index: int, now: float) -> None:
        """The interface is gone: forget it (no goodbyes can be sent there)."""
        self._links.pop(index, None)
        self._published.host_sets.pop(index, None)
        for registration in self._registrations():
            registration._entries.pop(index, None)
        self._forget_multicast_times(self._published.reindex(self.host))
        self._answers.forget_interface(index)
        self._probe_round.pop(index, None)
        self._prepare_at.pop(index, None)

    # ---------------------------------------------------------- registrations
    def register(self, service: ServiceRecords, now: float) -> EngineRegistration:
        registration = EngineRegistration(RegistrationKind.SERVICE, service.instance_name, service)
        self._published.services[registration] = self._build_service_set(service)
        self._published.add(registration)
        for link in self._links.values():
            if link.addresses:
                self._start_entry(registration, link.index, now)
        self._stats.registrations = len(self._published.services)
        return registration

    def register_addresses(self, records: AddressRecords, now: float) -> EngineRegistration:
        """Another host's A/AAAA (and reverse PTRs): probed, announced, defended (§8, §9).

        A name this responder publishes already is refused at once (a local
        collision); a reverse name it publishes already (the address is one of
        this host's own) is left out rather than claimed twice.
        """
        name = records.name
        if name in self._published.owners or name in self._published.probed_names:
            raise UsageError("host", "a name this responder does not publish already", records.host)
        local = frozenset(n for n in records.reverse_names if n in self._published.owners)
        if local:
            records = replace(records, dropped=records.dropped | local)
        registration = EngineRegistration(RegistrationKind.ADDRESSES, name, addresses=records)
        self._published.services[registration] = RecordSet(address_records(records), (), ())
        self._published.add(registration)
        for link in self._links.values():
            if link.addresses:
                self._start_entry(registration, link.index, now)
        self._stats.registrations = len(self._published.services)
        return registration

    def update(
        self,
        registration: EngineRegistration,
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

    def rename(self, registration: EngineRegistration, instance: str, now: float) -> None:
        """BCT II.16, §8.4, §10.1: goodbye for the old name, then probe and announce the new one."""
        service = self._service_of(registration)
        self._goodbye_registration(registration, now, shared_only=False)
        self._rename_to(registration, service.with_instance(instance), now, after_conflict=False)

    def unregister(self, registration: EngineRegistration, now: float) -> None:
        """§10.1: goodbyes (TTL 0) for every record of the registration that was announced."""
        if registration not in self._published.services or not registration.active:
            return
        self._goodbye_registration(registration, now, shared_only=False)
        for entry in registration._entries.values():
            self._transition(entry, Trigger.WITHDRAW, now)
        registration.active = False
        self._forget_multicast_times(self._published.remove(registration))
        del self._published.services[registration]
        self._answers.drop(self._published.keys_of(registration))
        self._stats.registrations = len(self._published.services)
        self._emit(RegistrationRemoved(registration))

    def close(self, now: float) -> None:
        """§10.1: goodbyes for everything, host records included, one batch per interface."""
        for link in self._links.values():
            records: list[Record] = []
            seen: set[RecordKey] = set()
            for registration in self._registrations():
                entry = registration._entries.get(link.index)
                record_set = self._published.record_set(registration, link.index)
                if entry is None or record_set is None:
                    continue
                if entry.published:
                    entry.published = False
                    for record in record_set.all:
                        if record.key not in seen:
                            seen.add(record.key)
                            records.append(record)
                self._transition(entry, Trigger.WITHDRAW, now)
            if records:
                self._send_goodbyes(link, records, now)
        for registration in self._registrations():
            registration.active = False
        self._answers.clear()

    def _registrations(self) -> list[EngineRegistration]:
        if not self._publish_addresses:
            return list(self._published.services)  # the host has nothing to probe or announce
        return [self.host, *self._published.services]

    def _service_of(self, registration: EngineRegistration) -> ServiceRecords:
        service = registration.service
        if (
            service is None
            or registration not in self._published.services
            or not registration.active
        ):
            raise UsageError("registration", "an active service registration of this engine")
        return service

    def _set_service(self, registration: EngineRegistration, service: ServiceRecords) -> None:
        if self._published.probed_names.get(registration.name) is registration:
            del self._published.probed_names[registration.name]
        registration._service = service
        registration._name = service.instance_name
        self._published.services[registration] = self._build_service_set(service)
        self._forget_multicast_times(self._published.reindex(registration))

    def _set_addresses(self, registration: EngineRegistration, records: AddressRecords) -> None:
        registration._addresses = records
        registration._name = records.name
        self._published.services[registration] = RecordSet(address_records(records), (), ())
        self._forget_multicast_times(self._published.reindex(registration))

    def _drop_reverse(
        self, registration: EngineRegistration, name: Name, index: int, now: float
    ) -> None:
        """Another responder answers for the reverse name ``name``: leave it to that one.

        Two responders must not both claim one reverse name (each would see the
        other's PTR as a conflict, §9), and the address's own host has the better
        claim: our PTR there is withdrawn (a goodbye if it was announced, §10.1)
        while the host name and the other reverse names stay.
        """
        records = registration._addresses
        record_set = self._published.services.get(registration)
        if records is None or record_set is None:
            return
        ours = [r for r in record_set.all if r.name == name]
        self._set_addresses(registration, replace(records, dropped=records.dropped | {name}))
        for entry_index, entry in registration._entries.items():
            link = self._links.get(entry_index)
            if link is not None and entry.published and ours:
                self._send_goodbyes(link, ours, now)
        self._stats.conflicts += 1
        _log.info("left the reverse name %s of %s to another responder", name, registration.name)
        self._emit(RegistrationConflict(registration, index, name, "reverse-name-held"))

    # ----------------------------------------------------------- record sets
    def _build_host_set(self, link: Link) -> RecordSet:
        if not self._publish_addresses:
            return RecordSet((), (), ())
        forward, reverse = host_records(self.host.name, link.addresses)
        return RecordSet(forward, reverse if self._reverse_ptrs else (), ())

    def _build_service_set(self, service: ServiceRecords) -> RecordSet:
        unique, shared = service_records(service, self.host.name)
        return RecordSet(unique, (), shared)

    def _forget_multicast_times(self, keys: Iterable[RecordKey]) -> None:
        """Drop §6.2 bookkeeping and queued answers for records nobody publishes any more.

        A queued answer carrying a replaced rdata (an old TXT) would follow the new
        one's announcement within a second, and §10.2 then keeps both in caches.
        """
        gone = [key for key in keys if key not in self._published.key_refs]
        self._answers.forget(gone)
        self._answers.drop(gone)

    # ------------------------------------------------------- probe schedule
    def _probe_start(self, index: int, now: float, *, after_conflict: bool) -> float:
        """§8.1: when a new probe sequence on ``index`` starts.

        Sequences started before a round's first probes are sent share its one
        random 0–250 ms wait, so their probes travel together; after 15 conflicts
        in 10 s, wait 5 s. A round stays open until it is sent, even past its
        start: registering a thousand services takes the caller longer than the
        shortest waits, and drawing again for the late ones would split them
        into a second round up to 250 ms later.
        """
        if after_conflict:
            limited = self._conflicts.earliest_probe(now)
            if limited is not None:
                return limited
        start = self._probe_round.get(index)
        if start is None or (start <= now + EPSILON and not self._round_waiting(index, start)):
            start = now + self._rng.uniform(0.0, PROBE_WAIT_MAX)
            self._probe_round[index] = start
        return start

    def _round_waiting(self, index: int, start: float) -> bool:
        """Is an overdue probe round on ``index`` still to be sent (some entry waits on it)?

        Only asked between a round's start and the next :meth:`service` (which
        closes it); a round whose entries were all withdrawn meanwhile is not
        joined, so nothing probes without a random wait of its own drawing.
        """
        return any(
            entry.interface == index
            and entry.next_at == start
            and entry.state is RecordState.PROBING
            and entry.probes_sent == 0
            and _is_current(entry)
            for entry in self._scheduled
        )

    def _start_entry(self, registration: EngineRegistration, index: int, now: float) -> None:
        old = registration._entries.get(index)
        if old is not None:
            old.next_at = None
        entry = StateEntry(registration, index, self._scheduled)
        registration._entries[index] = entry
        self._published.changed()  # it may replace an answering entry
        entry.next_at = self._probe_start(index, now, after_conflict=False)

    def _restart_probing(self, entry: _Entry, now: float, *, after_conflict: bool) -> None:
        entry.start_probing(self._probe_start(entry.interface, now, after_conflict=after_conflict))

    def _rdata_changed(self, entry: _Entry, now: float) -> None:
        """§8.4: announce again from now (see ``start_announcing`` for how many times);
        while probing, the next probe carries it."""
        self._transition(entry, Trigger.RDATA_CHANGED, now)
        if entry.state is RecordState.ANNOUNCING:
            entry.start_announcing(now, rdata_changed=True)

    # ---------------------------------------------------------------- timers
    def get_timer(self) -> float | None:
        if not self._scheduled and not self._prepare_at:
            return self._answers.get_timer()  # (asked after every packet: the usual case)
        deadlines = [entry.next_at for entry in self._scheduled if entry.next_at is not None]
        deadlines.extend(self._prepare_at.values())
        answers = self._answers.get_timer()
        if answers is not None:
            deadlines.append(answers)
        return min(deadlines) if deadlines else None

    def service(self, now: float) -> None:
        """Send whatever is due at ``now``: probes, announcements, then answers."""
        if self._scheduled or self._probe_round:  # (asked after every packet: mostly idle)
            self._run_entries(now)
        self._answers.run(now)
        if self._prepare_at:
            for index, when in list(self._prepare_at.items()):
                if when <= now + EPSILON:
                    del self._prepare_at[index]
                    link = self._links.get(index)
                    if link is not None:
                        self._prepare_announcements(link)

    def _run_entries(self, now: float) -> None:
        probing: dict[int, list[_Entry]] = {}
        announcing: dict[int, list[_Entry]] = {}
        for entry in list(self._scheduled):
            registration = entry.registration
            if not _is_current(entry):
                entry.next_at = None  # withdrawn, or its interface went away
                continue
            if entry.next_at is None or entry.next_at > now + EPSILON:
                continue
            if entry.state is RecordState.PROBING:
                if entry.probes_done:
                    # §8.1: three probes and 250 ms of silence: the name is ours.
                    self._transition(entry, Trigger.PROBES_DONE, now)
                    entry.start_announcing()
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
        # The rounds that started by now are sent (or were left empty): closed to joiners.
        for index, start in list(self._probe_round.items()):
            if start <= now + EPSILON:
                del self._probe_round[index]
        for index, entries in probing.items():
            link = self._links.get(index)
            if link is not None:
                self._send_probes(link, entries, now)
                if self._outbox.packs_large(len(entries), link.versions) and any(
                    entry.probes_done for entry in entries
                ):
                    # Halfway through the last probe's silence (§8.1), with the probes
                    # long gone: pack the announcement then (see _prepare_announcements).
                    self._prepare_at[index] = now + PROBE_INTERVAL / 2
        for index, entries in announcing.items():
            link = self._links.get(index)
            if link is not None:
                self._send_announcements(link, entries, now)

    def _send_probes(self, link: Link, entries: list[_Entry], now: float) -> None:
        """§8.1: one batch: a QU "ANY" question per name, proposed records in Authority.

        QM instead while another stack shares port 5353 here (§15.1): a unicast
        reply to the probe might reach that stack, and a missed defence is a
        missed conflict. Responders multicast their defence of a QM probe (§6).
        """
        groups: list[Group] = []
        for entry in entries:
            record_set = self._published.record_set(entry.registration, link.index)
            entry.probe_sent(now)
            if record_set is None or not record_set.probe:
                continue
            # The same Question objects every round, so the outbox can reuse the last
            # round's packing of a large batch (it goes by the identity of what it packs).
            name = entry.registration.name
            questions = record_set.questions
            if not questions or questions[0].name is not name:
                # One question per probed name: the registration's own, and for another
                # host's address records each reverse name as well.
                names = dict.fromkeys((name, *(r.name for r in record_set.probed)))
                qu = not self._shares_port  # QM while sharing the port (see above)
                questions = tuple(
                    Question(n, ANY_TYPE, RRClass.IN, unicast_response=qu) for n in names
                )
                record_set.questions = questions
            groups.append((questions, (), record_set.probe, ()))
        self._outbox.multicast_groups(link, link.versions, groups, flags=0)

    def _send_announcements(self, link: Link, entries: list[_Entry], now: float) -> None:
        """§8.3: unsolicited responses with every record of each name, twice, 1 s apart."""
        host_entry = self.host._entries.get(link.index)
        host_ready = host_entry is not None and host_entry.state in ANSWERING_STATES
        for entry in entries:
            if entry.announcement_sent(now):
                self._transition(entry, Trigger.ANNOUNCEMENTS_DONE, now)
        groups = self._announcement_groups(link, entries, host_ready=host_ready)
        sent = [record for _, answers, _, _ in groups for record in answers]
        self._outbox.multicast_groups(link, link.versions, groups)
        for version in link.versions:
            self._answers.mark_multicast((link.index, version), sent, now)

    def _announcement_groups(
        self, link: Link, entries: Iterable[_Entry], *, host_ready: bool
    ) -> list[Group]:
        """Each entry's records, with the host's addresses its SRV names (RFC 6763 §12)."""
        groups: list[Group] = []
        host_set = self._published.host_sets.get(link.index)
        for entry in entries:
            record_set = self._published.record_set(entry.registration, link.index)
            if record_set is None or not record_set.all:
                continue
            extra: list[Record] = []
            if entry.registration is not self.host and host_ready and host_set is not None:
                targets = record_set.srv_targets
                extra = [r for r in host_set.probed if r.name in targets]
            groups.append(((), record_set.all, (), extra))
        return groups

    def _prepare_announcements(self, link: Link) -> None:
        """Pack the announcement the last probe round will lead to, before it is due.

        The entries whose three probes are out announce together once their
        250 ms of silence has passed (§8.1, §8.3). Packed now, in that silence,
        the announcement leaves on time; if anything changes meanwhile (a
        conflict, a withdrawal) the outbox packs afresh what is really sent.
        """
        index = link.index
        done = [
            entry
            for entry in self._scheduled
            if entry.interface == index
            and entry.state is RecordState.PROBING
            and entry.probes_done
            and entry.next_at is not None
            and _is_current(entry)
        ]
        if not done:
            return
        due = min(entry.next_at for entry in done if entry.next_at is not None)
        ready = set(done)
        # _run_entries at ``due`` announces, in this order, the entries done probing
        # and any whose next announcement falls at the same time.
        entries = [
            entry
            for entry in self._scheduled
            if entry.interface == index
            and entry.next_at is not None
            and abs(entry.next_at - due) <= EPSILON
            and (entry in ready or entry.state is RecordState.ANNOUNCING)
        ]
        host_entry = self.host._entries.get(index)
        host_ready = host_entry is not None and (
            host_entry.state in ANSWERING_STATES or host_entry in ready
        )
        groups = self._announcement_groups(link, entries, host_ready=host_ready)
        self._outbox.prepare_multicast(link, link.versions, groups)

    # -------------------------------------------------------------- goodbyes
    def _goodbye_registration(
        self, registration: EngineRegistration, now: float, *, shared_only: bool
    ) -> None:
        for index, entry in registration._entries.items():
            link = self._links.get(index)
            record_set = self._published.record_set(registration, index)
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

    def _published_by_other(
        self, registration: EngineRegistration, record: Record, index: int
    ) -> bool:
        key = record.key
        if self._published.key_refs.get(key, 0) <= 1:
            return False  # only this registration has it (the common case, O(1))
        for other in self._published.owners.get(record.name, ()):
            if other is registration or key not in self._published.keys_of(other):
                continue
            entry = other._entries.get(index)
            if entry is not None and entry.state in ANSWERING_STATES:
                return True
        return False

    def _send_goodbyes(self, link: Link, records: Sequence[Record], now: float) -> None:
        """§10.1: the records again with TTL 0 (cache-flush clear: remove just these).

        Sent over the IP versions the interface has an address of now (a family
        whose last address went away has no source address left to send from).
        """
        goodbyes = [Record(r.name, r.rtype, r.rclass, 0, r.rdata, False) for r in records]
        self._outbox.multicast_groups(link, link.versions, [((), (r,), (), ()) for r in goodbyes])
        self._answers.drop((r.key for r in records), index=link.index)

    # ------------------------------------------------------------- conflicts
    def _rename_to(
        self,
        registration: EngineRegistration,
        service: ServiceRecords | None,
        now: float,
        *,
        after_conflict: bool,
    ) -> None:
        old_name = registration.name
        if registration is self.host:
            if self._published.probed_names.get(old_name) is self.host:
                del self._published.probed_names[old_name]
            self.host._name = Name.from_labels(
                (next_host_label(old_name.labels[0]), *old_name.labels[1:])
            )
            for index, link in self._links.items():
                self._published.host_sets[index] = self._build_host_set(link)
            self._forget_multicast_times(self._published.reindex(self.host))
        elif service is not None:
            self._set_service(registration, service)
        elif registration.addresses is not None:
            label = next_host_label(old_name.labels[0])
            self._set_addresses(registration, replace(registration.addresses, host=label))
        for entry in registration._entries.values():
            self._transition(entry, Trigger.RENAMED, now)
            self._restart_probing(entry, now, after_conflict=after_conflict)
        self._stats.renames += 1
        _log.info("renamed %s to %s", old_name, registration.name)
        self._emit(RegistrationRenamed(registration, old_name, registration.name))
        if registration is self.host:
            # The services' SRV records follow the host name: new rdata, announce again (§8.4).
            for other, _record_set in list(self._published.services.items()):
                service_now = other.service
                if service_now is not None and service_now.host is None:
                    self._set_service(other, service_now)
                    for entry in other._entries.values():
                        self._rdata_changed(entry, now)

    def _lose_name(self, registration: EngineRegistration, index: int, now: float) -> None:
        """§8.1, §9: someone else holds the name: pick the next one and probe it everywhere.

        Another host's address records are given up instead, unless their
        :class:`AddressRecords` ask for ``rename``.
        """
        self._count_conflict(registration, index, registration.name, "probe-answered", now)
        records = registration.addresses
        if records is not None and not records.rename:
            self._give_up(registration, now)
            return
        # §10.1: the old name's shared PTRs would otherwise linger in caches for 75 minutes.
        self._goodbye_registration(registration, now, shared_only=True)
        if registration is self.host or records is not None:
            self._rename_to(registration, None, now, after_conflict=True)
        else:
            service = self._service_of(registration)
            new_service = service.with_instance(next_instance_label(service.instance))
            self._rename_to(registration, new_service, now, after_conflict=True)

    def _give_up(self, registration: EngineRegistration, now: float) -> None:
        """Another host holds an alias's name: withdraw it (avahi-publish -a does the same).

        A renamed alias is a name nobody asked for. The winner's records flush
        ours at the name itself (§10.2); our reverse PTRs naming it live at names
        of their own, so those get goodbyes (§10.1).
        """
        name = registration.name
        record_set = self._published.services.get(registration)
        for index, entry in registration._entries.items():
            link = self._links.get(index)
            if link is None or record_set is None or not entry.published:
                continue
            entry.published = False
            reverse = [r for r in record_set.all if r.name != name]
            if reverse:
                self._send_goodbyes(link, reverse, now)
        _log.info("gave up %s: another host holds it", name)
        self._emit(RegistrationFailed(registration, name, "name-taken"))
        self.unregister(registration, now)

    def _count_conflict(
        self, registration: EngineRegistration, index: int, name: Name, reason: str, now: float
    ) -> None:
        """A conflict for ``name`` on ``index``: counted (§8.1 rate limit, statistics), reported."""
        self._conflicts.record(now)
        self._stats.conflicts += 1
        self._emit(RegistrationConflict(registration, index, name, reason))

    def _lose_tie_break(self, entry: _Entry, now: float) -> None:
        """§8.2: the other prober's data is later: defer 1 s, then probe again from the start."""
        registration = entry.registration
        self._count_conflict(
            registration, entry.interface, registration.name, "tie-break-lost", now
        )
        self._transition(entry, Trigger.TIE_BREAK_LOST, now)
        limited = self._conflicts.earliest_probe(now)
        entry.start_probing(max(now + TIE_BREAK_DEFER, limited or 0.0))

    def _conflict_after_announce(self, entry: _Entry, now: float) -> None:
        """§9: a conflicting record for an established name: probe again (rename if it holds)."""
        registration = entry.registration
        self._count_conflict(
            registration, entry.interface, registration.name, "announced-conflict", now
        )
        self._transition(entry, Trigger.CONFLICT, now)
        self._restart_probing(entry, now, after_conflict=True)

    # ------------------------------------------------------------- receiving
    def handle_response(self, message: Message, link: Link, version: int, now: float) -> None:
        """A response from the link: conflicts (§8.1, §9), §7.4 suppression, §6.6 TTL repair."""
        channel = (link.index, version)
        if (
            not self._published.owners
            and not self._answers.pending(channel)
            and self._claims_nothing()
        ):
            return  # we publish nothing and have nothing to send (a querier-only engine)
        handled: set[EngineRegistration] = set()
        # The first tests of seen_from_another and _repair_ttl are inline: on a busy
        # link, mostly nothing of ours waits on the channel and the name is not ours.
        pending = self._answers._pending
        probed_names = self._published.probed_names
        owners = self._published.owners
        # The sections one by one: ``message.records`` would join them into a new tuple.
        for section in (message.answers, message.authorities, message.additionals):
            for record in section:
                if pending.get(channel):
                    self._answers.seen_from_another(channel, record, now)
                name = record.name
                registration = probed_names.get(name)
                if (
                    registration is not None
                    and registration not in handled
                    and self._check_conflict(registration, record, link, now)
                ):
                    handled.add(registration)
                    continue
                if name in owners:
                    self._repair_ttl(channel, record, now)

    def _claims_nothing(self) -> bool:
        """No name of ours can conflict: none probed, or only a host that never probes."""
        names = self._published.probed_names
        if not names:
            return True
        return (
            not self._publish_addresses
            and len(names) == 1
            and names.get(self.host.name) is self.host
        )

    def _repair_ttl(self, channel: Channel, record: Record, now: float) -> None:
        """§6.6: a copy of a record we publish, with under half our TTL (a stale cache, or
        another host's goodbye for a shared record we still publish): multicast ours."""
        if record.name not in self._published.owners:
            return  # not a name we publish: the common case on a busy link
        for owned in self._published.view(channel[0]).with_key(record):
            if record.ttl < owned.ttl * TTL_REPAIR_FRACTION:
                self._answers.schedule(channel, owned, (), now)

    def _check_conflict(
        self, registration: EngineRegistration, record: Record, link: Link, now: float
    ) -> bool:
        """§8.1, §9: does ``record`` (from a response) conflict with our unique name?"""
        entry = registration._entries.get(link.index)
        if entry is None or entry.state is RecordState.WITHDRAWN or not registration.active:
            return False
        if record.ttl == 0 or record.rclass != RRClass.IN:
            return False  # a goodbye claims nothing
        if record.key in self._published.keys_of(registration):
            return False  # identical rdata is never a conflict (§9): ours, or a cooperating host
        if record.name != registration.name:  # another host's reverse name (only those)
            if entry.state is RecordState.PROBING and entry.probes_sent == 0:
                return False  # §8.1, as below
            self._drop_reverse(registration, record.name, link.index, now)
            return False  # the registration keeps its name: its other records still count
        if entry.state is RecordState.PROBING:
            if entry.probes_sent == 0:
                return False  # §8.1: answers before our first probe are not about our probe
            _log.info("probe conflict for %s on %d: %s", registration.name, link.index, record)
            self._lose_name(registration, link.index, now)
            return True
        record_set = self._published.record_set(registration, link.index)
        if record_set is None:
            return False
        if any(r.rtype == record.rtype and r.name == record.name for r in record_set.probed):
            _log.info("conflict for %s on %d: %s", registration.name, link.index, record)
            self._conflict_after_announce(entry, now)
            return True
        return False

    def answers_for(self, index: int, record: Record) -> bool:
        """Do we answer with ``record`` (name, type, class, rdata) on interface ``index`` now?

        True while a registration publishing it there is announcing or announced:
        the engine's cache must not take our own records for another host's that
        went silent (§10.5).
        """
        return self._published.answers_for(index, record)

    def handle_query(  # noqa: PLR0917 - positional: a C call from compiled callers
        self,
        message: Message,
        source: EngineEndpoint,
        link: Link,
        version: int,
        now: float,
        unicast: bool,
    ) -> None:
        """A query from the link: tie-breaks (§8.2), then answers (§6, §7)."""
        if message.authorities and source.port == MDNS_PORT:
            self._tie_break(message, link, now)
        self._answers.handle_query(message, source, link, version, now, unicast)

    def _tie_break(self, message: Message, link: Link, now: float) -> None:
        """§8.2: another host probes a name we are probing: the lexicographically later wins."""
        proposed: dict[Name, list[Record]] = {}
        for record in message.authorities:
            proposed.setdefault(record.name, []).append(record)
        for name, theirs in proposed.items():
            registration = self._published.probed_names.get(name)
            if registration is None:
                continue
            entry = registration._entries.get(link.index)
            if entry is None or entry.state is not RecordState.PROBING:
                continue
            keys = self._published.keys_of(registration)
            if all(r.key in keys for r in theirs):
                continue  # our own probe, looped back or from our other interface (§15)
            record_set = self._published.record_set(registration, link.index)
            if record_set is None:
                continue
            ours = [r for r in record_set.probed if r.name == name]
            if compare_probe_records(ours, theirs) < 0:
                _log.info("tie-break lost for %s on %d", name, link.index)
                self._lose_tie_break(entry, now)


def _is_current(entry: _Entry) -> bool:
    """Is ``entry`` still its registration's state on its interface (not withdrawn, not
    replaced, the interface still there)?"""
    registration = entry.registration
    return registration.active and registration._entries.get(entry.interface) is entry
