"""``lanwise autoip IFACE``: claim and hold an IPv4 link-local address (RFC 3927).

Runs in the foreground, one line per event (``--json``: one object per line),
until Ctrl-C or SIGTERM; the address is removed from the interface on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from ipaddress import IPv4Address
from typing import Any

from lanwise.cli.output import escape
from lanwise.errors import UsageError
from lanwise.interfaces import get_interface
from lanwise.linklocal import (
    AddressClaimed,
    AddressReleased,
    ConflictDetected,
    Event,
    LinkLocalClient,
    StateChanged,
    is_usable_address,
    open_link_local,
)
from lanwise.linklocal.arp import format_mac

__all__ = ["add_parser", "event_to_dict", "format_event", "run"]


def _link_local(text: str) -> IPv4Address:
    try:
        address = IPv4Address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IPv4 address: {text!r}") from None
    if not is_usable_address(address):
        raise argparse.ArgumentTypeError(
            f"{text} is outside 169.254.1.0-169.254.254.255 (RFC 3927 §2.1)"
        )
    return address


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "autoip",
        help="claim an IPv4 link-local address (169.254/16) on an interface",
        description="Claim, hold and defend an IPv4 link-local address (RFC 3927) on "
        "one interface, printing each state change. Ctrl-C or SIGTERM removes the "
        "address and exits. Needs root (CAP_NET_RAW and CAP_NET_ADMIN).",
    )
    parser.add_argument("interface", metavar="IFACE", help="interface name or index")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--request",
        type=_link_local,
        metavar="ADDRESS",
        help="probe this address first (e.g. the one used last time)",
    )
    parser.add_argument(
        "--stop-when-routable",
        action="store_true",
        help="stand aside while the interface has a routable IPv4 address, and resume when it goes",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    interface = get_interface(args.interface)  # UsageError (exit 2) if unknown
    if interface.is_loopback:
        raise UsageError("interface", "link-local addressing needs an Ethernet-like interface")
    try:
        asyncio.run(_hold(interface.index, interface.name, args))
    except BrokenPipeError:
        return 0
    return 0


async def _hold(index: int, name: str, args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_link_local(
        index, requested=args.request, stop_when_routable=args.stop_when_routable
    ) as client:
        print(
            f"lanwise: IPv4 link-local on {escape(name)} (#{index}, "
            f"{format_mac(client.hardware_address)}); Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        printer = asyncio.create_task(_print(client, name, index, args.json))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({printer, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
    # Closing released the address; the printer shows those last events, then ends
    # (or raises what made the client fail).
    await printer


async def _print(client: LinkLocalClient, name: str, index: int, as_json: bool) -> None:
    async for event in client:
        if as_json:
            data = event_to_dict(event)
            data["interface"] = name
            data["index"] = index
            line = json.dumps(data)
        else:
            line = f"{time.strftime('%H:%M:%S')} {format_event(event)}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def format_event(event: Event) -> str:
    """One readable line per event."""
    if isinstance(event, StateChanged):
        address = f" {event.address}" if event.address is not None else ""
        return f"{event.new.value:<12}{address} ({event.reason})"
    if isinstance(event, AddressClaimed):
        return f"{'claimed':<12} {event.address}/16"
    if isinstance(event, AddressReleased):
        return f"{'released':<12} {event.address} ({event.reason})"
    return (
        f"{'conflict':<12} {event.address} with {event.hardware_address} "
        f"while {event.state.value}: {event.action}"
    )


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict; ``time`` is wall-clock seconds since the epoch."""
    data: dict[str, Any] = {"time": round(time.time(), 6)}
    if isinstance(event, StateChanged):
        data |= {
            "event": "state",
            "old": event.old.value,
            "state": event.new.value,
            "trigger": event.trigger.value,
            "address": str(event.address) if event.address is not None else None,
            "reason": event.reason,
        }
    elif isinstance(event, AddressClaimed):
        data |= {"event": "claimed", "address": str(event.address)}
    elif isinstance(event, AddressReleased):
        data |= {"event": "released", "address": str(event.address), "reason": event.reason}
    elif isinstance(event, ConflictDetected):
        data |= {
            "event": "conflict",
            "address": str(event.address),
            "hardware_address": event.hardware_address,
            "state": event.state.value,
            "action": event.action,
        }
    return data
