"""Resolving one instance, host or address: queries, then the cache until settled.

Each resolve asks its questions through :class:`~lanwise.dnssd.querying.Questions`
and reads the answers from the cache each time it changes, in one wait loop
(:func:`wait_for_answers`): it returns once the answer is whole, or
:data:`RESOLVE_SETTLE` after a first complete answer, or at the timeout with what
it has. What an instance resolves to is :func:`~lanwise.dnssd.resolution.resolve_instance`,
the browser's rule too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Final, TypeVar

from lanwise.dns import PTR, Name, RRType
from lanwise.dnssd.model import AddressInfo, HostInfo, IPAddress, ServiceInfo
from lanwise.dnssd.names import ServiceType
from lanwise.dnssd.querying import Questions
from lanwise.dnssd.resolution import resolve_instance
from lanwise.errors import LanwiseError
from lanwise.mdns.querier import Query

__all__ = [
    "DEFAULT_RESOLVE_TIMEOUT",
    "RESOLVE_SETTLE",
    "ResolveTimeoutError",
    "cached_service",
    "resolve_address",
    "resolve_host",
    "resolve_service",
    "wait_for_answers",
]

# Once a resolve has a complete answer on one interface, how long it waits for
# the other interfaces and the other address family to answer too. The records
# of one responder arrive together (RFC 6763 §12), so this only matters for
# multi-homed peers; 250 ms spans the 20-120 ms shared-answer delay (RFC 6762 §6)
# with room for a second responder's packet.
RESOLVE_SETTLE: Final = 0.25
DEFAULT_RESOLVE_TIMEOUT: Final = 5.0

T = TypeVar("T")


class ResolveTimeoutError(LanwiseError, TimeoutError):
    """Nothing answered a resolve within its timeout."""


async def wait_for_answers(
    questions: Questions,
    read: Callable[[], tuple[T | None, bool, bool]],
    *,
    timeout: float,
    failure: str,
) -> T:
    """Call ``read()`` now and whenever the cache changes, until its answer is in.

    ``read`` returns (the answer so far or None, complete somewhere, whole). A
    whole answer returns at once; a complete one :data:`RESOLVE_SETTLE` seconds
    after it first was; at ``timeout`` what there is returns, and with nothing
    :class:`ResolveTimeoutError` (``failure``) is raised.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    waker = questions.waker()
    complete_at: float | None = None
    try:
        while True:
            answer, complete, whole = read()
            now = loop.time()
            if complete and complete_at is None:
                complete_at = now
            if answer is not None and (
                whole or (complete_at is not None and now >= complete_at + RESOLVE_SETTLE)
            ):
                return answer
            if now >= deadline:
                if answer is not None:
                    return answer
                raise ResolveTimeoutError(failure)
            wake_at = (
                deadline if complete_at is None else min(deadline, complete_at + RESOLVE_SETTLE)
            )
            waker.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waker.wait(), max(0.0, wake_at - now))
    finally:
        questions.drop_waker(waker)


def _instance(label: str, stype: ServiceType) -> Name:
    return Name.from_labels((label, *stype.labels))


async def resolve_service(
    questions: Questions,
    label: str,
    stype: ServiceType,
    *,
    only: frozenset[int] | None,
    timeout: float,
) -> ServiceInfo:
    """Host, port, TXT and addresses of ``label`` under ``stype`` (see Responder.resolve)."""
    instance = _instance(label, stype)
    queries: dict[tuple[Name, int], Query] = {}

    def read() -> tuple[ServiceInfo | None, bool, bool]:
        state = resolve_instance(
            instance,
            label,
            stype,
            interfaces=questions.served(only),
            lookup=questions.lookup,
            addresses=questions.addresses(),
        )
        wanted = {(instance, int(RRType.SRV)), (instance, int(RRType.TXT))}
        for host in state.hosts.values():
            wanted |= {(host, int(t)) for t in questions.address_types}
        for key in wanted - queries.keys():
            queries[key] = questions.start(*key)
        return state.info, state.complete, state.settled

    try:
        return await wait_for_answers(
            questions,
            read,
            timeout=timeout,
            failure=f"no answer for {label}.{stype}.{stype.domain}",
        )
    finally:
        for query in queries.values():
            questions.stop(query)


def cached_service(questions: Questions, label: str, stype: ServiceType) -> ServiceInfo | None:
    """What the cache knows now about an instance (no query is sent), or None."""
    return resolve_instance(
        _instance(label, stype),
        label,
        stype,
        interfaces=questions.served(None),
        lookup=questions.lookup,
        addresses=questions.addresses(),
    ).info


async def resolve_host(
    questions: Questions, name: Name, *, only: frozenset[int] | None, timeout: float
) -> HostInfo:
    """The addresses of ``name`` per interface (see Responder.resolve_host)."""
    queries = [questions.start(name, rtype) for rtype in questions.address_types]

    def read() -> tuple[HostInfo | None, bool, bool]:
        reader = questions.addresses()
        addresses: dict[int, tuple[IPAddress, ...]] = {}
        for index in questions.served(only):
            found = reader.addresses(index, name)
            if found:
                addresses[index] = found
        if not addresses:
            return None, False, False
        versions = {a.version for found in addresses.values() for a in found}
        return HostInfo(str(name), addresses), True, versions == set(questions.families)

    try:
        return await wait_for_answers(
            questions, read, timeout=timeout, failure=f"no address for {name}"
        )
    finally:
        for query in queries:
            questions.stop(query)


async def resolve_address(
    questions: Questions,
    ip: IPAddress,
    name: Name,
    *,
    only: frozenset[int] | None,
    timeout: float,
    shown: str,
) -> AddressInfo:
    """The names of ``ip``'s reverse-mapping PTR ``name`` per interface (see
    Responder.resolve_address); with ``only``, asked on those interfaces alone."""
    where: list[int | None] = [None] if only is None else [i for i in sorted(only)]
    queries = [questions.start(name, RRType.PTR, interface=i) for i in where]
    # One interface asked: its answer is the whole answer. Otherwise wait a
    # little for the other links (the same address may name a host on each).
    one_link = len(where) == 1 and where[0] is not None

    def read() -> tuple[AddressInfo | None, bool, bool]:
        names: dict[int, tuple[str, ...]] = {}
        for index in questions.served(only):
            found = [
                str(r.rdata.target)
                for r in questions.lookup(name, RRType.PTR, index)
                if isinstance(r.rdata, PTR)
            ]
            if found:
                names[index] = tuple(sorted(dict.fromkeys(found)))
        if not names:
            return None, False, False
        return AddressInfo(ip, names), True, one_link

    try:
        return await wait_for_answers(
            questions,
            read,
            timeout=timeout,
            failure=f"no .local name for {shown} (no PTR answer)",
        )
    finally:
        for query in queries:
            questions.stop(query)
