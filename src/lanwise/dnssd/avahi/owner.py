"""What an avahi browser or registration needs of the responder that made it.

A protocol, so that :mod:`~lanwise.dnssd.avahi.browser` and
:mod:`~lanwise.dnssd.avahi.registration` do not import the responder module
(which imports them): :class:`~lanwise.dnssd.avahi.responder.AvahiResponder`
satisfies it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from lanwise.dnssd.avahi.client import AvahiClient

__all__ = ["AvahiOwner"]


class AvahiOwner(Protocol):
    """The avahi responder, as its browsers and registrations use it."""

    families: frozenset[int]
    _protocol: int
    _client: AvahiClient | None
    _browsers: set[Any]

    @property
    def closed(self) -> bool: ...

    @property
    def interfaces(self) -> dict[int, str]: ...

    def _publish_indexes(self) -> list[int]: ...

    def _spawn(self, coro: Any) -> None: ...

    def _forget(self, registration: Any) -> None: ...

    async def _new_object(
        self,
        interface: str,
        kind: str,
        signature: str,
        body: list[Any],
        handler: Callable[[str, list[Any]], None],
    ) -> str: ...
