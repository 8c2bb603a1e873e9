"""Discovery Proxy (RFC 8766): each link's mDNS served as a unicast DNS zone, with DNS Push
(RFC 8765 over DSO, RFC 8490) for live changes."""

from lanwise.proxy.source import ChangeCallback, RecordSource, Unsubscribe

__all__ = ["ChangeCallback", "RecordSource", "Unsubscribe"]
