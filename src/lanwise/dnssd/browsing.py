"""A browse as the caller sees it: events as an async iterator, over the sans-IO
:class:`~lanwise.dnssd.browser.ServiceBrowser` (one per browsed type).

The responder hands every cache change to each of its browses
(:meth:`Browser._on_record`), then, once per packet, has them turn the changes
into events (:meth:`Browser._flush`). A browse keeps one continuous query per
record its resolution needs (RFC 6762 §5.2), started and stopped as instances
come and go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from lanwise.dns import Name, Record, RRType
from lanwise.dnssd.browse_queue import SETTLE_MINIMUM, SETTLE_QUIET, AddedT, BrowseQueue
from lanwise.dnssd.browser import BrowseTarget, ServiceBrowser
from lanwise.dnssd.model import BrowseOverflow, ServiceAdded
from lanwise.dnssd.names import SERVICE_TYPE_ENUMERATION, ServiceType
from lanwise.dnssd.querying import Questions, interface_scope
from lanwise.errors import UsageError
from lanwise.mdns.querier import Query

__all__ = ["SETTLE_MINIMUM", "SETTLE_QUIET", "Browser"]


class Browser(BrowseQueue[AddedT]):
    """Browse events as an async iterator; get one from :meth:`Responder.browse`.

    Use it as ``async with responder.browse(...) as browser: async for event in
    browser`` so that its queries stop when the block ends (or call
    :meth:`aclose`). :meth:`current` lists what is present now.

    ``Browser[ResolvedServiceAdded]`` (from ``resolve=True``) reports additions
    whose ``info`` is never None; ``Browser[ServiceAdded]`` the plain ones.
    """

    def __init__(
        self,
        questions: Questions,
        target: BrowseTarget | None,
        *,
        resolve: bool,
        only_interfaces: frozenset[int] | None,
        overflow: BrowseOverflow | None = None,
        on_close: Callable[[Browser[Any]], None] = lambda browser: None,
    ) -> None:
        self._questions = questions
        self._on_close = on_close
        self._resolve = resolve
        self._only = only_interfaces
        super().__init__()
        self._browsers: dict[BrowseTarget, ServiceBrowser] = {}
        self._queries: dict[tuple[Name, int], Query] = {}
        # Query changes wait for the next loop iteration (see _flush), with the cache
        # revision the flush read.
        self._pending_changes: list[tuple[tuple[Name, int], bool]] = []
        self._read_revision = 0
        self._partial = False
        self._all_types = target is None
        if target is None:
            enumeration = BrowseTarget(ServiceType.parse(".".join(SERVICE_TYPE_ENUMERATION)))
            self._enumeration: ServiceBrowser | None = self._new_browser(enumeration, False)
        else:
            self._enumeration = None
            self._new_browser(target, resolve)
        if overflow is not None:  # shed before this browse began
            self._overflowed(overflow)

    @property
    def closed(self) -> bool:
        return self._closed

    def _new_browser(self, target: BrowseTarget, resolve: bool) -> ServiceBrowser:
        questions = self._questions
        browser = ServiceBrowser(
            target,
            questions.lookup,
            resolve=resolve,
            scope=interface_scope,
            families=questions.families,
        )
        self._browsers[target] = browser
        if self._partial:
            browser.set_partial()
        self._start(browser.ptr_name, RRType.PTR)
        browser.seed(sorted(questions.transport.interfaces))
        return browser

    def _start(self, name: Name, rtype: int, *, cached_since: int | None = None) -> None:
        key = (name, rtype)
        if key not in self._queries:
            self._queries[key] = self._questions.start(name, rtype, cached_since=cached_since)

    def _on_record(self, interface: int, record: Record, present: bool) -> None:
        if self._only is not None and interface not in self._only:
            return
        for browser in self._browsers.values():
            browser.record_changed(interface, record, present)

    def _flush(self) -> None:
        if self._closed:
            return
        enumeration = self._enumeration
        if enumeration is not None:
            for event in enumeration.flush():
                if isinstance(event, ServiceAdded):
                    try:
                        target = BrowseTarget(ServiceType.parse(event.name))
                    except UsageError:
                        continue  # a peer enumerated a type that breaks §7: not browsable
                    if target not in self._browsers:
                        self._new_browser(target, self._resolve)
        changes: list[tuple[tuple[Name, int], bool]] = []
        for browser in self._browsers.values():
            if browser is enumeration:
                continue
            for event in browser.flush():
                self._push(event)
            changes += browser.take_wanted_changes()
        if changes:
            # The consumer, woken by the first event above, runs before thousands of
            # queries start (they go out 20-120 ms later anyway, §5.2).
            if not self._pending_changes:
                self._read_revision = self._questions.cache_revision
                asyncio.get_running_loop().call_soon(self._apply_changes)
            self._pending_changes += changes

    def _apply_changes(self) -> None:
        changes, self._pending_changes = self._pending_changes, []
        if self._closed or self._questions.closed:
            return
        # Records that reached the cache since the flush read it landed unwatched (no
        # query wanted them yet): the new queries report those as news, so no answer
        # slips past the browser.
        self._sync_queries(changes, cached_since=self._read_revision)

    def _sync_queries(
        self, changes: list[tuple[tuple[Name, int], bool]], *, cached_since: int | None = None
    ) -> None:
        """Keep one continuous query per record resolution needs (RFC 6762 §5.2).

        Only what changed is visited (a browse of a thousand instances flushes
        dozens of times while the answers come in).
        """
        if not changes:
            return
        browsers = self._browsers.values()
        ptrs = {b.ptr_name for b in browsers}
        for key, wanted in changes:
            if wanted:
                self._start(*key, cached_since=cached_since)
            elif (
                key in self._queries
                and key[0] not in ptrs
                and not any(b.wants(key) for b in browsers)
            ):
                self._questions.stop(self._queries.pop(key))

    @property
    def partial(self) -> bool:
        """True once the cache has had to shed records browses asked for.

        Past its bound for records asked for (``max_wanted_records``, see
        docs/mdns.md) the cache drops some to bound memory. Those services are
        not reported removed, as they are not known to be gone; but from then on
        (for this browse and any started later on the same responder) what a
        browse reports may be incomplete. The event stream says so once, with a
        :class:`~lanwise.dnssd.model.BrowseOverflow`.
        """
        return self._partial

    def _overflowed(self, event: BrowseOverflow) -> None:
        if self._partial:
            return  # reported once per browse
        self._partial = True
        for browser in self._browsers.values():
            browser.set_partial()
        if not self._closed:
            self._push(event, news=False)

    def current(self) -> list[AddedT]:
        """The instances reported and still present, one entry per interface."""
        found: list[ServiceAdded] = []
        for browser in self._browsers.values():
            if browser is not self._enumeration:
                found.extend(browser.current())
        return cast(list[AddedT], found)

    async def aclose(self) -> None:
        """Stop browsing: end the iteration and stop the queries."""
        if self._closed:
            return
        self._closed = True
        self._on_close(self)
        for query in self._queries.values():
            self._questions.stop(query)
        self._queries.clear()
        self._end()
