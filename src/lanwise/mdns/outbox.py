"""The responder's outgoing queue: packing record groups into datagrams and counting them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from lanwise.dns import Flag, Question, Record
from lanwise.mdns.endpoints import MDNS_IPV4_ENDPOINT, MDNS_IPV6_ENDPOINT, Datagram, EngineEndpoint
from lanwise.mdns.links import Link
from lanwise.mdns.packets import Packer
from lanwise.mdns.statistics import EngineStatistics, InterfaceStatistics

__all__ = ["RESPONSE_FLAGS", "FrozenGroup", "Group", "Outbox"]

RESPONSE_FLAGS: Final = int(Flag.QR | Flag.AA)  # §18: QR and AA set, opcode and rcode 0
_QR: Final = int(Flag.QR)  # a plain int: ``int & IntFlag`` is slow enum arithmetic

_PACKED_CACHE_SIZE: Final = 64  # memoised packings (see Outbox.send_groups)
_PACKED_GROUPS_MAX: Final = 64  # ... of at most this many groups each
_LARGE_CACHE_SIZE: Final = 4  # larger batches kept, each packed once for every IP version
# Frozen packings kept (see Outbox.send_frozen_groups): most are one answer's group, and
# a busy link asks in turn for every answer of every service: more than a few dozen.
_FROZEN_CACHE_SIZE: Final = 512

# A group travels in one message: (questions, answers, authorities, additionals).
Group = tuple[Sequence[Question], Sequence[Record], Sequence[Record], Sequence[Record]]
# A group that never changes (see Outbox.send_frozen_groups).
FrozenGroup = tuple[
    tuple[Question, ...], tuple[Record, ...], tuple[Record, ...], tuple[Record, ...]
]
# A frozen packing: the groups (kept so their ids stay unique), the messages, their
# datagrams when multicast, and the records they carry.
_Frozen = tuple[tuple[FrozenGroup, ...], list[bytes], tuple[Datagram, ...], list[Record]]
_PackKey = tuple[int, int, tuple[tuple[int, ...], ...]]


class Outbox:
    """Datagrams waiting for the transport, with per-interface send counters."""

    __slots__ = ("_frozen", "_large", "_packed", "_stats", "datagrams", "multicast_records")

    def __init__(self, statistics: EngineStatistics) -> None:
        self.datagrams: list[Datagram] = []
        # (interface, records) of every multicast response queued: the engine caches its
        # own records from here instead of parsing its own packets again.
        self.multicast_records: list[tuple[int, list[Record]]] = []
        self._stats = statistics
        self._packed: dict[_PackKey, tuple[tuple[tuple[object, ...], ...], list[bytes]]] = {}
        # Large packings kept (see _pack_large): a probe round, an announcement, an answer.
        self._large: dict[_PackKey, tuple[tuple[tuple[object, ...], ...], list[bytes]]] = {}
        # Packings of frozen groups (see send_frozen_groups).
        self._frozen: dict[tuple[int, int, int, int, tuple[int, ...]], _Frozen] = {}

    @property
    def statistics(self) -> EngineStatistics:
        """The engine's counters this outbox (and its answer queue) counts into."""
        return self._stats

    def send(
        self, link: Link, version: int, data: bytes, destination: EngineEndpoint | None
    ) -> None:
        """Queue one datagram: to ``destination``, or to the mDNS group of ``version``."""
        if destination is None:
            destination = MDNS_IPV4_ENDPOINT if version == 4 else MDNS_IPV6_ENDPOINT
        self.datagrams.append(Datagram(data, destination, link.index))
        stats = self._interface_stats(link.index)
        stats.packets_sent += 1
        stats.bytes_sent += len(data)

    def send_groups(
        self,
        link: Link,
        version: int,
        groups: Iterable[Group],
        *,
        flags: int = RESPONSE_FLAGS,
        destination: EngineEndpoint | None = None,
    ) -> None:
        """Pack ``groups`` into as few messages as the interface's size limit allows (§17)."""
        limit = link.payload_limit(version if destination is None else destination.address.version)
        groups = list(groups)
        if destination is None and flags & _QR:
            self.multicast_records.append(
                (link.index, [r for g in groups for section in g[1:] for r in section])
            )
        # A responder sends the same answers again and again (every browse for a
        # service type gets the same PTR, SRV, TXT and addresses), and packing is a
        # pure function of the (immutable) records, the limit and the flags. So the
        # datagrams are memoised by the identity of every record and question; the
        # entry holds those objects (a snapshot: callers may reuse their lists), so
        # the identities stay unique while it lives.
        # Large batches (a browse answered with every one of many services) are packed
        # for the smallest limit of the link's IP versions and kept apart, so the
        # same question asked over IPv4 and IPv6 at once is packed once.
        if len(groups) > _PACKED_GROUPS_MAX:
            packets = self._pack_large(link, link.versions or (version,), groups, flags)
        else:
            sections = tuple([tuple(section) for g in groups for section in g])
            key = (limit, flags, tuple([tuple(map(id, section)) for section in sections]))
            cached = self._packed.get(key)
            if cached is None:
                packets = _pack(groups, limit, flags)
                if len(self._packed) >= _PACKED_CACHE_SIZE:
                    del self._packed[next(iter(self._packed))]  # the oldest entry
                self._packed[key] = (sections, packets)
            else:
                packets = cached[1]
        for data in packets:
            self.send(link, version, data, destination)

    def send_frozen_groups(
        self,
        link: Link,
        version: int,
        groups: Sequence[FrozenGroup],
        *,
        destination: EngineEndpoint | None = None,
    ) -> None:
        """:meth:`send_groups` (response flags) for groups that are tuples of tuples.

        Such groups never change, so the packing is memoised by the identity of the
        groups alone (the answer queue keeps one group per answer and sends the same
        ones again and again), and with it the list of records sent and, multicast,
        the datagrams themselves (immutable too).
        """
        if len(groups) > _PACKED_GROUPS_MAX:
            self.send_groups(link, version, groups, destination=destination)
            return
        to = 0 if destination is None else destination.address.version
        key = (link.index, link.mtu, version, to, tuple(map(id, groups)))
        cached = self._frozen.get(key)
        if cached is None:
            frozen = tuple(groups)  # holds the groups: their ids stay unique while kept
            records = [r for g in frozen for section in g[1:] for r in section]
            packets = _pack(frozen, link.payload_limit(to or version), RESPONSE_FLAGS)
            datagrams: tuple[Datagram, ...] = ()
            if destination is None:
                group = MDNS_IPV4_ENDPOINT if version == 4 else MDNS_IPV6_ENDPOINT
                datagrams = tuple([Datagram(data, group, link.index) for data in packets])
            cached = (frozen, packets, datagrams, records)
            if len(self._frozen) >= _FROZEN_CACHE_SIZE:
                del self._frozen[next(iter(self._frozen))]  # the oldest entry
            self._frozen[key] = cached
        if destination is not None:
            for data in cached[1]:
                self.send(link, version, data, destination)
            return
        self.multicast_records.append((link.index, cached[3]))
        stats = self._interface_stats(link.index)
        for datagram in cached[2]:
            self.datagrams.append(datagram)
            stats.packets_sent += 1
            stats.bytes_sent += len(datagram.data)

    def _interface_stats(self, index: int) -> InterfaceStatistics:
        stats = self._stats.interfaces.get(index)
        if stats is None:  # (setdefault would build a throwaway default per datagram)
            stats = self._stats.interfaces[index] = InterfaceStatistics()
        return stats

    def multicast_groups(
        self,
        link: Link,
        versions: Sequence[int],
        groups: Iterable[Group],
        *,
        flags: int = RESPONSE_FLAGS,
    ) -> None:
        """:meth:`send_groups` to the mDNS group of each IP version in ``versions``.

        A large batch (probing or announcing hundreds of services, §8.1, §8.3) is
        packed once, under the smallest of the versions' size limits, and the same
        messages go out on every version: each fits every limit (§17), and the
        packing, the costliest step, is not repeated per version. The last few
        large packings are kept by the identity of their records and questions,
        so the second and third probes of a round (the same groups again) cost
        nothing, nor does the same large answer asked for again.
        """
        groups = list(groups)
        if not self.packs_large(len(groups), versions):
            for version in versions:
                self.send_groups(link, version, groups, flags=flags)
            return
        packets = self._pack_large(link, versions, groups, flags)
        for version in versions:
            if flags & _QR:
                self.multicast_records.append(
                    (link.index, [r for g in groups for section in g[1:] for r in section])
                )
            for data in packets:
                self.send(link, version, data, None)

    @staticmethod
    def packs_large(count: int, versions: Sequence[int]) -> bool:
        """Would :meth:`multicast_groups` pack ``count`` groups as one large batch (and keep it)?"""
        return count > _PACKED_GROUPS_MAX and bool(versions)

    def prepare_multicast(
        self,
        link: Link,
        versions: Sequence[int],
        groups: Sequence[Group],
        *,
        flags: int = RESPONSE_FLAGS,
    ) -> None:
        """Pack a large batch now, to be sent later by :meth:`multicast_groups`.

        Packing a thousand services' announcement takes tens of milliseconds;
        done in the quiet wait after the last probe (§8.1), the announcement
        itself leaves on time. Sending the same groups reuses this packing;
        anything else is packed afresh, so a wrong guess costs only time.
        """
        if self.packs_large(len(groups), versions):
            self._pack_large(link, versions, groups, flags)

    def _pack_large(
        self, link: Link, versions: Sequence[int], groups: Sequence[Group], flags: int
    ) -> list[bytes]:
        limit = min(link.payload_limit(version) for version in versions)
        sections = tuple([tuple(section) for g in groups for section in g])
        key = (limit, flags, tuple([tuple(map(id, section)) for section in sections]))
        kept = self._large.get(key)
        if kept is not None:
            return kept[1]
        packets = _pack(groups, limit, flags)
        if len(self._large) >= _LARGE_CACHE_SIZE:
            del self._large[next(iter(self._large))]  # the oldest entry
        self._large[key] = (sections, packets)  # sections keep the ids unique
        return packets


def _pack(groups: Sequence[Group], limit: int, flags: int) -> list[bytes]:
    """Groups in order, each whole in one message where it fits (§17).

    A group that needs a message to itself may leave additional records over
    (RFC 6763 §12 asks for them): they continue in the next message, ahead of
    the following groups, rather than being dropped.
    """
    packets: list[bytes] = []
    packer = Packer(limit, flags=flags)
    for questions, answers, authorities, additionals in groups:
        if not packer.add(
            questions=questions,
            answers=answers,
            authorities=authorities,
            additionals=additionals,
        ):
            if not packer.empty:
                packets.append(packer.build())
            packer = Packer(limit, flags=flags)
            packer.add(
                questions=questions,
                answers=answers,
                authorities=authorities,
                additionals=additionals,
            )
        while packer.left_over:
            left = packer.left_over
            packets.append(packer.build())
            packer = Packer(limit, flags=flags)
            packer.add(additionals=left)
    if not packer.empty:
        packets.append(packer.build())
    return packets
