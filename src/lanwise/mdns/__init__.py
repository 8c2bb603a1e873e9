"""Multicast DNS (RFC 6762): a sans-IO engine and its asyncio transport.

:class:`Engine` is the protocol — responder, querier and cache — driven by
``receive`` / ``handle_timer`` and read through ``datagrams_to_send`` /
``get_timer`` / ``next_event``; it never reads a clock or touches a socket.
:mod:`lanwise.mdns.transport` runs it on real sockets. See docs/mdns.md.
"""

from __future__ import annotations

from lanwise.mdns.endpoints import (
    MDNS_IPV4_ENDPOINT,
    MDNS_IPV4_GROUP,
    MDNS_IPV6_ENDPOINT,
    MDNS_IPV6_GROUP,
    MDNS_PORT,
    Datagram,
    EngineEndpoint,
)
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import (
    CacheOverflow,
    Event,
    RecordAdded,
    RecordRemoved,
    RecordUpdated,
    RegistrationConflict,
    RegistrationEstablished,
    RegistrationFailed,
    RegistrationRemoved,
    RegistrationRenamed,
    RemovalReason,
)
from lanwise.mdns.records_state import RecordState
from lanwise.mdns.registration import (
    AddressRecords,
    EngineRegistration,
    RegistrationKind,
    ServiceRecords,
)
from lanwise.mdns.statistics import EngineStatistics, InterfaceStatistics

__all__ = [
    "MDNS_IPV4_ENDPOINT",
    "MDNS_IPV4_GROUP",
    "MDNS_IPV6_ENDPOINT",
    "MDNS_IPV6_GROUP",
    "MDNS_PORT",
    "AddressRecords",
    "CacheOverflow",
    "Datagram",
    "Engine",
    "EngineEndpoint",
    "EngineRegistration",
    "EngineStatistics",
    "Event",
    "InterfaceStatistics",
    "RecordAdded",
    "RecordRemoved",
    "RecordState",
    "RecordUpdated",
    "RegistrationConflict",
    "RegistrationEstablished",
    "RegistrationFailed",
    "RegistrationKind",
    "RegistrationRemoved",
    "RegistrationRenamed",
    "RemovalReason",
    "ServiceRecords",
]
