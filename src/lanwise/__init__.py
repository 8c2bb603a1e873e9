"""lanwise: local networking done right.

There is no such thing as "the device's IP address": a host has zero or more
interfaces, each with zero or more addresses, all of which change while a
program runs. lanwise gives each real need its own tool.
"""

from __future__ import annotations

from lanwise.dnssd import (
    Registration,
    ResolveTimeoutError,
    Responder,
    Service,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceType,
    ServiceUpdated,
    browse,
    open_responder,
    resolve,
    resolve_host,
)
from lanwise.errors import LanwiseError, PlatformError, ProtocolError, UsageError

__version__ = "0.1.0"

__all__ = [
    "LanwiseError",
    "PlatformError",
    "ProtocolError",
    "Registration",
    "ResolveTimeoutError",
    "Responder",
    "Service",
    "ServiceAdded",
    "ServiceInfo",
    "ServiceRemoved",
    "ServiceType",
    "ServiceUpdated",
    "UsageError",
    "__version__",
    "browse",
    "open_responder",
    "resolve",
    "resolve_host",
]
