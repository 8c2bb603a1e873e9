"""Host names beyond our own: address records for another host, and reverse lookups.

- :class:`HostRegistration` is what :meth:`Responder.register_host
  <lanwise.dnssd.responder.Responder.register_host>` returns: ``nas.local`` with
  the addresses the caller gave (``avahi-publish -a``), probed and defended by the
  engine (:class:`lanwise.mdns.registration.AddressRecords`).
- :func:`parse_address` reads what :meth:`Responder.resolve_address
  <lanwise.dnssd.responder.Responder.resolve_address>` is asked about
  (``10.0.0.5``, ``fe80::5%eth0``): the address and its zone, if any.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Protocol

from lanwise.dnssd.callbacks import add_callback, call_each
from lanwise.dnssd.model import IPAddress
from lanwise.errors import LanwiseError, UsageError
from lanwise.mdns.events import (
    Event,
    RegistrationEstablished,
    RegistrationFailed,
    RegistrationRenamed,
)
from lanwise.mdns.registration import EngineRegistration, reverse_name
from lanwise.mdns.transport import MdnsTransport

__all__ = ["HostRegistration", "NameConflictError", "parse_address"]

_log = logging.getLogger(__name__)

HostRenameCallback = Callable[["HostRegistration", str, str], None]


class HostRegistrationOwner(Protocol):
    """What a host registration needs of its responder."""

    @property
    def transport(self) -> MdnsTransport: ...

    @property
    def closed(self) -> bool: ...

    def _forget_host(self, registration: HostRegistration) -> None: ...


class NameConflictError(LanwiseError):
    """Another host on the network holds a name registered without renaming (RFC 6762 §9).

    ``name`` is the name that was refused (``"nas.local"``).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"host name {name} is taken by another host on the network")


def parse_address(address: IPAddress | str) -> tuple[IPAddress, str | None]:
    """``"10.0.0.5"``, ``"fe80::5%eth0"`` or an address object → (address, zone or None).

    The zone (an interface name or index) is split off an IPv6 address; the
    address returned carries none.
    """
    if isinstance(address, IPv4Address):
        return address, None
    if isinstance(address, IPv6Address):
        zone = address.scope_id
        return (IPv6Address(address.packed) if zone else address), zone or None
    if not isinstance(address, str):
        raise UsageError("address", "an IPv4 or IPv6 address", address)
    try:
        parsed = ip_address(address.strip())
    except ValueError:
        raise UsageError(
            "address", "an IPv4 or IPv6 address, IPv6 optionally with %zone", address
        ) from None
    return parse_address(parsed)


class HostRegistration:
    """Address records published for another host name (``nas.local``).

    Get one from :meth:`Responder.register_host
    <lanwise.dnssd.responder.Responder.register_host>`. :attr:`name` is the name
    in use (``nas-2.local`` after a rename, when renaming was asked for);
    :attr:`reverse` lists the addresses whose reverse-mapping PTR we publish now
    (those another responder answers for are left to it).
    """

    def __init__(self, responder: HostRegistrationOwner, engine: EngineRegistration) -> None:
        self._responder = responder
        self._engine = engine
        self._established = asyncio.Event()
        self._failed = asyncio.Event()
        self._rename_callbacks: list[HostRenameCallback] = []
        self._withdrawn = False
        self._failed_name: str | None = None

    @property
    def name(self) -> str:
        """The host name in use now, ``"nas.local"``."""
        return str(self._engine.name)

    @property
    def addresses(self) -> tuple[IPAddress, ...]:
        """The addresses its A/AAAA records give (on every interface)."""
        records = self._engine.addresses
        return () if records is None else records.addresses

    @property
    def reverse(self) -> tuple[IPAddress, ...]:
        """The addresses whose reverse-mapping PTR names this host now."""
        records = self._engine.addresses
        if records is None:
            return ()
        published = set(records.reverse_names)
        return tuple(a for a in records.addresses if reverse_name(a) in published)

    @property
    def established(self) -> bool:
        """True once probing has won the name on at least one interface (RFC 6762 §8.1)."""
        return self._established.is_set()

    @property
    def failed(self) -> bool:
        """True once another host was found holding the name (and renaming was not asked)."""
        return self._failed.is_set()

    @property
    def withdrawn(self) -> bool:
        return self._withdrawn

    @property
    def interfaces(self) -> dict[int, str]:
        """State per interface index (``"probing"``, ``"announcing"``, ``"announced"``)."""
        return {index: str(state) for index, state in self._engine.interfaces.items()}

    async def wait_established(self, timeout: float | None = None) -> str:
        """Wait until the name is ours on some interface; return it.

        Raises :class:`NameConflictError` if another host holds it.
        """
        established = asyncio.ensure_future(self._established.wait())
        failed = asyncio.ensure_future(self._failed.wait())
        try:
            await asyncio.wait_for(
                asyncio.wait({established, failed}, return_when=asyncio.FIRST_COMPLETED),
                timeout,
            )
        finally:
            established.cancel()
            failed.cancel()
        if self._failed.is_set():
            raise NameConflictError(self._failed_name or self.name)
        if not self._established.is_set():  # pragma: no cover - wait_for raised already
            raise TimeoutError
        return self.name

    def add_rename_callback(self, callback: HostRenameCallback) -> Callable[[], None]:
        """Call ``callback(registration, old_name, new_name)`` on each rename; returns a remover."""
        return add_callback(self._rename_callbacks, callback)

    async def withdraw(self) -> None:
        """Send goodbyes (TTL 0, RFC 6762 §10.1) and stop answering for this host name."""
        if self._withdrawn:
            return
        self._withdrawn = True
        self._responder._forget_host(self)
        if not self._responder.closed and not self._failed.is_set():
            await self._responder.transport.unregister(self._engine)

    # -- engine events ------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, RegistrationEstablished):
            self._established.set()
        elif isinstance(event, RegistrationFailed):
            self._failed_name = str(event.name)
            _log.info("gave up %s: another host holds it", event.name)  # wait_* raises
            self._failed.set()
            self._withdrawn = True
            self._responder._forget_host(self)
        elif isinstance(event, RegistrationRenamed):
            old, new = str(event.old_name), str(event.new_name)
            call_each(self._rename_callbacks, _log, "rename", self, old, new)

    def __repr__(self) -> str:
        return f"<HostRegistration {self.name} {list(map(str, self.addresses))}>"
