"""Names between a link's ``.local`` and the unicast domain that serves it (RFC 8766 §5.1).

A question for ``<x>.<domain>`` is asked on the link as ``<x>.local``; every
name in the answer under ``local.`` comes back as the same labels under
``<domain>``. Labels pass as octets, unchanged (§5.5.4: no translation between
UTF-8 and Punycode, case preserved). A name that would not fit the 255-octet
limit of unicast DNS once rewritten cannot be served (RFC 1035 §2.3.4): the
rewriting gives ``None`` and the record is left out.
"""

from __future__ import annotations

from typing import Final

import dns.exception
import dns.name
import dns.rdata

from lanwise.dns import Name, Rdata
from lanwise.errors import UsageError

__all__ = ["LOCAL", "LinkNames", "from_lanwise", "parse_domain", "to_lanwise"]

LOCAL: Final = dns.name.from_text("local.")


def to_lanwise(name: dns.name.Name) -> Name:
    """A dnspython absolute name as a lanwise name (labels as octets)."""
    return Name.from_labels(name.labels[:-1])


def from_lanwise(name: Name) -> dns.name.Name:
    """A lanwise name as an absolute dnspython name."""
    return dns.name.Name((*name.raw_labels, b""))


def parse_domain(text: str, field: str = "domain") -> dns.name.Name:
    """A domain a link is served under, from its text form; UsageError naming ``field``.

    It must be a valid absolute name of at least one label, not ``local`` or
    under it (that is the link's own namespace, RFC 6762 §3), and leave room
    under it for service names.
    """
    if not isinstance(text, str) or not text.strip(". "):
        raise UsageError(field, "a domain name such as lan-a.example.test", text)
    try:
        name = dns.name.from_text(text.strip(), origin=dns.name.root)
    except (dns.exception.DNSException, UnicodeError, ValueError):
        raise UsageError(field, "a valid DNS domain name", text) from None
    if name == dns.name.root:
        raise UsageError(field, "a domain under the root, not the root itself", text)
    if name.is_subdomain(LOCAL):
        raise UsageError(field, "a unicast domain, not .local (RFC 8766 §5.1)", text)
    if len(name.to_wire() or b"") > 200:
        raise UsageError(field, "at most 200 octets, to leave room for service names", text)
    return name


class LinkNames:
    """The rewriting between ``<x>.local`` and ``<x>.<domain>`` for one link."""

    __slots__ = ("domain", "memo")

    def __init__(self, domain: dns.name.Name) -> None:
        self.domain = domain
        # Translated rdata by mDNS rdata (see lanwise.proxy.records.unicast_rdata).
        self.memo: dict[Rdata, dns.rdata.Rdata | None] = {}

    def to_local(self, name: dns.name.Name) -> dns.name.Name | None:
        """``<x>.<domain>`` as ``<x>.local`` (§5.1); None outside the domain or at its apex."""
        if not name.is_subdomain(self.domain) or name == self.domain:
            return None
        try:
            return name.relativize(self.domain).derelativize(LOCAL)
        except dns.name.NameTooLong:
            return None

    def from_local(self, name: dns.name.Name) -> dns.name.Name | None:
        """``<x>.local`` as ``<x>.<domain>``; a name outside ``local.`` is kept as is.

        None when the rewritten name is longer than unicast DNS allows.
        """
        if not name.is_subdomain(LOCAL):
            return name
        try:
            return name.relativize(LOCAL).derelativize(self.domain)
        except dns.name.NameTooLong:
            return None
