"""R13: a legacy unicast query from an off-link source gets no answer (RFC 6762 §11).

The tester needs an address outside the link's prefixes configured on its
interface (``--off-link-source``), and the target a route back to it (a
default route will do): then only the §11 source check stops a reply.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address

from lanwise.conformance.report import Outcome
from lanwise.conformance.session import Session
from lanwise.conformance.wire import build_packet
from lanwise.dns import Question, RRType, WireFormatError, parse_message

__all__ = ["check_off_link"]

LISTEN = 1.0


def check_off_link(s: Session, source: IPv4Address) -> None:
    name, rtype = (s.service, RRType.SRV) if s.service else (s.host_name, RRType.A)
    targets = [a for a in s.addresses if isinstance(a, IPv4Address)]
    if name is None or not targets:
        s.record("R13", Outcome.SKIP, "no IPv4 address or name of the target known")
        return
    # The source's own host route (a /32) does not put it on the link.
    if any(source in net for net in s.tester_networks if net.version == 4 and net.prefixlen < 32):
        s.record("R13", Outcome.SKIP, f"{source} is on the link, not off-link")
        return
    query = build_packet([Question(name, rtype)], id=0x0FF1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((str(source), 0))
        except OSError as exc:
            s.record("R13", Outcome.SKIP, f"cannot send from {source}: {exc.strerror}")
            return
        sock.settimeout(LISTEN)
        sock.sendto(query, (str(targets[0]), 5353))
        try:
            data, sender = sock.recvfrom(9000)
        except TimeoutError:
            s.record("R13", Outcome.PASS)
            return
    try:
        answered = parse_message(data).id == 0x0FF1
    except WireFormatError:
        answered = True
    if answered:
        s.record(
            "R13",
            Outcome.FAIL,
            f"answered a legacy unicast query from off-link source {source} "
            f"(reply from {sender[0]})",
        )
    else:
        s.record("R13", Outcome.PASS)
