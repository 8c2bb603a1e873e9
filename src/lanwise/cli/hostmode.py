"""``--host-mode own|system|auto`` and the line that says who holds the host name."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lanwise.dnssd import Responder, SystemResponder
from lanwise.dnssd.system import HOST_MODES

__all__ = ["add_host_mode_option", "holder_line", "responders_lines"]


def add_host_mode_option(parser: argparse.ArgumentParser) -> None:
    """``--host-mode``: who holds this host's name (see ``open_responder(host=...)``)."""
    parser.add_argument(
        "--host-mode",
        choices=HOST_MODES,
        default="auto",
        help="who holds this host's name: lanwise (own), the system responder such as "
        "avahi-daemon (system), or system when one runs here, else own (auto, the default)",
    )


def holder_line(responder: Responder) -> str:
    """``host avhost.local, held by avahi-daemon (pid 42)`` or ``…, held by lanwise``."""
    name = responder.transport.engine.host_name
    if name is None:
        return "no host name (querier only)"
    holder = responder.host_holder
    if responder.host_mode == "own":
        who = "lanwise"
    elif holder is None:
        who = "the system responder (none seen)"
    else:
        who = holder.describe().split(" as ")[0]
    return f"host {name}, held by {who}"


def responders_lines(found: Sequence[SystemResponder]) -> list[str]:
    """The overview's lines about other mDNS stacks on this host."""
    if not found:
        return ["none seen: lanwise holds this host's name itself (--host-mode auto: own)"]
    lines = []
    for responder in found:
        if responder.holds_host_name:
            lines.append(f"{responder.describe()}: holds this host's name")
        else:
            lines.append(f"{responder.describe()}: bound to UDP 5353, holds no host name")
    mode = "system" if any(r.holds_host_name for r in found) else "own"
    lines.append(f"lanwise publishes beside it (--host-mode auto: {mode}; no QU questions)")
    return lines
