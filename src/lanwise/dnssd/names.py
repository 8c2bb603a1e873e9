"""DNS-SD naming rules: service types, subtypes, instance names, host names.

A service instance name is ``<Instance>.<_service>.<_proto>.<domain>`` (RFC 6763
§4.1). The instance label is free-form UTF-8; the service label follows RFC 6335
§5.1; the protocol label is ``_tcp`` or ``_udp`` (RFC 6763 §7). Everything here
works on labels (``str``), so a dot inside an instance name is just a character.
"""

from __future__ import annotations

import re
import socket
import unicodedata
from dataclasses import dataclass

from lanwise.errors import UsageError

__all__ = [
    "DEFAULT_DOMAIN",
    "MAX_LABEL_OCTETS",
    "SERVICE_TYPE_ENUMERATION",
    "ServiceType",
    "host_label_from_system",
    "parse_host_name",
    "sanitize_host_label",
    "validate_instance_name",
]

DEFAULT_DOMAIN = "local"
MAX_LABEL_OCTETS = 63  # RFC 1035 §2.3.4; RFC 6763 §4.1.1 instance ≤ 63 octets
MAX_SERVICE_NAME = 15  # RFC 6335 §5.1: service names are 1-15 characters
# RFC 6763 §9: the meta-query that enumerates service types.
SERVICE_TYPE_ENUMERATION = ("_services", "_dns-sd", "_udp", DEFAULT_DOMAIN)

_SERVICE_NAME = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\Z")  # RFC 6335 §5.1
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\Z")  # RFC 952/1123
_PROTOCOLS = ("_tcp", "_udp")


def _octets(text: str) -> int:
    return len(text.encode("utf-8"))


def _split_text(text: str) -> list[str]:
    """Split a dotted type string (no escapes: type labels never contain dots)."""
    text = text.strip()
    if text.endswith("."):
        text = text[:-1]
    return text.split(".") if text else []


def _check_service_label(label: str, field: str) -> str:
    """``_name``: RFC 6335 §5.1 (1-15 chars, letters/digits/hyphens, one letter at least)."""
    if not label.startswith("_"):
        raise UsageError(field, "the service name must start with '_' (RFC 6763 §7)", label)
    name = label[1:]
    if not 1 <= len(name) <= MAX_SERVICE_NAME:
        raise UsageError(
            field, "the service name must be 1-15 characters after '_' (RFC 6335 §5.1)", label
        )
    if not name.isascii() or _SERVICE_NAME.match(name) is None:
        raise UsageError(
            field,
            "the service name may hold only letters, digits and single hyphens, "
            "not at either end (RFC 6335 §5.1)",
            label,
        )
    if not any(c.isalpha() for c in name):
        raise UsageError(field, "the service name needs at least one letter (RFC 6335 §5.1)", label)
    return label


def _check_subtype_label(label: str, field: str) -> str:
    """A subtype label is any non-empty label of at most 63 octets (RFC 6763 §7.1)."""
    if not label:
        raise UsageError(field, "a subtype must not be empty (RFC 6763 §7.1)", label)
    if _octets(label) > MAX_LABEL_OCTETS:
        raise UsageError(field, "a subtype label is at most 63 octets (RFC 6763 §7.1)", label)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in label):
        raise UsageError(field, "a subtype must not contain control characters", label)
    return label


@dataclass(frozen=True, slots=True)
class ServiceType:
    """A DNS-SD service type such as ``_http._tcp`` (in domain ``local``).

    Build one with :meth:`parse`, which accepts ``_http._tcp``, ``_http._tcp.local``
    and ``_http._tcp.local.``; comparison is case-insensitive like DNS names.
    """

    service: str  # "_http"
    protocol: str  # "_tcp" or "_udp"
    domain: str = DEFAULT_DOMAIN

    @classmethod
    def parse(cls, text: str, *, field: str = "service type") -> ServiceType:
        """Parse and validate a service type (RFC 6763 §7, RFC 6335 §5.1)."""
        if not isinstance(text, str):
            raise UsageError(field, "must be a string like '_http._tcp'", text)
        labels = _split_text(text)
        lowered = tuple(label.lower() for label in labels)
        if lowered in (SERVICE_TYPE_ENUMERATION, SERVICE_TYPE_ENUMERATION[:3]):
            return cls("_services._dns-sd", "_udp", DEFAULT_DOMAIN)  # RFC 6763 §9
        if len(labels) < 2:
            raise UsageError(field, "must look like '_name._tcp' or '_name._udp'", text)
        if len(labels) > 2 and labels[1].lower() == "_sub":
            raise UsageError(field, "a subtype is not a service type; pass it as a subtype", text)
        service, protocol, *domain = labels
        if protocol.lower() not in _PROTOCOLS:
            raise UsageError(
                field, "the protocol label must be '_tcp' or '_udp' (RFC 6763 §7)", text
            )
        _check_service_label(service, field)
        domain_text = ".".join(domain) if domain else DEFAULT_DOMAIN
        if domain_text.lower() != DEFAULT_DOMAIN:
            raise UsageError(field, "only the 'local' domain is served by multicast DNS", text)
        return cls(service, protocol.lower(), DEFAULT_DOMAIN)

    @property
    def labels(self) -> tuple[str, ...]:
        """``("_http", "_tcp", "local")``: the PTR owner name browsed for."""
        # Only the §9 enumeration type has a two-label "service" part.
        return (*self.service.split("."), self.protocol, self.domain)

    @property
    def is_enumeration(self) -> bool:
        """True for ``_services._dns-sd._udp`` (RFC 6763 §9)."""
        return tuple(label.lower() for label in self.labels) == SERVICE_TYPE_ENUMERATION

    def subtype_labels(self, subtype: str) -> tuple[str, ...]:
        """``("_printer", "_sub", "_http", "_tcp", "local")`` (RFC 6763 §7.1)."""
        return (subtype, "_sub", *self.labels)

    def parse_subtype(self, text: str, *, field: str = "subtype") -> str:
        """Accept ``_printer`` or ``_printer._sub._http._tcp[.local]``; return the label."""
        if not isinstance(text, str):
            raise UsageError(field, "must be a string like '_printer'", text)
        labels = _split_text(text)
        if len(labels) >= 4 and labels[1].lower() == "_sub":
            rest = ServiceType.parse(".".join(labels[2:]), field=field)
            if rest != self:
                raise UsageError(field, f"the subtype must be of the service's type {self}", text)
            return _check_subtype_label(labels[0], field)
        return _check_subtype_label(text.strip(), field)

    def _key(self) -> tuple[str, str, str]:
        return (self.service.lower(), self.protocol.lower(), self.domain.lower())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServiceType):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return f"{self.service}.{self.protocol}"


def validate_instance_name(name: str, *, field: str = "instance name") -> str:
    """Check a service instance name (RFC 6763 §4.1.1); return it in NFC.

    Any UTF-8 text is allowed, spaces and dots included, except control
    characters; at most 63 octets once encoded. §4.1.3 asks for NFC.
    """
    if not isinstance(name, str):
        raise UsageError(field, "must be a string", name)
    name = unicodedata.normalize("NFC", name)
    if not name:
        raise UsageError(field, "must not be empty (RFC 6763 §4.1.1)", name)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise UsageError(field, "must not contain control characters (RFC 6763 §4.1.1)", name)
    if _octets(name) > MAX_LABEL_OCTETS:
        raise UsageError(field, "must be at most 63 octets in UTF-8 (RFC 6763 §4.1.1)", name)
    return name


def sanitize_host_label(text: str) -> str:
    """Turn any text into a legal host label (letters, digits, inner hyphens; ≤ 63).

    Non-ASCII letters are reduced to their ASCII base where one exists; anything
    else becomes a hyphen. Returns ``""`` when nothing usable is left.
    """
    text = text.split(".", 1)[0]
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    label = re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-")
    return label[:MAX_LABEL_OCTETS].rstrip("-")


def host_label_from_system() -> str:
    """The system host name as a DNS label, or ``lanwise`` when it has nothing usable."""
    return sanitize_host_label(socket.gethostname()) or "lanwise"


def parse_host_name(text: str, *, field: str = "host name") -> str:
    """Accept ``name`` or ``name.local[.]``; return the single host label (validated)."""
    if not isinstance(text, str):
        raise UsageError(field, "must be a string", text)
    labels = _split_text(text)
    if len(labels) == 2 and labels[1].lower() == DEFAULT_DOMAIN:
        labels = labels[:1]
    if len(labels) != 1:
        raise UsageError(field, "must be a single label, optionally followed by '.local'", text)
    label = labels[0]
    if len(label) > MAX_LABEL_OCTETS or not label.isascii() or _HOST_LABEL.match(label) is None:
        raise UsageError(
            field,
            "a host label is 1-63 letters, digits and inner hyphens (RFC 1123 §2.1)",
            text,
        )
    return label
