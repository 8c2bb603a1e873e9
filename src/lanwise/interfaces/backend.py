"""The boundary between the platform-neutral API and a platform's way of asking.

A backend enumerates (``dump``) and watches (``open_watcher``). Linux uses
rtnetlink; a macOS/BSD backend would use getifaddrs for ``dump`` and a PF_ROUTE
socket for its watcher, and plug in here without touching any caller.
"""

from __future__ import annotations

import errno
import sys
from typing import Protocol

from lanwise.errors import PlatformError
from lanwise.interfaces.events import InterfaceEvent
from lanwise.interfaces.linux import LinuxBackend
from lanwise.interfaces.model import Interface

__all__ = ["Backend", "Watcher", "get_backend"]


class Watcher(Protocol):
    """A source of change notifications with a file descriptor to wait on."""

    notifications: int  # kernel messages read so far
    malformed: int  # messages that did not parse (each answered with a resync)

    def fileno(self) -> int: ...

    def read(self, state: dict[int, Interface]) -> tuple[list[InterfaceEvent], bool]:
        """Apply what is pending to ``state``; return the events and whether the
        caller must resync with a fresh dump (notifications were lost)."""
        ...

    def close(self) -> None: ...


class Backend(Protocol):
    def dump(self) -> dict[int, Interface]:
        """Every interface with its addresses, keyed by index, in index order."""
        ...

    def open_watcher(self, *, receive_buffer: int | None = None) -> Watcher: ...


def get_backend() -> Backend:
    """The backend for this platform."""
    if sys.platform.startswith("linux"):
        return LinuxBackend()
    raise PlatformError(errno.ENOSYS, f"interfaces: no backend for {sys.platform} yet (Linux only)")
