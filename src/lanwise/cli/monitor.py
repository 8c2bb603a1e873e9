"""``lanwise monitor``: interface and address changes as they happen."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from lanwise.cli.output import escape, reader_gone
from lanwise.interfaces import (
    AddressAdded,
    AddressChanged,
    AddressRemoved,
    InterfaceAdded,
    InterfaceChanged,
    InterfaceEvent,
    open_monitor,
)
from lanwise.interfaces.serialize import address_text, event_name, event_to_dict, flag_names

__all__ = ["add_parser", "format_event", "run"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "monitor",
        help="print interface and address changes as they happen",
        description="Print interface and address changes as they happen (netlink "
        "notifications, no polling). Stop with Ctrl-C.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--receive-buffer",
        type=_positive,
        metavar="BYTES",
        help="kernel receive buffer of the notification socket (small values force "
        "overruns, which the monitor repairs with a fresh dump)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        # Ctrl-C is how a monitor ends: exit 0.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_follow(args.json, args.receive_buffer))
    except BrokenPipeError:
        reader_gone()
    return 0


async def _follow(as_json: bool, receive_buffer: int | None) -> None:
    async with open_monitor(receive_buffer=receive_buffer) as monitor:
        names = {i.index: i.name for i in monitor.snapshot().values()}
        print(
            f"lanwise: monitoring {len(names)} interfaces; Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        async for event in monitor:
            # Keep names current: a new interface's own events must show its name.
            if isinstance(event, InterfaceAdded):
                names[event.index] = event.interface.name
            elif isinstance(event, InterfaceChanged):
                names[event.index] = event.new.name
            name = names.get(event.index, str(event.index))
            if as_json:
                data = event_to_dict(event)
                data["time"] = round(time.time(), 6)
                data["name"] = name
                line = json.dumps(data)
            else:
                line = f"{time.strftime('%H:%M:%S')} {format_event(event, name)}"
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


def format_event(event: InterfaceEvent, name: str) -> str:
    """One readable line: ``address added    eth0 (#2) 10.0.0.5/24 scope global``."""
    what = event_name(event).replace("_", " ")
    where = f"{escape(name)} (#{event.index})"
    if isinstance(event, AddressAdded | AddressRemoved):
        detail = address_text(event.address)
    elif isinstance(event, AddressChanged):
        detail = f"{address_text(event.old)} -> {address_text(event.new)}"
    elif isinstance(event, InterfaceChanged):
        detail = f"{event.new.oper_state} {','.join(flag_names(event.new.flags))}"
        if event.old.name != event.new.name:
            detail += f" (renamed from {escape(event.old.name)})"
    else:
        detail = f"{event.interface.type} ({event.interface.kind})"
    return f"{what:<17} {where} {detail}"
