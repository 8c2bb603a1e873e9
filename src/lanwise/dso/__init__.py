"""DNS Stateful Operations (RFC 8490) and the DNS Push Notification TLVs (RFC 8765), sans-IO.

- :mod:`lanwise.dso.wire`: DSO messages and TLVs (Keepalive, Retry Delay,
  Encryption Padding) and the 2-octet stream framing.
- :mod:`lanwise.dso.session`: :class:`DsoSession`, one end of a session driven
  by bytes and time: establishment, response matching, timeouts, errors.
- :mod:`lanwise.dso.push`: SUBSCRIBE, PUSH, UNSUBSCRIBE and RECONFIRM.

The Push server is :class:`lanwise.proxy.push.PushServer`; the client side is
:mod:`lanwise.widearea.push`.
"""

from __future__ import annotations

from lanwise.dso.push import Change, Question
from lanwise.dso.session import (
    DnsMessageReceived,
    DsoEvent,
    DsoSession,
    DsoStatistics,
    RequestReceived,
    ResponseReceived,
    RetryDelayReceived,
    Role,
    SessionClosed,
    SessionEstablished,
    UnidirectionalReceived,
)
from lanwise.dso.wire import DsoFormError, DsoMessage, Keepalive, StreamFramer, Tlv

__all__ = [
    "Change",
    "DnsMessageReceived",
    "DsoEvent",
    "DsoFormError",
    "DsoMessage",
    "DsoSession",
    "DsoStatistics",
    "Keepalive",
    "Question",
    "RequestReceived",
    "ResponseReceived",
    "RetryDelayReceived",
    "Role",
    "SessionClosed",
    "SessionEstablished",
    "StreamFramer",
    "Tlv",
    "UnidirectionalReceived",
]
