"""DNS-SD for scripts with no event loop in sight.

::

    from lanwise.dnssd import sync

    for found in sync.browse("_ipp._tcp", resolve=True):   # list[ResolvedServiceAdded]
        print(found.name, found.info.addresses)

    with sync.register(Service("Kitchen", "_http._tcp", 8080)) as registration:
        print("published as", registration.name)
        serve_forever()

Each call runs the same asyncio implementation on an event loop in a
background thread (:class:`SyncResponder` owns one); the calling thread only
waits for results. Nothing here may be called from inside a running event
loop's thread: use the async face there.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Collection, Coroutine, Iterable, Iterator
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

from lanwise.dnssd.hosts import HostRegistration
from lanwise.dnssd.model import (
    AddressInfo,
    HostInfo,
    IPAddress,
    ResolvedServiceAdded,
    Service,
    ServiceAdded,
    ServiceInfo,
)
from lanwise.dnssd.names import ServiceType
from lanwise.dnssd.responder import (
    DEFAULT_RESOLVE_TIMEOUT,
    SETTLE_MINIMUM,
    SETTLE_QUIET,
    Registration,
    Responder,
    open_responder,
)
from lanwise.dnssd.system import HostMode
from lanwise.dnssd.txt import TxtInput
from lanwise.dnssd.unicast import LOCAL, UnicastBrowseSession, is_local, unicast_discovery
from lanwise.errors import UsageError
from lanwise.mdns.selection import InterfaceSelection

__all__ = [
    "SyncRegistration",
    "SyncResponder",
    "browse",
    "open_responder_sync",
    "register",
    "resolve",
    "resolve_address",
    "resolve_host",
]

T = TypeVar("T")

DEFAULT_BROWSE_TIMEOUT = 3.0


def _check_no_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise UsageError(
        "lanwise.dnssd.sync", "do not call it from a running event loop; use the async face"
    )


class SyncResponder:
    """A responder running on an event loop in a background thread.

    Open with :func:`open_responder_sync` (or use it as a context manager);
    :meth:`close` withdraws every registration and stops the thread.
    """

    def __init__(
        self,
        *,
        interfaces: InterfaceSelection = None,
        families: Collection[int] = (4, 6),
        host_name: str | None = None,
        querier_only: bool = False,
        host: HostMode = "auto",
    ) -> None:
        _check_no_loop()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="lanwise-dnssd", daemon=True
        )
        self._thread.start()
        self._stop: asyncio.Event | None = None
        self._closed = False
        ready: Future[Responder] = Future()
        self._done = self._submit(
            self._serve(ready, interfaces, tuple(families), host_name, querier_only, host=host)
        )
        try:
            self._responder = ready.result()
        except BaseException:
            self._shutdown_loop()
            raise

    async def _serve(
        self,
        ready: Future[Responder],
        interfaces: InterfaceSelection,
        families: tuple[int, ...],
        host_name: str | None,
        querier_only: bool,
        *,
        host: HostMode,
    ) -> None:
        self._stop = asyncio.Event()
        try:
            async with open_responder(
                interfaces=interfaces,
                families=families,
                host_name=host_name,
                querier_only=querier_only,
                host=host,
            ) as responder:
                ready.set_result(responder)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            else:
                raise

    def _submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise UsageError("responder", "it is closed")
        future = self._submit(coro)
        try:
            return future.result()
        except BaseException:
            # Ctrl-C in the calling thread: stop the work on the loop too, so
            # its queries end and close() finds nothing still running.
            future.cancel()
            raise

    @property
    def responder(self) -> Responder:
        """The async responder underneath (use it only from its loop's thread)."""
        return self._responder

    @property
    def interfaces(self) -> dict[int, str]:
        return self._run(self._interfaces())

    async def _interfaces(self) -> dict[int, str]:
        return self._responder.interfaces

    def register(
        self, service: Service, *, wait: bool = True, timeout: float | None = None
    ) -> SyncRegistration:
        """Publish ``service``; returns once its name is established (see the async face)."""
        registration = self._run(self._responder.register(service, wait=wait, timeout=timeout))
        return SyncRegistration(self, registration)

    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: Literal[True],
        timeout: float = DEFAULT_BROWSE_TIMEOUT,
        quiet: float = SETTLE_QUIET,
        minimum: float = SETTLE_MINIMUM,
        only_interfaces: Collection[int | str] | None = None,
    ) -> list[ResolvedServiceAdded]: ...

    @overload
    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        timeout: float = DEFAULT_BROWSE_TIMEOUT,
        quiet: float = SETTLE_QUIET,
        minimum: float = SETTLE_MINIMUM,
        only_interfaces: Collection[int | str] | None = None,
    ) -> list[ServiceAdded]: ...

    def browse(
        self,
        type: ServiceType | str | None = None,
        *,
        resolve: bool = False,
        timeout: float = DEFAULT_BROWSE_TIMEOUT,
        quiet: float = SETTLE_QUIET,
        minimum: float = SETTLE_MINIMUM,
        only_interfaces: Collection[int | str] | None = None,
    ) -> list[ServiceAdded] | list[ResolvedServiceAdded]:
        """What answers within the first round (at most ``timeout`` seconds).

        Returns once nothing new arrived for ``quiet`` seconds (after at least
        ``minimum``); one entry per instance and interface. With ``resolve=True``
        each is a :class:`ResolvedServiceAdded` (``info`` always set).
        """
        return self._run(
            self._browse(
                type,
                resolve=resolve,
                timeout=timeout,
                quiet=quiet,
                minimum=minimum,
                only_interfaces=only_interfaces,
            )
        )

    async def _browse(
        self,
        type: ServiceType | str | None,
        *,
        resolve: bool,
        timeout: float,
        quiet: float,
        minimum: float,
        only_interfaces: Collection[int | str] | None,
    ) -> list[ServiceAdded] | list[ResolvedServiceAdded]:
        async with self._responder.browse(
            type, resolve=resolve, only_interfaces=only_interfaces
        ) as b:
            return await b.wait_settled(quiet=quiet, minimum=minimum, timeout=timeout)

    def resolve(
        self,
        name: str,
        type: ServiceType | str,
        *,
        timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        interfaces: Collection[int | str] | None = None,
    ) -> ServiceInfo:
        """Resolve one instance (raises ResolveTimeoutError if nothing answers)."""
        return self._run(
            self._responder.resolve(name, type, timeout=timeout, interfaces=interfaces)
        )

    def resolve_host(
        self,
        host: str,
        *,
        timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        interfaces: Collection[int | str] | None = None,
    ) -> HostInfo:
        """The addresses of ``host.local`` per interface."""
        return self._run(self._responder.resolve_host(host, timeout=timeout, interfaces=interfaces))

    def resolve_address(
        self,
        address: IPAddress | str,
        *,
        timeout: float = DEFAULT_RESOLVE_TIMEOUT,
        interfaces: Collection[int | str] | None = None,
    ) -> AddressInfo:
        """The ``.local`` name of an address from its reverse PTR, per interface."""
        return self._run(
            self._responder.resolve_address(address, timeout=timeout, interfaces=interfaces)
        )

    def register_host(
        self,
        host: str,
        addresses: Iterable[IPAddress | str],
        *,
        reverse: bool = True,
        rename: bool = False,
        timeout: float | None = None,
    ) -> HostRegistration:
        """Publish ``host.local`` with ``addresses`` (see ``Responder.register_host``).

        Returns once the name is ours; withdraw it with :meth:`withdraw_host`.
        """
        return self._run(
            self._responder.register_host(
                host, addresses, reverse=reverse, rename=rename, timeout=timeout
            )
        )

    def withdraw_host(self, registration: HostRegistration) -> None:
        """Send goodbyes for a host registration and stop answering for it."""
        self._run(registration.withdraw())

    def close(self) -> None:
        """Withdraw every registration (goodbyes are sent) and stop the background loop."""
        if self._closed:
            return
        self._closed = True
        stop = self._stop
        if stop is not None:
            self._loop.call_soon_threadsafe(stop.set)
        with contextlib.suppress(Exception):
            self._done.result(10)
        self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        # Whatever still runs on the loop (a responder still opening when the
        # caller was interrupted, say) is cancelled and awaited first, so its
        # sockets close before the loop stops, as asyncio.run would do.
        with contextlib.suppress(Exception):
            self._submit(_cancel_all()).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> SyncResponder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def _cancel_all() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class SyncRegistration:
    """A registered service seen from plain threads: name, TXT updates, withdrawal."""

    def __init__(self, owner: SyncResponder, registration: Registration) -> None:
        self._owner = owner
        self._registration = registration

    @property
    def name(self) -> str:
        """The instance name in use now (after any conflict renaming)."""
        return self._registration.name

    @property
    def service(self) -> Service:
        return self._registration.service

    @property
    def established(self) -> bool:
        return self._registration.established

    def update_txt(self, txt: TxtInput) -> None:
        """Publish new TXT data (announced again, RFC 6762 §8.4)."""
        self._owner._run(self._registration.update_txt(txt))

    def withdraw(self) -> None:
        """Send goodbyes and stop answering for this service."""
        self._owner._run(self._registration.withdraw())


def open_responder_sync(
    *,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    host_name: str | None = None,
    querier_only: bool = False,
    host: HostMode = "auto",
) -> SyncResponder:
    """A :class:`SyncResponder`; close it (or use ``with``) when done.

    ``querier_only=True`` publishes no host name; ``host`` says who holds the
    host name, ``"own"``, ``"system"`` or ``"auto"`` (see :func:`open_responder`).
    """
    return SyncResponder(
        interfaces=interfaces,
        families=families,
        host_name=host_name,
        querier_only=querier_only,
        host=host,
    )


@contextlib.contextmanager
def register(
    service: Service,
    *,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    host_name: str | None = None,
    timeout: float | None = None,
    host: HostMode = "auto",
) -> Iterator[SyncRegistration]:
    """Publish ``service`` for the duration of the ``with`` block (goodbyes on exit)."""
    with SyncResponder(
        interfaces=interfaces, families=families, host_name=host_name, host=host
    ) as owner:
        yield owner.register(service, timeout=timeout)


@overload
def browse(
    type: ServiceType | str | None = None,
    *,
    resolve: Literal[True],
    timeout: float = DEFAULT_BROWSE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: str = LOCAL,
) -> list[ResolvedServiceAdded]: ...


@overload
def browse(
    type: ServiceType | str | None = None,
    *,
    resolve: bool = False,
    timeout: float = DEFAULT_BROWSE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: str = LOCAL,
) -> list[ServiceAdded]: ...


def browse(
    type: ServiceType | str | None = None,
    *,
    resolve: bool = False,
    timeout: float = DEFAULT_BROWSE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: str = LOCAL,
) -> list[ServiceAdded] | list[ResolvedServiceAdded]:
    """The instances of ``type`` (None: every type) that answer within ``timeout`` seconds.

    With ``resolve=True``: :class:`ResolvedServiceAdded` entries (``info`` always set).
    ``domain`` other than ``"local"``: that unicast DNS domain's first answer
    (:mod:`lanwise.widearea`, no multicast socket opened).
    """
    if not is_local(domain):
        _check_no_loop()
        return asyncio.run(_unicast_browse(type, resolve, domain, timeout))
    with SyncResponder(interfaces=interfaces, families=families, querier_only=True) as owner:
        return owner.browse(type, resolve=resolve, timeout=timeout)


def resolve(
    name: str,
    type: ServiceType | str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
    domain: str = LOCAL,
) -> ServiceInfo:
    """Resolve one instance: host, port, TXT, addresses per interface (``domain``:
    as :func:`lanwise.dnssd.api.resolve`)."""
    if not is_local(domain):
        _check_no_loop()
        discovery = unicast_discovery(domain)
        return asyncio.run(discovery.resolve(name, type, domain, timeout=timeout))
    with SyncResponder(interfaces=interfaces, families=families, querier_only=True) as owner:
        return owner.resolve(name, type, timeout=timeout)


def resolve_host(
    host: str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
) -> HostInfo:
    """The addresses of ``host.local`` per interface."""
    with SyncResponder(interfaces=interfaces, families=families, querier_only=True) as owner:
        return owner.resolve_host(host, timeout=timeout)


def resolve_address(
    address: IPAddress | str,
    *,
    timeout: float = DEFAULT_RESOLVE_TIMEOUT,
    interfaces: InterfaceSelection = None,
    families: Collection[int] = (4, 6),
) -> AddressInfo:
    """The ``.local`` name of an address from its reverse PTR, per interface."""
    with SyncResponder(interfaces=interfaces, families=families, querier_only=True) as owner:
        return owner.resolve_address(address, timeout=timeout)


async def _unicast_browse(
    type: ServiceType | str | None, resolve: bool, domain: str, timeout: float
) -> list[ServiceAdded] | list[ResolvedServiceAdded]:
    async with UnicastBrowseSession[ServiceAdded](type, resolve, domain) as browser:
        return await browser.wait_settled(timeout=timeout)
