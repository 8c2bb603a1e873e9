"""lanwise: local networking done right.

There is no such thing as "the device's IP address": a host has zero or more
interfaces, each with zero or more addresses, all of which change while a
program runs. lanwise gives each real need its own tool.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lanwise.dnssd import (
        BrowseOverflow,
        Registration,
        ResolvedServiceAdded,
        ResolveTimeoutError,
        Responder,
        Service,
        ServiceAdded,
        ServiceConnection,
        ServiceInfo,
        ServiceRemoved,
        ServiceType,
        ServiceUpdated,
        browse,
        connect,
        connect_service,
        open_responder,
        resolve,
        resolve_address,
        resolve_host,
    )

from lanwise import _extensions
from lanwise.errors import LanwiseError, PlatformError, ProtocolError, UsageError

# Before anything imports the codec: decides between its compiled and pure modules.
_extensions.install_finder()

if TYPE_CHECKING:
    #: The modules running compiled in this process (empty: pure Python); docs/compiled.md.
    compiled: tuple[str, ...]

__version__ = "0.1.0"

__all__ = [
    "BrowseOverflow",
    "LanwiseError",
    "PlatformError",
    "ProtocolError",
    "Registration",
    "ResolveTimeoutError",
    "ResolvedServiceAdded",
    "Responder",
    "Service",
    "ServiceAdded",
    "ServiceConnection",
    "ServiceInfo",
    "ServiceRemoved",
    "ServiceType",
    "ServiceUpdated",
    "UsageError",
    "__version__",
    "browse",
    "compiled",
    "connect",
    "connect_service",
    "open_responder",
    "resolve",
    "resolve_address",
    "resolve_host",
]

# Public names that live in heavier sub-packages, imported on first use so that
# `import lanwise.interfaces` (and the `lanwise interfaces` command) stays fast.
_LAZY: dict[str, str] = {
    "BrowseOverflow": "lanwise.dnssd",
    "Registration": "lanwise.dnssd",
    "ResolveTimeoutError": "lanwise.dnssd",
    "ResolvedServiceAdded": "lanwise.dnssd",
    "Responder": "lanwise.dnssd",
    "Service": "lanwise.dnssd",
    "ServiceAdded": "lanwise.dnssd",
    "ServiceConnection": "lanwise.dnssd",
    "ServiceInfo": "lanwise.dnssd",
    "ServiceRemoved": "lanwise.dnssd",
    "ServiceType": "lanwise.dnssd",
    "ServiceUpdated": "lanwise.dnssd",
    "browse": "lanwise.dnssd",
    "connect": "lanwise.dnssd",
    "connect_service": "lanwise.dnssd",
    "open_responder": "lanwise.dnssd",
    "resolve": "lanwise.dnssd",
    "resolve_address": "lanwise.dnssd",
    "resolve_host": "lanwise.dnssd",
}


def __getattr__(name: str) -> Any:
    if name == "compiled":
        value = _extensions.compiled_modules()
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lanwise' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if name in ("browse", "resolve"):
        # browse/resolve take domain=; other domains than "local" are served by
        # lanwise.widearea, which sits above dnssd and installs itself on import.
        importlib.import_module("lanwise.widearea")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
