"""Browse and resolve DNS-SD services in a unicast DNS domain (RFC 6763 over RFC 1035).

Browsing asks for the PTR records of ``_type._proto.DOMAIN`` (RFC 6763 §4);
resolving asks for each instance's SRV and TXT (§5, §6) and the target host's
A and AAAA. Many instances are resolved over one pipelined TCP connection
(RFC 7766 §6.2.1.1). A browse asks again when the answers' TTLs run out, no
more often than the poll floor (:mod:`lanwise.widearea.polling`), and turns
each difference into the same events as a ``.local`` browse. Unicast results
are not tied to a link: their interface index is 0.

Where the domain has a DNS Push server (``_dns-push-tls._tcp.<domain>`` SRV,
RFC 8765 §6.1) a browse subscribes to the PTR records instead, and when
resolving to each instance's SRV and TXT and each target's A and AAAA, so
changes arrive as the server sees them. If the session cannot be set up or
ends, the browse polls and tries Push again after :data:`PUSH_RETRY` seconds
(or the server's Retry Delay).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.rrset

from lanwise.dnssd.model import BrowseEvent, IPAddress, ServiceInfo
from lanwise.dnssd.names import ServiceType
from lanwise.dso.push import Question
from lanwise.errors import UsageError
from lanwise.net.resolvers import RESOLV_CONF
from lanwise.widearea.client import DnsClient, ServerAddress
from lanwise.widearea.errors import DnsServerError
from lanwise.widearea.polling import (
    DEFAULT_POLL_FLOOR,
    MIN_POLL_FLOOR,
    UNICAST_INTERFACE,
    BrowseSnapshot,
    PollTimer,
)
from lanwise.widearea.push import (
    PushError,
    PushState,
    PushSubscriber,
    find_push_server,
    push_ssl_context,
)
from lanwise.widearea.servers import ServersInput, pick_servers

__all__ = [
    "PUSH_RETRY",
    "PushBrowseView",
    "browse",
    "domain_name",
    "list_instances",
    "resolve",
    "resolve_many",
    "unicast_type",
]

_log = logging.getLogger(__name__)
PUSH_RETRY = 60.0  # seconds of polling before Push is tried again after it failed or was absent
SETTLE_AFTER_ANSWER = 0.2  # seconds a SUBSCRIBE's first PUSH may trail its response
PUSH_DISCOVERY_TIMEOUT = 2.0  # seconds for the _dns-push-tls._tcp SRV and its target's addresses
PTR, SRV, TXT, A, AAAA, SOA = (
    dns.rdatatype.PTR,
    dns.rdatatype.SRV,
    dns.rdatatype.TXT,
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
    dns.rdatatype.SOA,
)


def domain_name(domain: str, *, field: str = "domain") -> dns.name.Name:
    """A unicast domain as an absolute name; ``local`` is refused (that is multicast)."""
    if not isinstance(domain, str) or not domain.strip(" ."):
        raise UsageError(field, "must be a DNS domain such as 'example.test'", domain)
    try:
        name = dns.name.from_text(domain.strip())
    except dns.exception.DNSException as exc:
        raise UsageError(field, f"is not a valid DNS name ({exc})", domain) from None
    if name.labels[-2:-1] == (b"local",) and len(name.labels) == 2:
        raise UsageError(field, "'local' is served by multicast DNS, not a unicast server", domain)
    return name


def unicast_type(type: ServiceType | str, domain: dns.name.Name) -> ServiceType:
    """The service type placed in ``domain`` (``_http._tcp`` in ``example.test``)."""
    stype = type if isinstance(type, ServiceType) else ServiceType.parse(type)
    return ServiceType(stype.service, stype.protocol, domain.to_text(omit_final_dot=True))


def _answer(reply: dns.message.Message, name: dns.name.Name, rdtype: int) -> dns.rrset.RRset | None:
    for rrset in reply.answer:
        if rrset.name == name and rrset.rdtype == rdtype:
            return rrset
    return None


def _negative_ttl(reply: dns.message.Message) -> int:
    # RFC 2308 §5: a negative answer lives for min(SOA TTL, SOA MINIMUM).
    for rrset in reply.authority:
        if rrset.rdtype == SOA:
            return min(rrset.ttl, *(int(rdata.minimum) for rdata in rrset))
    return 0


def _host_text(name: dns.name.Name) -> str:
    # The labels as text, as a .local host name is: the CLI escapes them for display
    # (DNS presentation format here would show a backslash twice).
    return ".".join(label.decode("utf-8", "surrogateescape") for label in name.labels if label)


def _instance_label(target: dns.name.Name, base: dns.name.Name) -> str | None:
    if not target.is_subdomain(base) or len(target) != len(base) + 1:
        return None
    try:
        return target.labels[0].decode("utf-8")
    except UnicodeDecodeError:
        return None


async def list_instances(
    client: DnsClient,
    stype: ServiceType,
    servers: Sequence[ServerAddress],
) -> tuple[list[str], list[int]]:
    """The instance names a PTR query finds, and the TTLs that bound the answer."""
    domain = dns.name.from_text(stype.domain)
    base = dns.name.from_text(f"{stype.service}.{stype.protocol}", origin=domain)
    reply, _server = await client.query(base, PTR, servers, zone=stype.domain)
    rrset = _answer(reply, base, PTR)
    if rrset is None:
        return [], [_negative_ttl(reply)]
    names: list[str] = []
    for rdata in rrset:
        label = _instance_label(rdata.target, base)
        if label is None:
            continue  # a PTR pointing outside the type: not an instance of it
        if label not in names:
            names.append(label)
    return names, [rrset.ttl]


def _addresses(
    replies: Iterable[dns.message.Message | None], host: dns.name.Name
) -> tuple[tuple[IPAddress, ...], list[int]]:
    found: list[IPAddress] = []
    ttls: list[int] = []
    for reply in replies:
        if reply is None:
            continue
        for rdtype in (A, AAAA):
            rrset = _answer(reply, host, rdtype)
            if rrset is None:
                continue
            ttls.append(rrset.ttl)
            for rdata in rrset:
                address: IPv4Address | IPv6Address = ip_address(rdata.address)
                if address not in found:
                    found.append(address)
    found.sort(key=lambda a: (a.version, a.packed))
    return tuple(found), ttls


async def resolve_many(
    client: DnsClient,
    names: Sequence[str],
    stype: ServiceType,
    server: ServerAddress,
) -> tuple[dict[str, ServiceInfo | None], list[int]]:
    """Resolve every instance over one pipelined TCP connection; None where SRV is missing.

    Two rounds: SRV and TXT of every instance, then A and AAAA of every distinct target.
    """
    domain = dns.name.from_text(stype.domain)
    base = dns.name.from_text(f"{stype.service}.{stype.protocol}", origin=domain)
    owners = [dns.name.Name((n.encode("utf-8"),)).concatenate(base) for n in names]
    queries = [dns.message.make_query(o, t) for o in owners for t in (SRV, TXT)]
    replies = await client.pipelined(queries, server, zone=stype.domain)
    ttls: list[int] = []
    srvs: dict[str, tuple[dns.name.Name, int, int, int]] = {}
    txts: dict[str, tuple[bytes, ...]] = {}
    for i, name in enumerate(names):
        srv_reply, txt_reply = replies[2 * i], replies[2 * i + 1]
        srv = _answer(srv_reply, owners[i], SRV) if srv_reply else None
        txt = _answer(txt_reply, owners[i], TXT) if txt_reply else None
        if srv is None:
            continue
        ttls.append(srv.ttl)
        # RFC 2782: lowest priority first; among equals, the heaviest.
        best = min(srv, key=lambda r: (r.priority, -r.weight))
        srvs[name] = (best.target, best.port, best.priority, best.weight)
        if txt is not None:
            ttls.append(txt.ttl)
            txts[name] = tuple(s for rdata in txt for s in rdata.strings)
    hosts = sorted({target for target, *_ in srvs.values()})
    host_queries = [dns.message.make_query(h, t) for h in hosts for t in (A, AAAA)]
    host_replies = await client.pipelined(host_queries, server, zone=stype.domain)
    addresses: dict[dns.name.Name, tuple[IPAddress, ...]] = {}
    for i, host in enumerate(hosts):
        found, host_ttls = _addresses(host_replies[2 * i : 2 * i + 2], host)
        addresses[host] = found
        ttls.extend(host_ttls)
    infos: dict[str, ServiceInfo | None] = {}
    for name in names:
        if name not in srvs:
            infos[name] = None
            continue
        target, port, priority, weight = srvs[name]
        found = addresses.get(target, ())
        infos[name] = ServiceInfo(
            name=name,
            type=stype,
            host=_host_text(target),
            port=port,
            txt_strings=txts.get(name, (b"",)),
            addresses={UNICAST_INTERFACE: found} if found else {},
            interfaces=(UNICAST_INTERFACE,),
            priority=priority,
            weight=weight,
        )
    return infos, ttls


async def resolve(
    name: str,
    type: ServiceType | str,
    domain: str,
    *,
    servers: ServersInput = None,
    resolv_conf: Path | str = RESOLV_CONF,
    timeout: float = 3.0,
) -> ServiceInfo:
    """Resolve one instance in a unicast domain: host, port, TXT and addresses.

    ``servers`` (an address, ``ADDR:PORT``, or a list) defaults to the host's
    DNS servers. Raises :class:`~lanwise.widearea.errors.DnsServerError` when
    the instance has no SRV record or no server answers.
    """
    stype = unicast_type(type, domain_name(domain))
    client = DnsClient(timeout=timeout)
    chosen = await pick_servers(servers, resolv_conf)
    if not chosen:
        raise UsageError("servers", "no DNS server is configured or given")
    last: DnsServerError | None = None
    for server in chosen:
        try:
            infos, _ttls = await resolve_many(client, [name], stype, server)
        except DnsServerError as exc:
            last = exc
            continue
        info = infos.get(name)
        if info is None:
            raise DnsServerError(
                str(server), stype.domain, "NXDOMAIN (no SRV record)", f"resolve {name}"
            )
        return info
    assert last is not None
    raise last


async def browse(
    type: ServiceType | str,
    domain: str,
    *,
    resolve: bool = False,
    servers: ServersInput = None,
    resolv_conf: Path | str = RESOLV_CONF,
    poll_floor: float = DEFAULT_POLL_FLOOR,
    timeout: float = 3.0,
    push: bool = True,
    push_ssl: ssl.SSLContext | None = None,
    push_ca: Path | str | None = None,
) -> AsyncIterator[BrowseEvent]:
    """Browse events for ``type`` in a unicast ``domain`` until the caller stops.

    ``async for event in browse("_ipp._tcp", "example.test", resolve=True): ...``
    With ``push`` (the default) and a ``_dns-push-tls._tcp.<domain>`` SRV record,
    changes come over DNS Push (RFC 8765) as they happen; the server's TLS
    certificate is checked against the system trust store, or ``push_ca`` (a
    PEM file), or the given ``push_ssl`` context. Otherwise, and whenever the
    Push session fails, the browse polls: it asks again when the answers' TTLs
    run out, never more often than ``poll_floor`` seconds (at least 0.5), and
    tries Push again after :data:`PUSH_RETRY` seconds. A server that stops
    answering is logged and asked again after the floor; the browse goes on.
    """
    if not poll_floor >= MIN_POLL_FLOOR:
        raise UsageError("poll_floor", f"must be at least {MIN_POLL_FLOOR} s", poll_floor)
    stype = unicast_type(type, domain_name(domain))
    client = DnsClient(timeout=timeout)
    chosen = await pick_servers(servers, resolv_conf)
    if not chosen:
        raise UsageError("servers", "no DNS server is configured or given")
    context = (push_ssl or push_ssl_context(push_ca)) if push else None
    timer = PollTimer(floor=poll_floor)
    snapshot = BrowseSnapshot(stype, resolving=resolve)
    loop = asyncio.get_running_loop()
    push_at = loop.time() if push else float("inf")
    warned = False  # a failing Push server is worth one warning per browse, not one a minute
    while True:
        # Poll first: the first answers never wait for Push to be found (a slow SRV
        # lookup, a server that does not answer), and after a Push session ends the
        # snapshot catches up at once.
        now = loop.time()
        if timer.due(now):
            try:
                names, ttls = await list_instances(client, stype, chosen)
                found: dict[str, ServiceInfo | None] = dict.fromkeys(names)
                if resolve and names:
                    infos, more = await _resolve_any(client, names, stype, chosen)
                    found.update(infos)
                    ttls = ttls + more
                for event in snapshot.update(found):
                    yield event
                timer.answered(now, ttls)
            except DnsServerError as exc:
                _log.info("browse %s: %s", stype, exc)
                timer.failed(now)
        now = loop.time()
        if now >= push_at and context is not None:
            push_at = now + PUSH_RETRY
            pushed = _browse_push(client, stype, resolve, chosen, context, snapshot, timeout)
            try:
                # aclosing: the session closes as soon as the caller stops browsing.
                async with contextlib.aclosing(pushed) as events:
                    async for event in events:
                        yield event
            except PushError as exc:
                level = logging.WARNING if exc.advertised and not warned else logging.INFO
                warned = warned or exc.advertised
                _log.log(level, "browse %s: DNS Push unavailable, polling: %s", stype, exc)
                if exc.retry_delay is not None:
                    push_at = loop.time() + max(PUSH_RETRY, exc.retry_delay)
                if exc.advertised:
                    timer.next_poll = loop.time()  # what changed while Push was on
            except (OSError, ssl.SSLError, DnsServerError) as exc:
                level = logging.INFO if warned else logging.WARNING
                warned = True
                _log.log(level, "browse %s: DNS Push failed, polling: %s", stype, exc)
                timer.next_poll = loop.time()
        await asyncio.sleep(max(0.0, min(timer.next_poll, push_at) - loop.time()))


async def _browse_push(  # noqa: PLR0917
    client: DnsClient,
    stype: ServiceType,
    resolve: bool,
    servers: Sequence[ServerAddress],
    context: ssl.SSLContext,
    snapshot: BrowseSnapshot,
    timeout: float,
) -> AsyncGenerator[BrowseEvent, None]:
    """Browse events over DNS Push until the session fails (:class:`PushError`)."""
    # The SRV is looked for with a short timeout: where there is no Push server, a
    # Discovery Proxy may hold the question for its link wait (RFC 8766 §5.6).
    finder = DnsClient(timeout=min(timeout, PUSH_DISCOVERY_TIMEOUT))
    server = await find_push_server(finder, domain_name(stype.domain), servers)
    if server is None:
        raise PushError(f"no {stype.domain} Push server (_dns-push-tls._tcp SRV)", advertised=False)
    view = PushBrowseView(stype, resolving=resolve)
    subscriber = await PushSubscriber.connect(server, context)
    try:
        subscribed = {view.ptr.key(): await subscriber.subscribe(view.ptr)}
        _log.info("browse %s: following changes over DNS Push from %s", stype, subscriber.peer)
        while True:
            wanted = {q.key(): q for q in view.wanted(subscriber.state)}
            for key, question in wanted.items():
                if key not in subscribed:
                    subscribed[key] = subscriber.subscribe_nowait(question)
            for key in [k for k in subscribed if k not in wanted]:
                subscriber.unsubscribe(subscribed.pop(key))
            answered = subscriber.state.acknowledged
            refused = [answered[i] for i in subscribed.values() if answered.get(i, 0)]
            if subscriber.closed or refused:
                # A refused subscription (the server's bound, say) would leave instances
                # unresolved for good: polling answers everything instead.
                reason = subscriber.state.session.close_reason or f"SUBSCRIBE rcode {refused[0]}"
                raise PushError(
                    f"session with {subscriber.peer} ended: {reason}", subscriber._retry()
                )
            now = asyncio.get_running_loop().time()
            previous = {key: info for key, (_name, info) in snapshot.infos.items()}
            found = view.found(subscriber.state, now, previous)
            if found is not None:
                for event in snapshot.update(found):
                    yield event
            # While an answer is settling, look again when it has (SETTLE_AFTER_ANSWER).
            await subscriber.wait_changed(SETTLE_AFTER_ANSWER if view.settling else None)
    finally:
        with contextlib.suppress(Exception):
            await subscriber.aclose()


class PushBrowseView:
    """What a Push browse subscribes to and the instances its records make (no I/O)."""

    def __init__(self, stype: ServiceType, *, resolving: bool) -> None:
        domain = dns.name.from_text(stype.domain)
        self.type = stype
        self.resolving = resolving
        self.base = dns.name.from_text(f"{stype.service}.{stype.protocol}", origin=domain)
        self.ptr = Question(self.base, PTR)
        self.settling = False  # set by found(): some answer is still coming in

    def instances(self, state: PushState) -> dict[str, dns.name.Name]:
        """Instance label → owner name, from the PTR records pushed."""
        out: dict[str, dns.name.Name] = {}
        for rdata, _ttl in state.lookup(self.base, PTR):
            label = _instance_label(rdata.target, self.base)
            if label is not None:
                out.setdefault(label, rdata.target)
        return out

    def wanted(self, state: PushState) -> list[Question]:
        """The subscriptions the browse needs now."""
        wanted = [self.ptr]
        if not self.resolving:
            return wanted
        for owner in self.instances(state).values():
            wanted += [Question(owner, SRV), Question(owner, TXT)]
            for rdata, _ttl in state.lookup(owner, SRV):
                wanted += [Question(rdata.target, A), Question(rdata.target, AAAA)]
        return wanted

    def _answered(self, state: PushState, question: Question, now: float) -> bool:
        # Answered: the SUBSCRIBE got its response, and its first PUSH is in (the
        # records are there) or had SETTLE_AFTER_ANSWER to come (§6.3 sends it right
        # after the response, but perhaps in a later read).
        for msg_id, q in state.subscriptions.items():
            if q.key() != question.key() or msg_id not in state.acknowledged:
                continue
            if state.lookup(question.name, question.rdtype):
                return True
            if now - state.acknowledged_at.get(msg_id, now) >= SETTLE_AFTER_ANSWER:
                return True
            self.settling = True
            return False
        self.settling = True  # not even sent yet: the loop subscribes next
        return False

    def found(
        self, state: PushState, now: float, previous: Mapping[str, ServiceInfo | None]
    ) -> dict[str, ServiceInfo | None] | None:
        """Instance → its info (None until resolved, or when not resolving); None while
        the PTR answer settles. An instance whose records are still settling keeps its
        ``previous`` info (keyed by folded name), so taking over from polling adds no
        spurious removal."""
        self.settling = False
        if not self._answered(state, self.ptr, now):
            return None
        out: dict[str, ServiceInfo | None] = {}
        for label, owner in self.instances(state).items():
            if not self.resolving:
                out[label] = None
                continue
            settled, info = self._info(state, label, owner, now)
            out[label] = info if settled else previous.get(label.casefold())
        return out

    def _info(
        self, state: PushState, label: str, owner: dns.name.Name, now: float
    ) -> tuple[bool, ServiceInfo | None]:
        """(settled, info): info None when the instance has no SRV."""
        if not self._answered(state, Question(owner, SRV), now):
            return False, None
        srvs = [rdata for rdata, _ttl in state.lookup(owner, SRV)]
        if not srvs:
            return True, None
        best = min(srvs, key=lambda r: (r.priority, -r.weight))
        target = best.target
        needed = (Question(owner, TXT), Question(target, A), Question(target, AAAA))
        if not all([self._answered(state, q, now) for q in needed]):
            return False, None  # TXT and addresses follow at once: report them together
        found: list[IPAddress] = []
        for rdtype in (A, AAAA):
            for rdata, _ttl in state.lookup(target, rdtype):
                address: IPv4Address | IPv6Address = ip_address(rdata.address)
                if address not in found:
                    found.append(address)
        found.sort(key=lambda a: (a.version, a.packed))
        txt = tuple(s for rdata, _ttl in state.lookup(owner, TXT) for s in rdata.strings)
        return True, ServiceInfo(
            name=label,
            type=self.type,
            host=_host_text(target),
            port=best.port,
            txt_strings=txt or (b"",),
            addresses={UNICAST_INTERFACE: tuple(found)} if found else {},
            interfaces=(UNICAST_INTERFACE,),
            priority=best.priority,
            weight=best.weight,
        )


async def _resolve_any(
    client: DnsClient, names: Sequence[str], stype: ServiceType, servers: Sequence[ServerAddress]
) -> tuple[dict[str, ServiceInfo | None], list[int]]:
    last: DnsServerError | None = None
    for server in servers:
        try:
            return await resolve_many(client, names, stype, server)
        except DnsServerError as exc:
            last = exc
    assert last is not None
    raise last
