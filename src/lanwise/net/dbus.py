"""A few read-only D-Bus reads (NetworkManager, systemd-resolved, avahi-daemon).

lanwise uses dbus-fast (MIT, pure Python with optional compiled speed-ups),
imported only when one of these functions runs, so programs that never ask
for metered state or per-link DNS servers never load it. Every read has a
timeout and returns None when the bus or the service is not there: both are
optional facts about the host, never a reason to fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbus_fast.aio import MessageBus

__all__ = [
    "SYSTEM_BUS_ADDRESS",
    "call_method",
    "get_all_properties",
    "name_has_owner",
    "open_bus",
    "system_bus_address",
]

_log = logging.getLogger(__name__)

SYSTEM_BUS_ADDRESS = "unix:path=/run/dbus/system_bus_socket"
DEFAULT_TIMEOUT = 2.0


def system_bus_address() -> str:
    """The system bus address: $DBUS_SYSTEM_BUS_ADDRESS, else the standard socket."""
    return os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or SYSTEM_BUS_ADDRESS


def _socket_missing(address: str) -> bool:
    # Skip a connection attempt that could only fail: unix:path=... with no such file.
    for part in address.split(";"):
        if part.startswith("unix:"):
            for kv in part[5:].split(","):
                if kv.startswith("path=") and not os.path.exists(kv[5:]):
                    return True
    return False


@contextlib.asynccontextmanager
async def open_bus(
    address: str | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> AsyncIterator[MessageBus | None]:
    """A connection to the bus at ``address`` (default: the system bus), or None."""
    address = address or system_bus_address()
    if _socket_missing(address):
        yield None
        return
    from dbus_fast.aio import MessageBus  # noqa: PLC0415 - imported only when D-Bus is used

    bus = MessageBus(bus_address=address)
    try:
        await asyncio.wait_for(bus.connect(), timeout)
    except Exception as exc:  # any failure to connect means "no bus"
        _log.debug("D-Bus at %s not usable: %s", address, exc)
        with contextlib.suppress(Exception):
            bus.disconnect()
        yield None
        return
    try:
        yield bus
    finally:
        bus.disconnect()


async def _call(
    bus: MessageBus,
    *,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str,
    body: list[Any],
    timeout: float,
) -> list[Any] | None:
    from dbus_fast import Message, MessageType  # noqa: PLC0415 - imported only when used

    message = Message(
        destination=destination,
        path=path,
        interface=interface,
        member=member,
        signature=signature,
        body=body,
    )
    try:
        reply = await asyncio.wait_for(bus.call(message), timeout)
    except Exception as exc:  # a dead or silent peer means "no answer"
        _log.debug("D-Bus %s.%s on %s: %s", interface, member, path, exc)
        return None
    if reply is None or reply.message_type == MessageType.ERROR:
        _log.debug("D-Bus %s.%s on %s: error %s", interface, member, path, reply and reply.body)
        return None
    body_out: list[Any] = list(reply.body)
    return body_out


async def call_method(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    member: str,
    *,
    signature: str = "",
    body: list[Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Any] | None:
    """Call one method and return its reply's body; None on any failure or error reply."""
    return await _call(
        bus,
        destination=destination,
        path=path,
        interface=interface,
        member=member,
        signature=signature,
        body=body or [],
        timeout=timeout,
    )


async def name_has_owner(bus: MessageBus, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Whether some process owns the bus name ``name`` (the service is running)."""
    body = await _call(
        bus,
        destination="org.freedesktop.DBus",
        path="/org/freedesktop/DBus",
        interface="org.freedesktop.DBus",
        member="NameHasOwner",
        signature="s",
        body=[name],
        timeout=timeout,
    )
    return bool(body and body[0])


async def get_all_properties(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any] | None:
    """org.freedesktop.DBus.Properties.GetAll, variants unwrapped; None on any failure."""
    body = await _call(
        bus,
        destination=destination,
        path=path,
        interface="org.freedesktop.DBus.Properties",
        member="GetAll",
        signature="s",
        body=[interface],
        timeout=timeout,
    )
    if not body or not isinstance(body[0], dict):
        return None
    return {str(key): getattr(value, "value", value) for key, value in body[0].items()}
