"""An on-the-wire conformance suite for mDNS / DNS-SD responders (RFC 6762, RFC 6763).

From one host on the target's link, :func:`run_conformance` drives a responder
with crafted packets and judges what it sends back, check by check, following
the catalogue in docs/conformance.md. ``lanwise conformance`` is its command line.
"""

from __future__ import annotations

from lanwise.conformance.html import render_html
from lanwise.conformance.linklocal import LinkLocalConfig, run_link_local
from lanwise.conformance.report import (
    CATALOGUE,
    LINKLOCAL_CATALOGUE,
    MATTER_CATALOGUE,
    CheckInfo,
    CheckResult,
    Level,
    Outcome,
    Report,
)
from lanwise.conformance.suite import Config, run_conformance

__all__ = [
    "CATALOGUE",
    "LINKLOCAL_CATALOGUE",
    "MATTER_CATALOGUE",
    "CheckInfo",
    "CheckResult",
    "Config",
    "Level",
    "LinkLocalConfig",
    "Outcome",
    "Report",
    "render_html",
    "run_conformance",
    "run_link_local",
]
