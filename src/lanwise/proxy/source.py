"""What a Discovery Proxy serves: the records of its links, named in its unicast domains.

The proxy's link side (one mDNS querier per link, RFC 8766 §5) and its DNS
sides (the UDP/TCP answerer, the DNS Push server of RFC 8765) meet at this
protocol. Every name and record that crosses it is already rewritten into the
link's unicast domain (§5.5), its TTL capped (§5.5.1) and unreachable
addresses left out (§5.5.2): the DNS sides never see ``.local``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import dns.name
import dns.rrset

__all__ = ["ChangeCallback", "RecordSource", "Unsubscribe"]

ChangeCallback = Callable[[Sequence[dns.rrset.RRset], Sequence[dns.rrset.RRset]], None]
"""Called with (added, removed) record sets for one subscription, each non-empty
set holding only records of the subscribed name and type (type ANY: any type)."""

Unsubscribe = Callable[[], None]


class RecordSource(Protocol):
    """The records a Discovery Proxy knows, in unicast-domain names."""

    def serves(self, name: dns.name.Name) -> bool:
        """True when ``name`` is at or under one of the proxy's link domains."""
        ...

    def cached(self, name: dns.name.Name, rdtype: int) -> list[dns.rrset.RRset]:
        """What is known now for (name, type), without asking the link."""
        ...

    def subscribe(self, name: dns.name.Name, rdtype: int, on_change: ChangeCallback) -> Unsubscribe:
        """Follow (name, type) on its link until the returned callable is called.

        A subscription keeps a continuous mDNS query running on the link (RFC
        8766 §5.6, RFC 8765 §6.2); ``on_change`` gets every later add and
        removal. What is known at the time of subscribing is given by
        :meth:`cached`, not replayed through ``on_change``.
        """
        ...
