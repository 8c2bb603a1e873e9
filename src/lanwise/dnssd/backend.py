"""The boundary every DNS-SD backend satisfies: register, browse, resolve.

lanwise has two backends behind one API (``open_responder(backend=...)``):

- ``"engine"`` (the default): the in-process mDNS engine on sockets of its own
  (:class:`lanwise.dnssd.responder.Responder`);
- ``"avahi"``: avahi-daemon over its D-Bus API, so that one daemon holds every
  service of the host (:class:`lanwise.dnssd.avahi.AvahiResponder`).

Code that should run on either one annotates with the protocols here. They list
what both give: the same :class:`~lanwise.dnssd.model.Service`, the same browse
events, the same :class:`~lanwise.dnssd.model.ServiceInfo`, the same errors.
A backend never changes by itself: ``"engine"`` stays the default, and no mode
switches to another backend without the caller asking for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from types import TracebackType
from typing import Literal, Protocol, TypeAlias, TypeVar, overload, runtime_checkable

from lanwise.dnssd.model import (
    BrowseOverflow,
    HostInfo,
    ResolvedServiceAdded,
    Service,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.dnssd.names import ServiceType
from lanwise.dnssd.txt import TxtInput
from lanwise.errors import UsageError

__all__ = [
    "BACKENDS",
    "BackendName",
    "DnssdBrowser",
    "DnssdRegistration",
    "DnssdResponder",
    "check_backend",
]

BackendName: TypeAlias = Literal["engine", "avahi"]
"""The name of a DNS-SD backend, as ``open_responder(backend=...)`` and ``--backend`` take it."""

BACKENDS: tuple[BackendName, ...] = ("engine", "avahi")

AddedT = TypeVar("AddedT", bound=ServiceAdded)


def check_backend(value: object) -> BackendName:
    """``value`` if it names a backend; :class:`UsageError` otherwise."""
    if value == "engine":
        return "engine"
    if value == "avahi":
        return "avahi"
    raise UsageError("backend", "'engine' (in-process, the default) or 'avahi'", value)


@runtime_checkable
class DnssdRegistration(Protocol):
    """A registered service, whichever backend holds it."""

    @property
    def service(self) -> Service:
        """The service as published now (its ``name`` follows renames)."""
        ...

    @property
    def name(self) -> str:
        """The instance name in use now (``"Name (2)"`` after a conflict)."""
        ...

    @property
    def established(self) -> bool:
        """True once probing has won the name."""
        ...

    @property
    def withdrawn(self) -> bool:
        """True once withdrawn (or its responder closed)."""
        ...

    @property
    def interfaces(self) -> dict[int, str]:
        """State per interface index (``"probing"``, ``"announced"``, ...)."""
        ...

    async def wait_established(self, timeout: float | None = None) -> str:
        """Wait until the name is won; return the final name."""
        ...

    def add_rename_callback(
        self, callback: Callable[[DnssdRegistration, str, str], None]
    ) -> Callable[[], None]:
        """Call ``callback(registration, old, new)`` on each rename; returns a remover."""
        ...

    async def update_txt(self, txt: TxtInput) -> None:
        """Publish new TXT data."""
        ...

    async def rename(self, name: str) -> None:
        """Move to another instance name."""
        ...

    async def withdraw(self) -> None:
        """Say goodbye and stop answering for the service."""
        ...


@runtime_checkable
class DnssdBrowser(Protocol[AddedT]):
    """Browse events as an async iterator and async context manager.

    ``DnssdBrowser[ResolvedServiceAdded]`` (a browse with ``resolve=True``)
    reports additions whose ``info`` is never None.
    """

    @property
    def closed(self) -> bool:
        """True once the browse has stopped."""
        ...

    def current(self) -> list[AddedT]:
        """The instances reported and still present, one entry per interface."""
        ...

    async def wait_settled(
        self, *, quiet: float = ..., minimum: float = ..., timeout: float | None = None
    ) -> list[AddedT]:
        """Wait for the first round of answers; return :meth:`current`."""
        ...

    def get_nowait(self) -> AddedT | ServiceUpdated | ServiceRemoved | BrowseOverflow | None:
        """The next queued event, or None."""
        ...

    def __aiter__(self) -> DnssdBrowser[AddedT]:
        """The browser iterates over its own events."""
        ...

    async def __anext__(self) -> AddedT | ServiceUpdated | ServiceRemoved | BrowseOverflow:
        """The next browse event."""
        ...

    async def aclose(self) -> None:
        """Stop browsing."""
        ...

    async def __aenter__(self) -> DnssdBrowser[AddedT]:
        """The browser itself."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop browsing."""
        ...


@runtime_checkable
class DnssdResponder(Protocol):
    """What ``open_responder`` yields, whichever backend it opened."""

    families: frozenset[int]

    @property
    def closed(self) -> bool:
        """True once the ``open_responder`` block has ended."""
        ...

    @property
    def interfaces(self) -> dict[int, str]:
        """The interfaces served now: index → name."""
        ...

    @property
    def registrations(self) -> Sequence[DnssdRegistration]:
        """The live registrations."""
        ...

    async def register(
        self, service: Service, *, wait: bool = True, timeout: float | None = None
    ) -> DnssdRegistration:
        """Publish ``service``; with ``wait``, return once its name is won."""
        ...

    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: Literal[True],
        only_interfaces: Collection[int | str] | None = None,
    ) -> DnssdBrowser[ResolvedServiceAdded]: ...

    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        only_interfaces: Collection[int | str] | None = None,
    ) -> DnssdBrowser[ServiceAdded]: ...

    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        only_interfaces: Collection[int | str] | None = None,
    ) -> DnssdBrowser[ServiceAdded] | DnssdBrowser[ResolvedServiceAdded]:
        """Browse for instances of ``type`` (None: every type, RFC 6763 §9)."""
        ...

    async def resolve(
        self,
        name: str,
        type: ServiceType | str,
        *,
        timeout: float = ...,
        interfaces: Collection[int | str] | None = None,
    ) -> ServiceInfo:
        """Host, port, TXT and addresses of one instance (ResolveTimeoutError if none)."""
        ...

    async def resolve_host(
        self,
        host: str,
        *,
        timeout: float = ...,
        interfaces: Collection[int | str] | None = None,
    ) -> HostInfo:
        """The addresses of ``host.local`` per interface (ResolveTimeoutError if none)."""
        ...
