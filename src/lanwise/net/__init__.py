"""Scoped sockets: the right answer to each "what's my IP address?" question.

- :func:`connect` — an outgoing connection over an interface that meets
  requirements (required/prohibited interfaces and types, expensive,
  constrained), Happy Eyeballs v2 across families and interfaces; the
  :class:`Connection` says its local endpoint and interface.
- :func:`local_endpoint` — the address to hand a peer for an existing connection.
- :func:`listen` — a listener on all addresses, or one per chosen interface.
- :func:`build_connection_info` / :func:`watch_connection_info` — how other
  devices reach a local server (service name, ``host.local``, per-interface URLs).
- :func:`open_datagram_endpoint` — per-interface UDP: directed broadcast,
  multicast per interface, arrival interface on every datagram.
- :func:`dns_servers` — every configured DNS server, per link.
"""

from __future__ import annotations

from lanwise.net.connect import Connection, NameResolver, connect
from lanwise.net.datagram import (
    DatagramEndpoint,
    ReceivedDatagram,
    directed_broadcasts,
    open_datagram_endpoint,
    sendto,
)
from lanwise.net.eligibility import Eligibility, Requirements, evaluate
from lanwise.net.endpoint import Endpoint, InterfaceRef, LocalEndpoint, local_endpoint
from lanwise.net.errors import (
    AttemptFailure,
    BroadcastError,
    ConnectError,
    ConnectTimeoutError,
    ListenError,
    ListenFailure,
    NoEligibleInterfaceError,
    Rejection,
)
from lanwise.net.happy_eyeballs import Attempt, PathInterface, Planner, Target
from lanwise.net.info import (
    AddressInfo,
    ConnectionInfo,
    InfoState,
    InterfaceInfo,
    build_connection_info,
    watch_connection_info,
)
from lanwise.net.listen import Listener, listen
from lanwise.net.metered import PathCost, get_path_costs, path_costs
from lanwise.net.resolvers import DnsServer, dns_servers, parse_resolv_conf, read_resolv_conf
from lanwise.net.urls import format_host, format_url

__all__ = [
    "AddressInfo",
    "Attempt",
    "AttemptFailure",
    "BroadcastError",
    "ConnectError",
    "ConnectTimeoutError",
    "Connection",
    "ConnectionInfo",
    "DatagramEndpoint",
    "DnsServer",
    "Eligibility",
    "Endpoint",
    "InfoState",
    "InterfaceInfo",
    "InterfaceRef",
    "ListenError",
    "ListenFailure",
    "Listener",
    "LocalEndpoint",
    "NameResolver",
    "NoEligibleInterfaceError",
    "PathCost",
    "PathInterface",
    "Planner",
    "ReceivedDatagram",
    "Rejection",
    "Requirements",
    "Target",
    "build_connection_info",
    "connect",
    "directed_broadcasts",
    "dns_servers",
    "evaluate",
    "format_host",
    "format_url",
    "get_path_costs",
    "listen",
    "local_endpoint",
    "open_datagram_endpoint",
    "parse_resolv_conf",
    "path_costs",
    "read_resolv_conf",
    "sendto",
    "watch_connection_info",
]
