"""The avahi backend: lanwise's DNS-SD API through avahi-daemon's D-Bus API.

``lanwise.open_responder(backend="avahi")`` (or :func:`open_avahi_responder`,
which also takes the bus address) registers, browses and resolves through the
host's avahi-daemon, so one daemon holds every service of the host. The same
:class:`~lanwise.dnssd.model.Service`, browse events and errors as the
in-process engine; see :mod:`lanwise.dnssd.avahi.responder` for how avahi's
EntryGroup, browsers and resolvers map onto them, and how a daemon restart is
survived.
"""

from __future__ import annotations

from lanwise.dnssd.avahi.browser import AvahiBrowser
from lanwise.dnssd.avahi.client import AvahiError
from lanwise.dnssd.avahi.registration import AvahiRegistration
from lanwise.dnssd.avahi.responder import RESTART_GRACE, AvahiResponder, open_avahi_responder

__all__ = [
    "RESTART_GRACE",
    "AvahiBrowser",
    "AvahiError",
    "AvahiRegistration",
    "AvahiResponder",
    "open_avahi_responder",
]
