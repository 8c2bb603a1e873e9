"""Errors of wide-area DNS-SD: what a DNS server answered, or that none did.

Each names the server, the zone and the DNS response code, so the message can be
shown as is (``lanwise: 10.0.0.53: update of example.test refused (REFUSED)``).
"""

from __future__ import annotations

from lanwise.errors import LanwiseError

__all__ = ["DnsServerError", "ServerUnreachableError"]


class DnsServerError(LanwiseError):
    """A DNS server answered a query or an UPDATE with an error response code.

    ``server`` is the address (and port) asked, ``zone`` the zone or domain
    concerned, ``rcode`` the response code's name (``"REFUSED"``, ``"NOTAUTH"``,
    ``"YXDOMAIN"``, or a TSIG error such as ``"BADKEY"``).
    """

    def __init__(self, server: str, zone: str, rcode: str, action: str = "update") -> None:
        self.server = server
        self.zone = zone
        self.rcode = rcode
        self.action = action
        super().__init__(f"{server}: {action} of {zone} failed: {rcode}")


class ServerUnreachableError(DnsServerError):
    """No reply from the server within the timeout, or the connection failed."""

    def __init__(self, server: str, zone: str, reason: str, action: str = "update") -> None:
        super().__init__(server, zone, "no reply", action)
        self.reason = reason
        self.args = (f"{server}: {action} of {zone}: server unreachable ({reason})",)

    def __str__(self) -> str:
        return str(self.args[0])
