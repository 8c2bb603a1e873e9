"""How lanwise names reach avahi and come back: type strings, interface zones."""

from __future__ import annotations

import socket

from lanwise.dnssd.names import ServiceType

__all__ = ["interface_scope", "type_text"]


def interface_scope(index: int) -> str | None:
    """The interface's name, the zone of its IPv6 link-local addresses (None if gone)."""
    try:
        return socket.if_indextoname(index)
    except OSError:
        return None


def type_text(stype: ServiceType) -> str:
    """``_http._tcp``: the type as avahi's calls take it (the domain goes apart)."""
    return f"{stype.service}.{stype.protocol}"
