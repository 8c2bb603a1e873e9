"""One D-Bus connection to avahi-daemon: method calls, signals routed by object path.

avahi creates a browser or resolver when asked and answers with its object
path; before avahi 0.8 the object started at once, so its first signals could
arrive before the reply that names it. This client subscribes to every avahi
signal before creating anything (one match rule on the sender), routes each
signal to the handler of its path, and keeps the signals of a path nobody
claimed yet while a creation call is in flight, replaying them when the path
is claimed. With avahi >= 0.8 the responder uses ``Server2.*Prepare`` and then
``Start``, avahi's own fix for the race, and nothing waits in that buffer.

The daemon's comings and goings reach :attr:`on_owner_changed` (the bus's
``NameOwnerChanged`` for ``org.freedesktop.Avahi``), its host-name state
:attr:`on_server_state`; a lost connection to the bus :attr:`on_disconnect`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from lanwise.dnssd.avahi.constants import BUS_NAME, SERVER
from lanwise.errors import PlatformError

if TYPE_CHECKING:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

__all__ = ["AvahiClient", "AvahiError", "SignalHandler"]

_log = logging.getLogger(__name__)

CALL_TIMEOUT: Final = 10.0
# Signals for a path nobody has claimed: kept only while a creation call is in
# flight, and only this many paths (a confused daemon cannot grow it).
_PENDING_PATHS: Final = 64

SignalHandler = Callable[[str, list[Any]], None]
"""``handler(member, body)`` for a signal on one object path."""


class AvahiError(PlatformError):
    """avahi-daemon refused, failed or is not there.

    ``name`` is the D-Bus error name avahi replied with
    (``org.freedesktop.Avahi.CollisionError``), or None.
    """

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


class AvahiClient:
    """A connection to the bus avahi-daemon is on; see :meth:`connect`."""

    def __init__(self, bus: MessageBus, address: str) -> None:
        self.bus = bus
        self.address = address
        self._handlers: dict[str, SignalHandler] = {}
        self._pending: dict[str, list[tuple[str, list[Any]]]] = {}
        self._creating = 0
        self.dropped_signals = 0  # signals that could not be read (counted, then dropped)
        self.on_owner_changed: Callable[[bool], None] = lambda present: None
        self.on_server_state: Callable[[int, str], None] = lambda state, error: None
        self.on_disconnect: Callable[[], None] = lambda: None
        bus.add_message_handler(self._on_message)

    @classmethod
    async def connect(cls, address: str, *, timeout: float = CALL_TIMEOUT) -> AvahiClient:
        """Connect to the bus at ``address`` and subscribe to avahi's signals."""
        from dbus_fast.aio import MessageBus  # noqa: PLC0415 - D-Bus only when avahi is used

        bus = MessageBus(bus_address=address)
        try:
            await asyncio.wait_for(bus.connect(), timeout)
        except Exception as exc:
            with contextlib.suppress(Exception):
                bus.disconnect()
            raise AvahiError(f"no D-Bus system bus at {address}: {exc}") from exc
        client = cls(bus, address)
        # Subscribed before anything is created, so no signal can pass unseen.
        for rule in (
            f"type='signal',sender='{BUS_NAME}'",
            "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
            f"member='NameOwnerChanged',arg0='{BUS_NAME}'",
        ):
            await client.call_bus("AddMatch", "s", [rule])
        watch = asyncio.ensure_future(bus.wait_for_disconnect())  # type: ignore[no-untyped-call]
        watch.add_done_callback(client._disconnected)
        return client

    def _disconnected(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved: a dropped connection is an event, not a crash
        self._handlers.clear()
        self._pending.clear()
        self.on_disconnect()

    def close(self) -> None:
        """Disconnect (avahi frees everything this connection created)."""
        self._handlers.clear()
        with contextlib.suppress(Exception):
            self.bus.disconnect()

    @property
    def connected(self) -> bool:
        return bool(self.bus.connected)

    # -- calls -------------------------------------------------------------------------
    async def call_bus(self, member: str, signature: str, body: list[Any]) -> list[Any]:
        """A method of the bus daemon itself (org.freedesktop.DBus)."""
        return await self.call(
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            member,
            signature,
            body,
            destination="org.freedesktop.DBus",
        )

    async def call(
        self,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
        *,
        destination: str = BUS_NAME,
        timeout: float = CALL_TIMEOUT,
    ) -> list[Any]:
        """Call a method; its reply's body. :class:`AvahiError` on an error reply."""
        from dbus_fast import Message, MessageType  # noqa: PLC0415

        message = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
        try:
            reply = await asyncio.wait_for(self.bus.call(message), timeout)
        except TimeoutError as exc:
            raise AvahiError(f"{interface}.{member}: no reply within {timeout:g} s") from exc
        except Exception as exc:
            raise AvahiError(f"{interface}.{member}: {exc}") from exc
        if reply.message_type == MessageType.ERROR:
            text = reply.body[0] if reply.body else reply.error_name
            raise AvahiError(f"avahi-daemon: {text}", reply.error_name)
        return list(reply.body)

    async def create(
        self, interface: str, member: str, signature: str, body: list[Any], handler: SignalHandler
    ) -> str:
        """Call an avahi ``*New``/``*Prepare`` method; route its object's signals to ``handler``."""
        self._creating += 1
        try:
            (path,) = await self.call("/", interface, member, signature, body)
        finally:
            self._creating -= 1
        self.watch(str(path), handler)
        return str(path)

    async def free(self, path: str, interface: str) -> None:
        """Free an avahi object; quietly, since the daemon may be gone already."""
        self.unwatch(path)
        with contextlib.suppress(AvahiError):
            await self.call(path, interface, "Free")

    # -- signals ---------------------------------------------------------------------
    def watch(self, path: str, handler: SignalHandler) -> None:
        """Route the signals of ``path`` to ``handler``, after any that came early."""
        self._handlers[path] = handler
        for member, body in self._pending.pop(path, ()):
            handler(member, body)
        if not self._creating:
            self._pending.clear()

    def unwatch(self, path: str) -> None:
        self._handlers.pop(path, None)

    def _on_message(self, message: Message) -> None:
        from dbus_fast import MessageType  # noqa: PLC0415

        if message.message_type != MessageType.SIGNAL:
            return
        body = list(message.body)
        try:
            if message.member == "NameOwnerChanged" and message.interface == "org.freedesktop.DBus":
                if body and body[0] == BUS_NAME:
                    self.on_owner_changed(bool(body[2]))
                return
            if message.interface == SERVER and message.member == "StateChanged":
                self.on_server_state(int(body[0]), str(body[1]))
                return
            path = message.path or ""
            handler = self._handlers.get(path)
            if handler is not None:
                handler(message.member or "", body)
            elif self._creating and (path in self._pending or len(self._pending) < _PENDING_PATHS):
                self._pending.setdefault(path, []).append((message.member or "", body))
        except Exception:
            # A signal we cannot read is counted and dropped, never raised into dbus-fast.
            self.dropped_signals += 1
            _log.debug(
                "avahi signal %s on %s not handled", message.member, message.path, exc_info=True
            )
