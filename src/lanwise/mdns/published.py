"""What the responder publishes, indexed: record sets, owners of names and records.

The responder decides *when* records are probed, announced, answered and
withdrawn; this module holds *what* they are. Per registration (and, for the
host's address records, per interface) a :class:`RecordSet`; and the indexes the
hot paths need in one dict hit: which registrations own a name, which unique
names are being probed and by whom, and how many registrations publish each
record (one record, such as a service type's ``_services`` PTR, may be published
by many). :class:`PublishedView` is what one interface answers with (the
``RecordView`` the answers module reads), cached until :attr:`generation` moves:
on every change to the records (here) and every state transition (the responder
calls :meth:`PublishedRecords.changed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lanwise.dns import SRV, Name, Question, Record
from lanwise.mdns.answering import RecordKey
from lanwise.mdns.answers import additionals_for
from lanwise.mdns.records_state import ANSWERING_STATES
from lanwise.mdns.registration import EngineRegistration, RegistrationKind

__all__ = ["PublishedRecords", "PublishedView", "RecordSet"]


class RecordSet:
    """The records one registration publishes on one interface."""

    __slots__ = (
        "all",
        "by_name",
        "probe",
        "probed",
        "questions",
        "shared",
        "srv_targets",
        "unique",
    )

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
        # The probe's questions (one per probed name), kept for the responder's probes.
        self.questions: tuple[Question, ...] = ()
        # Host names the SRV records point at: announcements add those hosts' addresses.
        self.srv_targets = frozenset(
            r.rdata.target for r in self.unique if isinstance(r.rdata, SRV)
        )
        self.by_name: dict[Name, list[Record]] = {}
        for record in self.all:
            self.by_name.setdefault(record.name, []).append(record)


class PublishedRecords:
    """Every registration's record sets and the indexes over them."""

    __slots__ = (
        "_answerable",
        "_answerable_generation",
        "_at_cache",
        "_at_generation",
        "_at_keys",
        "_extra_cache",
        "_extra_generation",
        "_keys",
        "_names_of",
        "_probe_names_of",
        "_views",
        "generation",
        "host",
        "host_sets",
        "key_refs",
        "owners",
        "probed_names",
        "services",
    )

    def __init__(self, host: EngineRegistration) -> None:
        self.host = host
        self.services: dict[EngineRegistration, RecordSet] = {}  # services and aliases
        self.host_sets: dict[int, RecordSet] = {}  # the host's address records, per interface
        self.owners: dict[Name, dict[EngineRegistration, None]] = {}
        # Every name being probed or defended, and whose: a registration's own name;
        # another host's reverse names too (AddressRecords).
        self.probed_names: dict[Name, EngineRegistration] = {}
        self.key_refs: dict[RecordKey, int] = {}  # how many registrations publish each record
        self._keys: dict[EngineRegistration, frozenset[RecordKey]] = {}
        self._names_of: dict[EngineRegistration, set[Name]] = {}
        self._probe_names_of: dict[EngineRegistration, set[Name]] = {}
        # The caches below are valid while ``generation`` is unchanged.
        self.generation = 0
        self._extra_generation = -1  # additional records per (interface, answer)
        self._extra_cache: dict[tuple[int, RecordKey], list[Record]] = {}
        self._at_generation = -1  # PublishedView.at's records per (interface, name)
        self._at_cache: dict[tuple[int, Name], list[Record]] = {}
        self._at_keys: dict[tuple[int, Name], dict[RecordKey, tuple[Record, ...]]] = {}
        self._answerable_generation = -1  # answers_for's keys per interface
        self._answerable: dict[int, frozenset[RecordKey]] = {}
        self._views: dict[int, PublishedView] = {}

    def changed(self) -> None:
        """What is answerable changed (a state transition): cached views are stale."""
        self.generation += 1

    def view(self, index: int) -> PublishedView:
        view = self._views.get(index)
        if view is None:  # one per interface, asked for on every query
            view = self._views[index] = PublishedView(self, index)
        return view

    def record_set(self, registration: EngineRegistration, index: int) -> RecordSet | None:
        if registration is self.host:
            return self.host_sets.get(index)
        return self.services.get(registration)

    def all_sets(self, registration: EngineRegistration) -> Iterable[RecordSet]:
        if registration is self.host:
            return self.host_sets.values()
        record_set = self.services.get(registration)
        return () if record_set is None else (record_set,)

    def keys_of(self, registration: EngineRegistration) -> frozenset[RecordKey]:
        """The keys of every record ``registration`` publishes."""
        keys = self._keys.get(registration)
        if keys is None:
            keys = frozenset(r.key for s in self.all_sets(registration) for r in s.all)
        return keys

    def add(self, registration: EngineRegistration) -> None:
        """Index ``registration``'s record sets (set them in ``services``/``host_sets`` first)."""
        keys: set[RecordKey] = set()
        names: set[Name] = set()
        for record_set in self.all_sets(registration):
            for record in record_set.all:
                names.add(record.name)
                keys.add(record.key)
        for name in names:
            self.owners.setdefault(name, {})[registration] = None
        self._names_of[registration] = names
        self._keys[registration] = frozenset(keys)
        self.generation += 1
        refs = self.key_refs
        for key in keys:
            refs[key] = refs.get(key, 0) + 1
        probed = {registration.name}
        if registration.kind is RegistrationKind.ADDRESSES:
            probed.update(r.name for s in self.all_sets(registration) for r in s.probed)
        for name in probed:
            self.probed_names[name] = registration
        self._probe_names_of[registration] = probed

    def remove(self, registration: EngineRegistration) -> frozenset[RecordKey]:
        """Take ``registration`` out of the indexes; returns the keys it published."""
        for name in self._names_of.pop(registration, ()):
            owners = self.owners.get(name)
            if owners is not None:
                owners.pop(registration, None)
                if not owners:
                    del self.owners[name]
        keys = self._keys.pop(registration, frozenset())
        self.generation += 1
        refs = self.key_refs
        for key in keys:
            count = refs.get(key, 0) - 1
            if count > 0:
                refs[key] = count
            else:
                refs.pop(key, None)
        for name in self._probe_names_of.pop(registration, {registration.name}):
            if self.probed_names.get(name) is registration:
                del self.probed_names[name]
        return keys

    def reindex(self, registration: EngineRegistration) -> frozenset[RecordKey]:
        """Re-read a registration's records (new addresses, name or rdata) into the indexes.

        Returns the keys it no longer publishes.
        """
        old_keys = self.remove(registration)
        self.add(registration)
        return old_keys - self._keys[registration]

    def answers_for(self, index: int, record: Record) -> bool:
        """Is ``record`` (name, type, class, rdata) answered on interface ``index`` now?"""
        if record.name not in self.owners:
            return False  # not a name we publish (the common case, one dict hit)
        if self._answerable_generation != self.generation:
            self._answerable.clear()
            self._answerable_generation = self.generation
        keys = self._answerable.get(index)
        if keys is None:  # built once per interface until anything changes
            view = PublishedView(self, index)
            keys = frozenset(r.key for name in self.owners for r in view.at(name))
            self._answerable[index] = keys
        return record.key in keys


class PublishedView:
    """The records answerable on one interface (the RecordView of the answers module)."""

    __slots__ = ("_index", "_published")

    def __init__(self, published: PublishedRecords, index: int) -> None:
        self._published = published
        self._index = index

    @property
    def generation(self) -> int:
        """Moves whenever what is answerable changes (see :class:`PublishedRecords`)."""
        return self._published.generation

    def at(self, name: Name) -> list[Record]:
        """Read-only: the list may be shared (cached until anything changes)."""
        published = self._published
        owners = published.owners.get(name)
        if not owners:
            return []
        # Every question and additional record asks this; with many services under
        # one type it walks every registration. Cached like additionals() below;
        # only names we own get here, so the cache is bounded by what we publish.
        if published._at_generation != published.generation:
            published._at_cache.clear()
            published._at_keys.clear()
            published._at_generation = published.generation
        key = (self._index, name)
        cached = published._at_cache.get(key)
        if cached is not None:
            return cached
        out: list[Record] = []
        # Registrations may publish the identical record (every service of a type has
        # the same _services PTR): list it once, so it is answered and scheduled once.
        where: dict[RecordKey, int] = {}
        for registration in owners:
            entry = registration._entries.get(self._index)
            if entry is None or entry.state not in ANSWERING_STATES:
                continue
            records = published.record_set(registration, self._index)
            if records is None:
                continue
            for record in records.by_name.get(name, ()):
                at = where.get(record.key)
                if at is None:
                    where[record.key] = len(out)
                    out.append(record)
                elif record.ttl > out[at].ttl:
                    out[at] = record  # the longest TTL: §7.1 suppression judges against it
        published._at_cache[key] = out
        return out

    def with_key(self, record: Record) -> tuple[Record, ...]:
        """What :meth:`at` holds with ``record``'s key (name, type, class, rdata), in order.

        One dict hit instead of a walk over :meth:`at`, which under a service type's
        name lists every instance: a response full of such PTRs would cost O(N²)
        in §6.6 TTL repair.
        """
        records = self.at(record.name)
        if not records:
            return ()
        published = self._published
        key = (self._index, record.name)
        by_key = published._at_keys.get(key)
        if by_key is None:
            grouped: dict[RecordKey, list[Record]] = {}
            for owned in records:
                grouped.setdefault(owned.key, []).append(owned)
            by_key = {k: tuple(v) for k, v in grouped.items()}
            published._at_keys[key] = by_key
        return by_key.get(record.key, ())

    def owns_uniquely(self, name: Name) -> bool:
        return any(r.cache_flush for r in self.at(name))

    def additionals(self, answer: Record) -> list[Record]:
        """RFC 6763 §12 additional records for ``answer`` here (cached until anything changes)."""
        published = self._published
        if published._extra_generation != published.generation:
            published._extra_cache.clear()
            published._extra_generation = published.generation
        key = (self._index, answer.key)
        extra = published._extra_cache.get(key)
        if extra is None:
            extra = additionals_for((answer,), self)
            published._extra_cache[key] = extra
        return extra
