"""A deliberately broken mDNS responder: each check the suite adds needs a target
that breaks exactly that rule, and the real responders (lanwise, avahi,
python-zeroconf) break none of them on purpose.

It is small and plain on purpose (one IPv4 socket, a thread, a timer list): it
answers what the suite asks, probes and announces on ``restart()``, and breaks
the rules named in its :class:`Faults`. It is not a model responder.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import random
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address

from lanwise.dns import (
    NSEC,
    PTR,
    SRV,
    TXT,
    A,
    Flag,
    Message,
    MessageBuilder,
    Name,
    Question,
    Record,
    RRType,
    WireFormatError,
    parse_message,
)
from tests.harness import Host

GROUP = "224.0.0.251"
PORT = 5353
SERVICES = Name("_services._dns-sd._udp.local")
RESPONSE = int(Flag.QR | Flag.AA)


@dataclass(frozen=True, slots=True)
class Faults:
    """What the target gets wrong (the defaults get nothing wrong)."""

    probe_authority: bool = True  # False: probes carry no Authority section
    probe_host: bool = True  # False: the host name is never probed
    announce_flush: bool = True  # False: unique records announced without cache-flush
    announce_gap: float = 1.0  # seconds between the two announcements
    srv_target: str | None = None  # the SRV target, e.g. "vm" (default: the host name)
    known_answers: bool = True  # False: known answers never suppress an answer
    tie_break: bool = True  # False: simultaneous probes are ignored (§8.2)
    probe_delay: float = 0.02  # seconds from a restart to the first probe (§8.1: <= 0.25)
    tc_delay: float = 0.45  # seconds an answer to a TC query waits (§7.2: 0.4-0.5)
    shared_delay: float | None = None  # a fixed delay for shared answers (§6: random)
    deaf_queries: int = 0  # the first N queries after announcing go unanswered (lost)


class ScriptedTarget:
    """One service ``instance`` of ``service_type`` on ``host_name``, on ``host``'s eth0."""

    def __init__(
        self,
        host: Host,
        faults: Faults,
        *,
        host_name: str,
        instance: str,
        service_type: str,
        port: int = 8080,
    ) -> None:
        self.host = host
        self.faults = faults
        self.host_name = Name(f"{host_name}.local")
        self.base = instance
        self.instance = instance
        self.service_type = Name(f"{service_type}.local")
        self.port = port
        self.address = host.ipv4()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._generation = 0  # bumped on each restart or rename: stale timers do nothing
        self._announced = False
        self._deaf = faults.deaf_queries
        self._lock = threading.Lock()
        self._stop = threading.Event()
        with host.entered():
            self._sock = self._open(host.ifindex())
        self._thread = threading.Thread(target=self._run, name="scripted-target", daemon=True)

    # -- records --------------------------------------------------------------------------
    @property
    def service(self) -> Name:
        return Name.from_labels((self.instance, *self.service_type.labels))

    @property
    def srv_target(self) -> Name:
        return Name(self.faults.srv_target) if self.faults.srv_target else self.host_name

    def unique(self, ttl_scale: int = 1) -> list[Record]:
        return [
            Record.of(self.service, SRV(0, 0, self.port, self.srv_target), 120 * ttl_scale),
            Record.of(self.service, TXT((b"path=/",)), 4500 * ttl_scale),
            Record.of(self.srv_target, A(self.address), 120 * ttl_scale),
        ]

    def shared(self, ttl_scale: int = 1) -> list[Record]:
        return [
            Record.of(self.service_type, PTR(self.service), 4500 * ttl_scale),
            Record.of(SERVICES, PTR(self.service_type), 4500 * ttl_scale),
        ]

    def _flush(self, records: list[Record], flush: bool) -> list[Record]:
        return [Record(r.name, r.rtype, r.rclass, r.ttl, r.rdata, flush) for r in records]

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        with self._lock:
            self._begin(0.0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(3)
        self._sock.close()

    def restart(self) -> None:
        """Goodbyes for the service, then probing and announcing anew."""
        with self._lock:
            goodbyes = self.unique(ttl_scale=0)[:2] + self.shared(ttl_scale=0)[:1]
            self._send(Message(flags=RESPONSE, answers=tuple(goodbyes)))
            self.instance = self.base
            self._begin(self.faults.probe_delay)

    def _all(self, ttl_scale: int = 1) -> list[Record]:
        return self.unique(ttl_scale) + self.shared(ttl_scale)

    def _begin(self, delay: float) -> None:
        self._generation += 1
        self._announced = False
        generation = self._generation
        now = time.monotonic()
        for k in range(3):
            self._at(now + delay + 0.25 * k, generation, self._probe)
        first = now + delay + 0.75
        self._at(first, generation, self._announce)
        self._at(first + self.faults.announce_gap, generation, self._announce)

    def _at(self, when: float, generation: int, action: Callable[[], None]) -> None:
        def guarded() -> None:
            if generation == self._generation:
                action()

        heapq.heappush(self._timers, (when, next(self._seq), guarded))

    def _probe(self) -> None:
        names = [self.service]
        if self.faults.probe_host:
            names.append(self.srv_target)
        questions = tuple(Question(n, RRType.ANY, unicast_response=True) for n in names)
        authority: tuple[Record, ...] = ()
        if self.faults.probe_authority:
            authority = tuple(r for r in self.unique() if r.name in names)
        self._send(Message(questions=questions, authorities=authority))

    def _announce(self) -> None:
        self._announced = True
        answers = self._flush(self.unique(), self.faults.announce_flush) + self.shared()
        self._send(Message(flags=RESPONSE, answers=tuple(answers)))

    def _rename(self) -> None:
        number = 2
        if self.instance.endswith(")") and " (" in self.instance:
            number = int(self.instance.rsplit(" (", 1)[1][:-1]) + 1
        self.instance = f"{self.base} ({number})"
        self._begin(0.0)

    # -- the wire ------------------------------------------------------------------------
    def _open(self, ifindex: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        mreqn = socket.inet_aton(GROUP) + bytes(4) + struct.pack("=i", ifindex)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
        sock.bind(("0.0.0.0", PORT))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
        return sock

    def _send(self, message: Message, to: tuple[str, int] = (GROUP, PORT)) -> None:
        builder = MessageBuilder(id=message.id, flags=message.flags)
        for q in message.questions:
            builder.add_question(q)
        for r in message.answers:
            builder.add_answer(r)
        for r in message.authorities:
            builder.add_authority(r)
        for r in message.additionals:
            builder.add_additional(r)
        with contextlib.suppress(OSError):
            self._sock.sendto(builder.to_wire(), to)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    _, _, action = heapq.heappop(self._timers)
                    action()
                wait = min(0.05, self._timers[0][0] - now) if self._timers else 0.05
            try:
                ready, _, _ = select.select([self._sock], [], [], max(0.0, wait))
                if not ready:
                    continue
                data, source = self._sock.recvfrom(9000)
            except (OSError, ValueError):
                return
            if IPv4Address(source[0]) == self.address:
                continue
            try:
                message = parse_message(data)
            except WireFormatError:
                continue
            with self._lock:
                self._receive(message, source)

    # -- behaviour -----------------------------------------------------------------------
    def _receive(self, message: Message, source: tuple[str, int]) -> None:
        mine = {r.key for r in self._all()}
        if message.is_response:
            conflict = any(
                r.name == self.service and r.ttl > 0 and r.key not in mine for r in message.answers
            )
            if conflict:  # §9: someone else claims the name: pick another
                self._rename()
            return
        if message.authorities:
            proposed = [r for r in message.authorities if r.name == self.service]
            if proposed and not self._announced and self.faults.tie_break:
                theirs = sorted(r.rdata.to_wire() for r in proposed)
                ours = sorted(r.rdata.to_wire() for r in self.unique() if r.name == self.service)
                if theirs > ours:  # §8.2: we lose; probe again in a second
                    self._generation += 1
                    generation = self._generation
                    now = time.monotonic()
                    for k in range(3):
                        self._at(now + 1.0 + 0.25 * k, generation, self._probe)
                    self._at(now + 1.75, generation, self._announce)
                    self._at(now + 2.75, generation, self._announce)
                return
        if not self._announced:
            return
        if self._deaf > 0:
            self._deaf -= 1
            return
        self._answer(message, source)

    def _answer(self, message: Message, source: tuple[str, int]) -> None:
        legacy = source[1] != PORT
        known = {r.key for r in message.answers if self.faults.known_answers}
        answers: list[Record] = []
        additionals: list[Record] = []
        nsec: list[Record] = []
        for q in message.questions:
            records = [
                r
                for r in self._all()
                if r.name == q.name and q.qtype in (RRType.ANY, r.rtype) and r.key not in known
            ]
            answers += records
            owned = [r for r in self._all() if r.name == q.name]
            if owned and not records and q.qtype != RRType.ANY and not message.answers:
                types = frozenset(r.rtype for r in owned)
                nsec.append(Record.of(q.name, NSEC(q.name, types), 4500))
            if q.qtype == RRType.PTR and records and q.name == self.service_type:
                additionals += [r for r in self.unique()]
        if not answers and not nsec:
            return
        unique = {RRType.SRV, RRType.TXT, RRType.A}
        if legacy:
            reply = Message(
                id=message.id,
                flags=RESPONSE,
                questions=message.questions,
                answers=tuple(Record(r.name, r.rtype, r.rclass, 10, r.rdata) for r in answers),
            )
            self._send(reply, source)
            return

        def flushed(records: list[Record]) -> tuple[Record, ...]:
            return tuple(
                Record(r.name, r.rtype, r.rclass, r.ttl, r.rdata, r.rtype in unique)
                for r in records
            )

        reply = Message(
            flags=RESPONSE,
            answers=flushed(answers),
            additionals=flushed([r for r in additionals if r not in answers] + nsec),
        )
        truncated = bool(message.flags & Flag.TC)
        shared = any(r.rtype == RRType.PTR for r in answers)
        spread = self.faults.shared_delay or random.uniform(0.02, 0.12)
        delay = self.faults.tc_delay if truncated else (spread if shared else 0.0)
        if delay:
            generation = self._generation
            self._at(time.monotonic() + delay, generation, lambda: self._send(reply))
        else:
            self._send(reply)
