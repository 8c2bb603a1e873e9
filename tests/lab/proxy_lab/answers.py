"""Reading dig's output in the proxy lab: status, records, and the addresses in them."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_STATUS = re.compile(r"status: (\w+)")


def status(out: str) -> str:
    """The RCODE dig printed (``NOERROR``, ``REFUSED``, …), or ``""`` for no reply."""
    match = _STATUS.search(out)
    return match[1] if match else ""


def records(out: str) -> list[tuple[str, str, str]]:
    """Every record line of dig's output (any section): (owner, type, data)."""
    found = []
    for line in out.splitlines():
        if not line or line.startswith(";"):
            continue
        words = line.split(None, 4)
        if len(words) == 5 and words[2] == "IN":
            found.append((words[0], words[3], words[4]))
    return found


def addresses(out: str) -> list[IPAddress]:
    """The addresses of every A and AAAA record in dig's output."""
    return [ipaddress.ip_address(data) for _, kind, data in records(out) if kind in ("A", "AAAA")]


def link_local(found: Iterable[IPAddress]) -> list[IPAddress]:
    """The link-local ones among ``found`` (169.254/16, fe80::/10): RFC 8766 §5.5.2."""
    return [a for a in found if a.is_link_local]


def assert_no_link_local(outputs: Iterable[str]) -> int:
    """RFC 8766 §5.5.2 over a whole module's dig outputs; returns how many addresses were seen."""
    outputs = list(outputs)
    bad = [out for out in outputs if link_local(addresses(out))]
    assert not bad, bad[:3]
    return sum(len(addresses(out)) for out in outputs)
