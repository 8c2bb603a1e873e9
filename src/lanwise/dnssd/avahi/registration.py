"""A service registered through avahi-daemon: one EntryGroup, renamed the lanwise way.

The group holds the service on every chosen interface (``AddService``,
``AddServiceSubtype``), then ``Commit``. avahi reports the group's state by
signal: ESTABLISHED once probing is won; COLLISION when another host holds the
name, and lanwise then picks the next name by its own rule (``"Name"`` →
``"Name (2)"``, as the in-process engine does, not avahi's ``"Name #2"``),
adds the service again, and tells the rename callbacks; FAILURE is an error
for the error callbacks. A name taken by another client of the same daemon is
refused at once (CollisionError) and handled the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from lanwise.dnssd.avahi.client import AvahiClient, AvahiError
from lanwise.dnssd.avahi.constants import (
    ENTRY_GROUP,
    ERROR_COLLISION,
    SERVER,
    EntryGroupState,
)
from lanwise.dnssd.avahi.names import type_text as _type_text
from lanwise.dnssd.avahi.owner import AvahiOwner
from lanwise.dnssd.callbacks import add_callback, call_each
from lanwise.dnssd.model import Service
from lanwise.dnssd.names import validate_instance_name
from lanwise.dnssd.txt import TxtInput, encode_txt
from lanwise.errors import LanwiseError, UsageError
from lanwise.mdns.registration import next_instance_label

__all__ = ["AvahiRegistration", "ErrorCallback", "RenameCallback"]

_log = logging.getLogger(__name__)

RenameCallback = Callable[["AvahiRegistration", str, str], None]
ErrorCallback = Callable[["AvahiRegistration", LanwiseError], None]

_GROUP_STATE_TEXT = {
    EntryGroupState.UNCOMMITED: "probing",
    EntryGroupState.REGISTERING: "probing",
    EntryGroupState.ESTABLISHED: "announced",
    EntryGroupState.COLLISION: "probing",
    EntryGroupState.FAILURE: "failed",
}


class AvahiRegistration:
    """A service registered through avahi-daemon; see :meth:`AvahiResponder.register`.

    The same face as :class:`lanwise.dnssd.responder.Registration`, plus
    :attr:`error` and :meth:`add_error_callback` for what only a daemon can
    do: go away (or refuse) while the service is registered.
    """

    def __init__(self, responder: AvahiOwner, service: Service) -> None:
        self._responder = responder
        self._service = service
        self._group: str | None = None
        self._state = EntryGroupState.UNCOMMITED
        self._established = asyncio.Event()
        self._settled = asyncio.Event()  # established or failed
        self._rename_callbacks: list[RenameCallback] = []
        self._error_callbacks: list[ErrorCallback] = []
        self._error: LanwiseError | None = None
        self._withdrawn = False
        self._busy = asyncio.Lock()

    @property
    def service(self) -> Service:
        """The service as published now (its ``name`` follows renames)."""
        return self._service

    @property
    def name(self) -> str:
        """The instance name in use now."""
        return self._service.name

    @property
    def established(self) -> bool:
        """True while avahi reports the service established (probing won)."""
        return self._established.is_set()

    @property
    def withdrawn(self) -> bool:
        return self._withdrawn

    @property
    def error(self) -> LanwiseError | None:
        """Why the service is not published now (daemon gone, avahi refused), or None."""
        return self._error

    @property
    def interfaces(self) -> dict[int, str]:
        """State per interface index (avahi reports one state for the whole group)."""
        state = "lost" if self._group is None and not self._withdrawn else None
        text = state or _GROUP_STATE_TEXT[self._state]
        return {index: text for index in self._responder.interfaces}

    async def wait_established(self, timeout: float | None = None) -> str:
        """Wait until avahi has established the name; return it (raise :attr:`error` if any)."""
        await asyncio.wait_for(self._settled.wait(), timeout)
        if not self._established.is_set() and self._error is not None:
            raise self._error
        return self.name

    def add_rename_callback(self, callback: RenameCallback) -> Callable[[], None]:
        """Call ``callback(registration, old_name, new_name)`` on each rename; returns a remover."""
        return add_callback(self._rename_callbacks, callback)

    def add_error_callback(self, callback: ErrorCallback) -> Callable[[], None]:
        """Call ``callback(registration, error)`` when the service stops being published.

        That is: avahi reports FAILURE, or avahi-daemon stopped and did not come
        back within the responder's ``restart_grace`` seconds. Without any
        error callback the error is logged at ERROR level instead. Returns a
        remover.
        """
        return add_callback(self._error_callbacks, callback)

    async def update_txt(self, txt: TxtInput) -> None:
        """Publish new TXT data (avahi's ``UpdateServiceTxt``; it announces it)."""
        self._check_live()
        self._service = self._service.with_txt(encode_txt(txt))
        client = self._responder._client
        if self._group is None or client is None:
            return  # published with it when the daemon is back
        stype = self._service.type
        for index in self._responder._publish_indexes():
            await client.call(
                self._group,
                ENTRY_GROUP,
                "UpdateServiceTxt",
                "iiusssaay",
                [
                    index,
                    self._responder._protocol,
                    0,
                    self.name,
                    _type_text(stype),
                    stype.domain,
                    self._txt(),
                ],
            )

    async def rename(self, name: str) -> None:
        """Move to another instance name: the old records leave, the new name is probed."""
        self._check_live()
        name = validate_instance_name(name)
        old = self.name
        self._service = self._service.with_name(name)
        self._renamed(old)
        await self._republish()

    async def withdraw(self) -> None:
        """Free the group: avahi sends goodbyes (TTL 0) and stops answering."""
        if self._withdrawn:
            return
        self._withdrawn = True
        self._responder._forget(self)
        await self._unpublish()
        self._settled.set()

    def _check_live(self) -> None:
        if self._withdrawn:
            raise UsageError("registration", "it has been withdrawn")
        if self._responder.closed:
            raise UsageError("registration", "its responder is closed")

    # -- avahi ------------------------------------------------------------------------
    def _txt(self) -> list[bytes]:
        txt = self._service.txt
        return [] if txt == (b"",) else list(txt)

    async def _publish(self) -> None:
        """A new EntryGroup with the service on every chosen interface, committed."""
        async with self._busy:
            await self._publish_locked()

    async def _publish_locked(self) -> None:
        responder = self._responder
        client = responder._client
        if client is None or self._withdrawn:
            return
        while True:
            path = await client.create(SERVER, "EntryGroupNew", "", [], self._on_group_signal)
            try:
                await self._add_records(client, path)
                await client.call(path, ENTRY_GROUP, "Commit")
            except AvahiError as exc:
                await client.free(path, ENTRY_GROUP)
                if exc.name != ERROR_COLLISION:
                    raise
                # Another client of this daemon holds the name: the next one, as on the wire.
                old = self.name
                self._service = self._service.with_name(next_instance_label(old))
                self._renamed(old)
                continue
            self._group = path
            self._state = EntryGroupState.REGISTERING
            return

    async def _add_records(self, client: AvahiClient, path: str) -> None:
        service = self._service
        stype = service.type
        host = "" if service.host is None else f"{service.host}.{stype.domain}"
        for index in self._responder._publish_indexes():
            common = [index, self._responder._protocol, 0, service.name, _type_text(stype)]
            await client.call(
                path,
                ENTRY_GROUP,
                "AddService",
                "iiussssqaay",
                [*common, stype.domain, host, service.port, self._txt()],
            )
            for subtype in service.subtypes:
                await client.call(
                    path,
                    ENTRY_GROUP,
                    "AddServiceSubtype",
                    "iiussss",
                    [*common, stype.domain, f"{subtype}._sub.{_type_text(stype)}"],
                )

    async def _unpublish(self) -> None:
        group, self._group = self._group, None
        client = self._responder._client
        self._established.clear()
        if group is not None and client is not None:
            await client.free(group, ENTRY_GROUP)

    async def _republish(self) -> None:
        async with self._busy:
            await self._unpublish()
            self._settled.clear()
            try:
                await self._publish_locked()
            except AvahiError as exc:
                self._fail(exc)

    def _on_group_signal(self, member: str, body: list[Any]) -> None:
        if member != "StateChanged" or self._withdrawn:
            return
        try:
            state = EntryGroupState(int(body[0]))
        except ValueError:
            return
        self._state = state
        if state is EntryGroupState.ESTABLISHED:
            self._error = None
            self._established.set()
            self._settled.set()
            _log.info("avahi established %s", self._service)
        elif state is EntryGroupState.COLLISION:
            # RFC 6762 §9 through avahi: the name is taken; the next one, by lanwise's rule.
            old = self.name
            self._service = self._service.with_name(next_instance_label(old))
            self._renamed(old)
            self._responder._spawn(self._republish())
        elif state is EntryGroupState.FAILURE:
            self._fail(AvahiError(f"avahi-daemon could not publish {self._service}: {body[1]}"))

    def _renamed(self, old: str) -> None:
        new = self.name
        self._established.clear()
        if old == new:
            return
        _log.info("avahi: %r renamed to %r", old, new)
        call_each(self._rename_callbacks, _log, "rename", self, old, new)

    def _fail(self, error: LanwiseError) -> None:
        self._error = error
        self._established.clear()
        self._settled.set()
        if not self._error_callbacks:
            _log.error("%s", error)  # nobody listens: the log says it, never silence
        call_each(self._error_callbacks, _log, "error", self, error)

    def _lost(self) -> None:
        """The daemon is gone and the group with it: waiters wait for its return."""
        self._group = None
        self._established.clear()
        self._settled.clear()

    def __repr__(self) -> str:
        return f"<AvahiRegistration {self._service} {self.interfaces}>"
