"""The multicast DNS engine: responder, querier and cache behind one sans-IO facade.

The engine never reads a clock and never touches a socket (like aioquic's
``QuicConnection``). A driver — :mod:`lanwise.mdns.transport`, or a test —
feeds it received datagrams with :meth:`Engine.receive` and the passing of
time with :meth:`Engine.handle_timer`, and reads out what to send with
:meth:`Engine.datagrams_to_send`, when to wake it with :meth:`Engine.get_timer`
and what happened with :meth:`Engine.next_event`. Every method takes ``now``
(seconds on any monotonic clock) and every datagram carries its interface index.
"""

from __future__ import annotations

import logging
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from ipaddress import IPv4Interface, IPv6Interface

from lanwise.dns import Flag, Name, Record, parse_message
from lanwise.dns.message import Message
from lanwise.errors import ProtocolError, UsageError
from lanwise.mdns.answering import RecordKey
from lanwise.mdns.cache import DEFAULT_MAX_RECORDS, DEFAULT_MAX_WANTED_RECORDS, CachedRecord
from lanwise.mdns.constants import DEFAULT_MTU, EPSILON, IPV6_HEADER, MDNS_PORT, UDP_HEADER
from lanwise.mdns.endpoints import Datagram, EngineEndpoint
from lanwise.mdns.events import Event
from lanwise.mdns.links import Link
from lanwise.mdns.outbox import Outbox
from lanwise.mdns.querier import Querier, Query
from lanwise.mdns.registration import (
    AddressRecords,
    EngineRegistration,
    ServiceRecords,
    local_host_name,
)
from lanwise.mdns.responder import EngineResponder
from lanwise.mdns.statistics import EngineStatistics, InterfaceStatistics

__all__ = ["Engine"]

_log = logging.getLogger("lanwise.mdns.engine")

_RESPONSE = int(Flag.QR | Flag.AA)
# The header bits _dispatch tests, as plain ints (read from ``flags`` once per packet):
# the QR bit, and the opcode and rcode fields (§18.3, §18.11: both must be 0).
_QR = int(Flag.QR)
_OPCODE_RCODE = 0x780F
_LEARNED_OBJECTS_LIMIT = 4096  # bounds _learn_own's identity table (a cache, not state)
# Bounds its batch table: the outbox keeps 512 frozen answers whose lists come again.
_LEARNED_BATCHES_LIMIT = 512
# Responses remembered parsed, by their octets (see _receive): on a busy link most are
# the same announcements and answers again. At most this many, of at most this size.
_PARSED_LIMIT = 512
_PARSED_MAX_SIZE = 1500


class _Received:
    """The receive-side counters of one interface, kept apart from the public
    :class:`InterfaceStatistics` so that counting a packet costs C increments when
    compiled; :meth:`Engine.statistics` joins them into its snapshot."""

    __slots__ = ("ignored", "malformed", "octets", "off_link", "packets", "queries", "responses")

    def __init__(self) -> None:
        self.packets = 0
        self.octets = 0
        self.queries = 0
        self.responses = 0
        self.malformed = 0
        self.off_link = 0
        self.ignored = 0


class _Learned:
    """What :meth:`Engine._learn_own` fed to the cache on one interface, and when."""

    __slots__ = ("batches", "keys", "objects")

    def __init__(self) -> None:
        self.keys: dict[RecordKey, float] = {}  # the rule: by record key
        self.objects: dict[int, tuple[Record, float]] = {}  # a shortcut: by id(record)
        # A shortcut for whole batches (the same answers sent again): the outbox hands
        # out the same list object for the same frozen answer each time, so a batch is
        # keyed by the list's identity: id → (the list, kept so the id stays unique;
        # when the first of its records is due again). The lists are never changed
        # once handed out.
        self.batches: dict[int, tuple[list[Record], float]] = {}

    def forget_objects(self) -> None:
        self.objects.clear()
        self.batches.clear()


def _nothing_due(learned: _Learned, records: list[Record], now: float) -> bool:
    """Would :meth:`Engine._learn_own` skip all of ``records`` by identity at ``now``?"""
    batch = learned.batches.get(id(records))
    if batch is not None and batch[0] is records and now < batch[1] - EPSILON:
        return True
    objects = learned.objects
    for record in records:
        seen = objects.get(id(record))
        if seen is None or seen[0] is not record or not record.ttl:
            return False
        if now - seen[1] >= record.ttl * 0.25:
            return False
    return True


InterfaceAddress = IPv4Interface | IPv6Interface

# The host registration's name in a querier-only engine: never published (publish_addresses
# is off and no service may point at it); ".invalid" (RFC 6761 §6.4) so it could never resolve.
_NO_HOST = Name.from_labels(("querier-only", "invalid"))


class Engine:
    """A multicast DNS responder and querier for a set of interfaces (RFC 6762).

    ``host_name`` is the host's label (``"myhost"`` or ``"myhost.local"``); the
    engine publishes its A/AAAA records per interface and renames it
    ``"myhost-2"`` if another host holds it. ``rng`` draws every random delay
    (seed it in tests). ``publish_addresses=False`` publishes no address records
    (A/AAAA, reverse PTRs) at all, for running beside another responder on this
    host (avahi-daemon) that publishes them: services' SRV records still name
    ``host_name``, which must then be that responder's host name, and the host
    registration stays unestablished (it never probes or renames).
    ``host_name=None`` makes a querier-only engine, for one-off lookups and
    browsing: no host name at all, so nothing is probed, announced or
    defended and no address records exist (``publish_addresses`` has nothing
    to publish); the responder answers only for services registered later,
    which must then name their own ``host`` (a ``UsageError`` otherwise).
    ``shares_port=True`` says another mDNS stack on this host is bound to port
    5353 too (avahi-daemon, systemd-resolved, another program): the kernel
    gives a unicast packet to one of the sockets only (§15.1), so the engine
    then asks no QU questions (queries and probes go QM), answers a querier on
    this host by multicast even where it would reply by unicast (§5.4), lists
    no known answers in its queries (avahi takes them as known to the whole
    address, §7.1, and would not answer that stack), and publishes no
    reverse-mapping PTRs, which that stack may claim. The
    driver tells the engine which interfaces exist (:meth:`add_interface`) and
    calls :meth:`datagrams_to_send` after every other call.

    ``max_cached_records`` bounds the cached records nobody asked for and
    ``max_wanted_records`` those an active query wants (a browse's instances);
    past the latter the cache sheds memory and says so once with a
    :class:`~lanwise.mdns.events.CacheOverflow` (see docs/mdns.md).
    """

    def __init__(
        self,
        *,
        host_name: str | None,
        rng: random.Random | None = None,
        max_cached_records: int = DEFAULT_MAX_RECORDS,
        max_wanted_records: int = DEFAULT_MAX_WANTED_RECORDS,
        publish_addresses: bool = True,
        shares_port: bool = False,
    ) -> None:
        if not isinstance(publish_addresses, bool):
            raise UsageError("publish_addresses", "True or False", publish_addresses)
        if not isinstance(shares_port, bool):
            raise UsageError("shares_port", "True or False", shares_port)
        self._shares_port = shares_port
        self._rng = rng if rng is not None else random.Random()
        self._events: deque[Event] = deque()
        self._stats = EngineStatistics()
        self._querier_only = host_name is None
        # One outbox for everything we send: the responder's answers, probes and
        # announcements, and the querier's questions.
        self._outbox = Outbox(self._stats)
        self._responder = EngineResponder(
            _NO_HOST if host_name is None else local_host_name(host_name),
            self._rng,
            self._events.append,
            self._outbox,
            publish_addresses=publish_addresses and host_name is not None,
            shares_port=shares_port,
        )
        self._querier = Querier(
            self._rng,
            max_records=max_cached_records,
            max_wanted_records=max_wanted_records,
            max_packet_size=DEFAULT_MTU - IPV6_HEADER - UDP_HEADER,
        )
        self._querier.unicast_questions = not shares_port
        self._querier.send_known_answers = not shares_port
        # §10.5 is about other hosts' records: what our responder answers with is alive
        # (our answers reach our own cache only every quarter TTL, see _learn_own); and
        # the cache renews our own records at the end of their TTL while we publish them.
        self._querier.cache.set_published(self._responder.answers_for)
        self._links: dict[int, Link] = {}
        self._received: dict[int, _Received] = {}  # per interface (see statistics)
        self._learned: dict[int, _Learned] = {}  # see _learn_own
        # What datagrams_to_send handed out and our cache has yet to learn (see
        # _learn_own), and when: handle_timer learns it, get_timer says when.
        self._to_learn: list[tuple[int, list[Record]]] = []
        self._learn_at: float | None = None
        # Responses received lately, parsed (see _receive); the oldest leave first.
        self._parsed: dict[bytes, Message] = {}
        self._closed = False

    # ------------------------------------------------------------- properties
    @property
    def host_name(self) -> Name | None:
        """The host name currently claimed (changes after a lost conflict); None: querier-only."""
        return None if self._querier_only else self._responder.host.name

    @property
    def querier_only(self) -> bool:
        """True when made with ``host_name=None``: no host name, nothing published for it."""
        return self._querier_only

    @property
    def shares_port(self) -> bool:
        """True while another stack shares port 5353 (see :meth:`set_shares_port`)."""
        return self._shares_port

    def set_shares_port(self, shares_port: bool) -> None:
        """Another mDNS stack started (or stopped) sharing port 5353 on this host.

        From now on, questions and probes are QM while shared, queries carry
        no known answers and replies to queriers on this host go by multicast
        (§15.1). Whether reverse PTRs
        are published stays as the engine was made: that choice is not undone
        under a running peer.
        """
        if not isinstance(shares_port, bool):
            raise UsageError("shares_port", "True or False", shares_port)
        self._shares_port = shares_port
        self._querier.unicast_questions = not shares_port
        self._querier.send_known_answers = not shares_port
        self._responder.set_shares_port(shares_port)

    @property
    def host(self) -> EngineRegistration:
        """The registration of the host's own address records."""
        return self._responder.host

    @property
    def interfaces(self) -> dict[int, tuple[InterfaceAddress, ...]]:
        """The interfaces the engine runs on, by index, with their addresses."""
        return {index: link.addresses for index, link in self._links.items()}

    # ------------------------------------------------------------- interfaces
    def add_interface(
        self,
        index: int,
        addresses: Sequence[InterfaceAddress],
        now: float,
        *,
        mtu: int = DEFAULT_MTU,
    ) -> None:
        """Start on interface ``index`` (§13: probe and announce there, start queries).

        ``addresses`` are the interface's addresses with their prefixes; they
        decide which source addresses are on-link (§11), which address records
        answers carry there (§15) and which groups (IPv4, IPv6) we speak on.
        """
        self._check_open()
        if index in self._links:
            self.update_interface(index, addresses, now, mtu=mtu)
            return
        link = Link(_check_index(index), _check_addresses(addresses), _check_mtu(mtu))
        self._links[index] = link
        self._stats.interfaces.setdefault(index, InterfaceStatistics())
        self._received.setdefault(index, _Received())
        self._responder.add_link(link, now)
        self._querier.add_interface(index, now, max_packet_size=link.payload_limit(6))

    def update_interface(
        self,
        index: int,
        addresses: Sequence[InterfaceAddress],
        now: float,
        *,
        mtu: int | None = None,
    ) -> None:
        """The addresses (or MTU) of ``index`` changed: goodbye the old, announce the new (§8.4)."""
        self._check_open()
        old = self._links.get(index)
        if old is None:
            self.add_interface(index, addresses, now, mtu=DEFAULT_MTU if mtu is None else mtu)
            return
        link = Link(index, _check_addresses(addresses), old.mtu if mtu is None else _check_mtu(mtu))
        self._links[index] = link
        self._querier.set_max_packet_size(index, link.payload_limit(6))
        self._responder.update_link(link, now)

    def remove_interface(self, index: int, now: float) -> None:
        """Stop on ``index`` (the link went away): forget its state and flush its cache."""
        if self._links.pop(index, None) is None:
            return
        self._responder.remove_link(index, now)
        self._querier.remove_interface(index, now)
        self._learned.pop(index, None)  # its cache is flushed: learn our records afresh

    # -------------------------------------------------------------- responder
    def register(self, service: ServiceRecords, now: float) -> EngineRegistration:
        """Publish a service: probe its instance name, announce, answer and defend it.

        Progress comes as events: :class:`RegistrationEstablished` per interface,
        :class:`RegistrationRenamed` ("Name (2)") if the name was taken.
        """
        self._check_open()
        if not isinstance(service, ServiceRecords):
            raise UsageError("service", "a lanwise.mdns.registration.ServiceRecords", service)
        if self._querier_only and service.host is None:
            raise UsageError(
                "service.host", "a host name: this engine has none (host_name=None)", None
            )
        return self._responder.register(service, now)

    def register_addresses(self, records: AddressRecords, now: float) -> EngineRegistration:
        """Publish another host's address records (an alias, like ``avahi-publish -a``).

        Its name and reverse names are probed (§8.1). Another host holding the
        name: :class:`RegistrationConflict` then :class:`RegistrationFailed` and
        the registration is withdrawn, or with ``records.rename`` it becomes
        ``name-2`` (:class:`RegistrationRenamed`). A reverse name another
        responder answers for is left to it (``RegistrationConflict`` with reason
        ``"reverse-name-held"``). A name this engine publishes already raises
        :class:`UsageError`. Withdraw it with :meth:`unregister`.
        """
        self._check_open()
        if not isinstance(records, AddressRecords):
            raise UsageError("records", "a lanwise.mdns.registration.AddressRecords", records)
        return self._responder.register_addresses(records, now)

    def update(
        self,
        registration: EngineRegistration,
        now: float,
        *,
        txt: Sequence[bytes] | None = None,
        port: int | None = None,
    ) -> None:
        """Change a service's TXT strings or port; announced again at once (§8.4)."""
        self._check_open()
        self._responder.update(registration, now, txt=txt, port=port)

    def rename(self, registration: EngineRegistration, instance: str, now: float) -> None:
        """Give a service a new instance name: goodbye for the old, probe the new (§8.4)."""
        self._check_open()
        self._responder.rename(registration, instance, now)

    def unregister(self, registration: EngineRegistration, now: float) -> None:
        """Withdraw a service or address records: goodbye (TTL 0) for each record (§10.1)."""
        self._check_open()
        self._responder.unregister(registration, now)

    # ---------------------------------------------------------------- querier
    def start_query(
        self,
        name: Name,
        qtype: int,
        now: float,
        *,
        interface: int | None = None,
        unicast_first: bool = False,
        one_shot: bool = False,
        timeout: float | None = None,
        report_cached: bool = True,
        cached_since: int | None = None,
    ) -> Query:
        """Ask continuously (or once) for ``name``/``qtype``; answers come as record events.

        ``report_cached=False``: records already cached are not reported as
        events (for a caller that has just read them from the cache itself);
        ``cached_since``: only those cached after that :attr:`cache_revision`
        (for a caller that read the cache at that revision).
        """
        self._check_open()
        return self._querier.start_query(
            name,
            qtype,
            now,
            interface=interface,
            unicast_first=unicast_first,
            one_shot=one_shot,
            timeout=timeout,
            report_cached=report_cached,
            cached_since=cached_since,
        )

    def stop_query(self, query: Query, now: float | None = None) -> None:
        """Stop a query (idempotent)."""
        self._querier.stop_query(query, now)

    def reconfirm(self, record: Record, interface: int, now: float) -> bool:
        """§10.4: ``record`` (cached on ``interface``) seems stale; ask twice, drop it if silent.

        Returns False if it is not in the cache there.
        """
        self._check_open()
        return self._querier.reconfirm(record, interface, now)

    def cached(
        self, name: Name, qtype: int, now: float, *, interface: int | None = None
    ) -> list[CachedRecord]:
        """Records in the cache for ``name``/``qtype`` (ANY: all types), per interface."""
        return self._querier.lookup(name, qtype, now, interface=interface)

    def cached_records(self, name: Name, qtype: int, now: float, *, interface: int) -> list[Record]:
        """The records :meth:`cached` gives on one interface, without the snapshots."""
        return self._querier.cache.records(name, qtype, now, interface=interface)

    # ---------------------------------------------------------------- driving
    def receive(
        self,
        data: bytes,
        source: EngineEndpoint,
        interface: int,
        now: float,
        *,
        unicast: bool = False,
    ) -> None:
        """Take in one datagram received on ``interface`` from ``source``.

        ``unicast`` is True when it was addressed to us rather than to an mDNS
        group (the transport learns it from IP_PKTINFO). Malformed or foreign
        input is counted and dropped; this method never raises for it.
        """
        self._receive(data, source, interface, now, unicast)

    def _receive(
        self, data: bytes, source: EngineEndpoint, interface: int, now: float, unicast: bool
    ) -> None:
        counters = self._received.get(interface)
        if counters is None:
            counters = self._received[interface] = _Received()
        counters.packets += 1
        counters.octets += len(data)
        link = self._links.get(interface)
        if self._closed or link is None:
            counters.ignored += 1
            return
        if not link.on_link(source.ip_version, source.ip_value):
            # §11: only on-link peers speak mDNS to us; off-link packets (and unicast
            # queries from off-link) are dropped unanswered.
            counters.off_link += 1
            return
        # The same response comes again and again on a busy link (announcements, answers
        # to recurring questions), and parsing is a pure function of the octets: a
        # response seen lately is taken as parsed then. Messages and records are frozen.
        parsed = self._parsed
        remembered = type(data) is bytes  # (a bytearray or memoryview is not hashable)
        message = parsed.get(data) if remembered else None
        if message is None:
            try:
                message = parse_message(data)
            except ProtocolError as exc:
                counters.malformed += 1
                self._stats.malformed_dropped += 1
                _log.debug("dropped a malformed packet from %s on %d: %s", source, interface, exc)
                return
            if remembered and message.flags & _QR and len(data) <= _PARSED_MAX_SIZE:
                if len(parsed) >= _PARSED_LIMIT:
                    del parsed[next(iter(parsed))]
                parsed[data] = message
        try:
            self._dispatch(message, source, link, now, unicast, counters)
        except Exception:  # network input must never crash the engine; this is a bug
            self._stats.internal_errors += 1
            _log.exception("error handling a packet from %s on %d", source, interface)

    def _dispatch(  # noqa: PLR0917 (the hot path: positional arguments)
        self,
        message: Message,
        source: EngineEndpoint,
        link: Link,
        now: float,
        unicast: bool,
        counters: _Received,
    ) -> None:
        flags = message.flags
        if flags & _OPCODE_RCODE:
            counters.ignored += 1  # §18.3, §18.11: a non-zero opcode or rcode, silently ignored
            return
        version = source.ip_version
        if flags & _QR:
            if source.port != MDNS_PORT:
                counters.ignored += 1  # §6: responses not from port 5353 are ignored
                return
            counters.responses += 1
            self._responder.handle_response(message, link, version, now)
            # The querier's positional entry points: C calls when compiled.
            self._querier._take_response(message, link.index, now, source, unicast, False)
        else:
            counters.queries += 1
            self._responder.handle_query(message, source, link, version, now, unicast=unicast)
            if source.port == MDNS_PORT and not link.owns(version, source.ip_value):
                self._querier._observe_query(message, link.index, now, unicast)

    def handle_timer(self, now: float) -> None:
        """Let time pass to ``now``: learn what was sent, send what is due, expire what is old."""
        if self._learn_at is not None:
            self._learn_sent()
        self._service(now)

    def _service(self, now: float) -> None:
        self._responder.service(now)
        deadline = self._querier.get_timer()
        if deadline is None or deadline > now:
            return
        outbox = self._outbox
        for packet in self._querier.handle_timer(now):
            link = self._links.get(packet.interface)
            if link is None:
                continue
            for version in link.versions:
                outbox.send(link, version, packet.data, None)
            if packet.message is not None:
                self._answer_own_query(packet.message, link, now)
        self._responder.service(now)  # unique answers to our own questions go at once

    def _answer_own_query(self, message: Message, link: Link, now: float) -> None:
        """Our querier's question reaches our responder, as the kernel's loopback would.

        The transport drops looped-back copies of our own packets, so without this
        a local query for a local service would never be answered, and the cached
        copies of our own records would lapse when their TTL runs out (the known
        answers in the query keep this from answering needlessly, §7.1).
        """
        # Answer by multicast, as to any QM question: we are also a peer's cache.
        if any(q.unicast_response for q in message.questions):
            questions = tuple(replace(q, unicast_response=False) for q in message.questions)
            message = replace(message, questions=questions)
        for version in link.versions:
            own = link.own_address(version)
            assert own is not None  # versions lists only families with an address
            self._responder.handle_query(
                message, EngineEndpoint(own, MDNS_PORT), link, version, now, unicast=False
            )

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        """Everything to send now (each with destination and interface); clears the queue.

        Our own multicast records in them are learned by our cache at the next
        :meth:`handle_timer` (:meth:`get_timer` says: at once), so the datagrams
        leave before the cache work.
        """
        self._service(now)
        outbox = self._outbox
        out = list(outbox.datagrams)
        outbox.datagrams.clear()
        sent = outbox.multicast_records
        if sent:
            if not self._closed:
                self._note_sent(sent, now)
            sent.clear()
        return out

    def _note_sent(self, sent: list[tuple[int, list[Record]]], now: float) -> None:
        """Note what our cache must learn from what was just handed out (see _learn_own).

        Records the cache was fed lately (the same answers sent again) have nothing
        due, which the identity tables tell while nothing else waits to be learned
        (they are then up to date): such a batch is left out, so answering the same
        questions again and again costs no learning pass.
        """
        to_learn = self._to_learn
        for index, records in sent:
            if not to_learn:
                learned = self._learned.get(index)
                if learned is not None and _nothing_due(learned, records, now):
                    continue
            to_learn.append((index, records))
        if to_learn:
            self._learn_at = now

    def _learn_sent(self) -> None:
        """Learn what :meth:`datagrams_to_send` handed out (see :meth:`_learn_own`)."""
        now = self._learn_at
        self._learn_at = None
        if now is not None and self._to_learn:
            self._learn_own(self._to_learn, now)
        self._to_learn.clear()

    def _learn_own(self, sent: list[tuple[int, list[Record]]], now: float) -> None:
        """Cache what we multicast ourselves, so local queries see local services.

        The transport drops the kernel's looped-back copies of our own packets
        (they would otherwise reach :meth:`receive`); this puts our own records
        into the cache instead, as every other host's cache has them. A record
        is fed again only once a quarter of its TTL has passed (or as a goodbye),
        which is all the cache needs to keep it fresh. They are fed as our own:
        the cache holds them as the authority, so nothing from the network (a
        forged goodbye or cache flush) and no eviction takes them out of our own
        view while they are registered; only our own goodbye does.
        """
        for index, records in sent:
            learned = self._learned.get(index)
            if learned is None:
                learned = self._learned[index] = _Learned()
            # Our answers are the responder's own long-lived Record objects, sent again
            # and again, so look them up by identity before hashing keys: first the
            # whole batch at once (the same records, none due yet), then one by one. A
            # time found by identity is never later than the one under its key (the
            # identity entry takes the key's time; only goodbyes remove key times, and
            # a goodbye drops the identity tables), so these fast skips never skip what
            # the keys would feed. Objects in ``objects`` stay alive, so their ids are
            # not reused while a batch names them.
            objects = learned.objects
            batches = learned.batches
            batch = batches.get(id(records))
            if batch is not None and batch[0] is records and now < batch[1] - EPSILON:
                continue
            keys = learned.keys
            fresh: list[Record] = []
            goodbye = False
            for record in records:
                seen = objects.get(id(record))
                if (
                    seen is not None
                    and seen[0] is record
                    and record.ttl
                    and now - seen[1] < record.ttl * 0.25
                ):
                    continue
                key = record.key
                if record.ttl == 0:
                    keys.pop(key, None)
                    learned.forget_objects()
                    goodbye = True
                else:
                    fed = keys.get(key, -math.inf)
                    due = now - fed >= record.ttl * 0.25
                    if due:
                        keys[key] = fed = now
                    if len(objects) >= _LEARNED_OBJECTS_LIMIT:
                        learned.forget_objects()  # records replaced by updates: let them go
                    objects[id(record)] = (record, fed)
                    if not due:
                        continue  # fed lately under another object with the same key
                fresh.append(record)
            if not goodbye:
                times = [objects.get(id(record)) for record in records]
                if all(t is not None for t in times):
                    batches.pop(id(records), None)  # (re)inserted last: the oldest go first
                    if len(batches) >= _LEARNED_BATCHES_LIMIT:
                        del batches[next(iter(batches))]
                    batches[id(records)] = (
                        records,
                        min(t[1] + t[0].ttl * 0.25 for t in times if t is not None),
                    )
            if fresh and index in self._links:
                message = Message(flags=_RESPONSE, answers=tuple(fresh))
                self._querier._take_response(message, index, now, None, False, True)  # own

    @property
    def cache_revision(self) -> int:
        """Moves whenever cached records may have changed (compare two readings)."""
        return self._querier.cache.revision

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` next has work, or None.

        Once :meth:`datagrams_to_send` has handed out our own records, that is at
        once: :meth:`handle_timer` then caches them (a getter changes nothing).
        """
        deadline = self._learn_at
        timer = self._responder.get_timer()
        if timer is not None and (deadline is None or timer < deadline):
            deadline = timer
        timer = self._querier.get_timer()
        if timer is not None and (deadline is None or timer < deadline):
            deadline = timer
        return deadline

    def next_event(self) -> Event | None:
        """The oldest unread event, or None."""
        if self._events:
            return self._events.popleft()
        return self._querier.next_event()

    def statistics(self) -> EngineStatistics:
        """A snapshot of the counters (per interface, conflicts, cache size)."""
        stats = self._stats
        interfaces = {i: replace(s) for i, s in stats.interfaces.items()}
        for index, counters in self._received.items():
            snapshot = interfaces.get(index)
            if snapshot is None:
                snapshot = interfaces[index] = InterfaceStatistics()
            snapshot.packets_received = counters.packets
            snapshot.bytes_received = counters.octets
            snapshot.queries_received = counters.queries
            snapshot.responses_received = counters.responses
            snapshot.malformed_dropped = counters.malformed
            snapshot.off_link_dropped = counters.off_link
            snapshot.ignored = counters.ignored
        return EngineStatistics(
            interfaces=interfaces,
            malformed_dropped=stats.malformed_dropped,
            conflicts=stats.conflicts,
            renames=stats.renames,
            registrations=stats.registrations,
            cache_size=self._querier.statistics().cache_size,
            internal_errors=stats.internal_errors,
            truncated_dropped=stats.truncated_dropped,
        )

    def close(self, now: float) -> None:
        """Say goodbye (TTL 0) for everything published and stop; idempotent (§10.1).

        The goodbyes are read out with :meth:`datagrams_to_send` as usual.
        """
        if self._closed:
            return
        self._learn_at = None  # the cache is cleared below: nothing left to learn
        self._to_learn.clear()
        self._responder.close(now)
        for query in self._querier.queries:
            self._querier.stop_query(query, now)
        self._querier.cache.clear(now)
        self._parsed.clear()
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise UsageError("engine", "not closed (close() was called)")


def _check_index(index: int) -> int:
    if not isinstance(index, int) or isinstance(index, bool) or index <= 0:
        raise UsageError("interface", "a positive interface index", index)
    return index


def _check_addresses(addresses: Sequence[InterfaceAddress]) -> tuple[InterfaceAddress, ...]:
    if isinstance(addresses, str | bytes):
        raise UsageError("addresses", "a sequence of IPv4Interface/IPv6Interface", addresses)
    out = tuple(addresses)
    for address in out:
        if not isinstance(address, IPv4Interface | IPv6Interface):
            raise UsageError("addresses", "IPv4Interface or IPv6Interface values", address)
    return out


def _check_mtu(mtu: int) -> int:
    if not isinstance(mtu, int) or not 576 <= mtu <= 65535:
        raise UsageError("mtu", "an integer from 576 to 65535", mtu)
    return mtu
