"""URLs for addresses: IPv6 in brackets, link-local zones as ``%25zone`` (RFC 6874)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from urllib.parse import quote

from lanwise.errors import UsageError

__all__ = ["DEFAULT_PORTS", "format_host", "format_url"]

# Schemes whose default port is left out of a URL (their registrations, RFC 3986 §3.2.3).
DEFAULT_PORTS: dict[str, int] = {
    "http": 80,
    "https": 443,
    "ws": 80,
    "wss": 443,
    "ftp": 21,
    "ssh": 22,
    "rtsp": 554,
    "ipp": 631,
    "smb": 445,
}
_SLASH_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})


def format_host(host: IPv4Address | IPv6Address | str) -> str:
    """The host part of a URL.

    IPv6 goes in brackets; a scoped address carries its zone after ``%25``
    (RFC 6874 §2: the ``%`` itself is percent-encoded), e.g. ``[fe80::1%25eth0]``.
    A name is returned as is.
    """
    if isinstance(host, str):
        return host
    if isinstance(host, IPv4Address):
        return str(host)
    scope = host.scope_id
    bare = str(host).split("%", 1)[0]
    if scope:
        # RFC 6874 §2: ZoneID = 1*( unreserved / pct-encoded ).
        return f"[{bare}%25{quote(scope, safe='-._~')}]"
    return f"[{bare}]"


def format_url(
    scheme: str, host: IPv4Address | IPv6Address | str, port: int, path: str = ""
) -> str:
    """A ready-to-use URL; the scheme's default port is left out."""
    scheme = scheme.lower()
    if not scheme or not scheme[0].isalpha() or not all(c.isalnum() or c in "+-." for c in scheme):
        raise UsageError("scheme", "must be a URL scheme such as http (RFC 3986 §3.1)", scheme)
    if not 0 < port < 65536:
        raise UsageError("port", "must be 1-65535", port)
    netloc = format_host(host)
    if DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    if not path and scheme in _SLASH_SCHEMES:
        path = "/"
    elif path and not path.startswith("/"):
        path = "/" + path
    return f"{scheme}://{netloc}{path}"
