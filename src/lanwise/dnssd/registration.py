"""A registered service as the caller holds it: its name as it changes, TXT
updates, renames, warnings and withdrawal, over the engine's registration.

The engine probes, announces, renames after conflicts and says goodbye
(RFC 6762 §8, §9, §10.1); :class:`Registration` follows its events and passes
the caller's changes to it through the transport.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final, Protocol

from lanwise.dns import Name
from lanwise.dnssd.callbacks import add_callback, call_each
from lanwise.dnssd.model import Service
from lanwise.dnssd.names import parse_host_name, validate_instance_name
from lanwise.dnssd.querying import Questions
from lanwise.dnssd.resolving import DEFAULT_RESOLVE_TIMEOUT, ResolveTimeoutError, resolve_host
from lanwise.dnssd.txt import TxtInput, encode_txt
from lanwise.errors import UsageError
from lanwise.mdns.events import Event, RegistrationEstablished, RegistrationRenamed
from lanwise.mdns.registration import EngineRegistration, ServiceRecords
from lanwise.mdns.transport import MdnsTransport

__all__ = ["HOST_CHECK_TIMEOUT", "Registration", "RegistrationOwner", "check_host"]

# The responder's log: users filter on it (docs/dnssd.md names it).
_log = logging.getLogger("lanwise.dnssd.responder")

# How long a service naming another host (``Service(host=…)``) waits, once
# established, for that host's A/AAAA before warning that nobody can reach it:
# the default resolve timeout, which spans three queries (RFC 6762 §5.2).
HOST_CHECK_TIMEOUT: Final = DEFAULT_RESOLVE_TIMEOUT

RenameCallback = Callable[["Registration", str, str], None]
WarningCallback = Callable[["Registration", str], None]


class RegistrationOwner(Protocol):
    """What a registration needs of its responder."""

    @property
    def transport(self) -> MdnsTransport: ...

    @property
    def closed(self) -> bool: ...

    def _forget(self, registration: Registration) -> None: ...


def service_records(service: Service) -> ServiceRecords:
    """The engine's records for ``service``."""
    return ServiceRecords(
        instance=service.name,
        service_type=f"{service.type.service}.{service.type.protocol}",
        port=service.port,
        txt=service.txt,
        subtypes=service.subtypes,
        domain=service.type.domain,
        host=service.host,
        placeholder=service.placeholder,
    )


class Registration:
    """A registered service: its final name, TXT updates, and withdrawal.

    Get one from :meth:`Responder.register`. :attr:`name` is the instance name
    in use now, which changes if another responder on the link claims it
    (``"Kitchen"`` → ``"Kitchen (2)"``); :meth:`add_rename_callback` reports that.
    """

    def __init__(
        self, responder: RegistrationOwner, service: Service, engine: EngineRegistration
    ) -> None:
        self._responder = responder
        self._service = service
        self._engine = engine
        self._established = asyncio.Event()
        self._rename_callbacks: list[RenameCallback] = []
        self._warning_callbacks: list[WarningCallback] = []
        self._warnings: list[str] = []
        self._host_check: asyncio.Task[None] | None = None  # see check_host
        self._withdrawn = False

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
        """True once probing has won the name on at least one interface (RFC 6762 §8.1)."""
        return self._established.is_set()

    @property
    def withdrawn(self) -> bool:
        return self._withdrawn

    @property
    def interfaces(self) -> dict[int, str]:
        """State per interface index (``"probing"``, ``"announcing"``, ``"announced"``)."""
        return {index: str(state) for index, state in self._engine.interfaces.items()}

    async def wait_established(self, timeout: float | None = None) -> str:
        """Wait until the name is ours on some interface; return the final name."""
        await asyncio.wait_for(self._established.wait(), timeout)
        return self.name

    def add_rename_callback(self, callback: RenameCallback) -> Callable[[], None]:
        """Call ``callback(registration, old_name, new_name)`` on each rename; returns a remover."""
        return add_callback(self._rename_callbacks, callback)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What went wrong without stopping the service (its ``host`` has no address)."""
        return tuple(self._warnings)

    def add_warning_callback(self, callback: WarningCallback) -> Callable[[], None]:
        """Call ``callback(registration, message)`` on each warning; returns a remover.

        A service whose ``host`` names another host gets one warning when, once
        established, nobody answers for that host's addresses within
        :data:`HOST_CHECK_TIMEOUT` seconds: nobody could reach the service.
        Without a callback the warning is logged (logger ``lanwise.dnssd.responder``,
        level WARNING); with one, the callback reports it (the log gets INFO).
        """
        return add_callback(self._warning_callbacks, callback)

    def _warn(self, message: str) -> None:
        self._warnings.append(message)
        # Told once: to the callbacks if there are any, else as a logged warning.
        level = logging.INFO if self._warning_callbacks else logging.WARNING
        _log.log(level, "%s: %s", self._service, message)
        call_each(self._warning_callbacks, _log, "warning", self, message)

    async def update_txt(self, txt: TxtInput) -> None:
        """Publish new TXT data; the engine re-announces it (RFC 6762 §8.4)."""
        self._check_live()
        strings = encode_txt(txt)
        self._service = self._service.with_txt(strings)
        self._responder.transport.update(self._engine, txt=strings)

    async def rename(self, name: str) -> None:
        """Move to another instance name: goodbye for the old one, then probe the new one."""
        self._check_live()
        name = validate_instance_name(name)
        self._established.clear()
        self._responder.transport.rename(self._engine, name)

    async def withdraw(self) -> None:
        """Send goodbyes (TTL 0, RFC 6762 §10.1) and stop answering for this service."""
        if self._withdrawn:
            return
        self._withdrawn = True
        self._responder._forget(self)
        if self._host_check is not None:
            self._host_check.cancel()
        if not self._responder.closed:
            await self._responder.transport.unregister(self._engine)

    def _check_live(self) -> None:
        if self._withdrawn:
            raise UsageError("registration", "it has been withdrawn")
        if self._responder.closed:
            raise UsageError("registration", "its responder is closed")

    # -- engine events ------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, RegistrationEstablished):
            self._sync_name(event.name)
            self._established.set()
        elif isinstance(event, RegistrationRenamed):
            old = self._service.name
            self._sync_name(event.new_name)
            new = self._service.name
            if old != new:
                call_each(self._rename_callbacks, _log, "rename", self, old, new)

    def _sync_name(self, name: Name) -> None:
        label = name.first_label
        if label != self._service.name:
            self._service = self._service.with_name(label)

    def __repr__(self) -> str:
        return f"<Registration {self._service} {self.interfaces}>"


async def check_host(registration: Registration, questions: Questions) -> None:
    """Warn once if the host a service names has no address anyone answers with.

    Asked once the service is established (its probes are done), so address
    records registered with it (``register_host``) have had their turn.
    """
    host = registration.service.host
    if host is None:
        return
    await registration._established.wait()
    if registration.withdrawn or questions.closed:
        return
    name = Name.from_labels((parse_host_name(host), "local"))
    try:
        await resolve_host(questions, name, only=None, timeout=HOST_CHECK_TIMEOUT)
    except ResolveTimeoutError:
        if not registration.withdrawn and not questions.closed:
            registration._warn(
                f"nobody answers for {host}.local's addresses: the service cannot be "
                "reached (publish its addresses with register_host / --address)"
            )
    except UsageError:
        return  # closed meanwhile
